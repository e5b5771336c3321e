#!/usr/bin/env bash
# Prints the app's version: the one place it is set is app/pyproject.toml ([project] version).
# The image tag and the chart's appVersion follow it (tests/image/test_version.py checks them).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import tomllib; print(tomllib.load(open("app/pyproject.toml", "rb"))["project"]["version"])'
