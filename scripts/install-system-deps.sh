#!/usr/bin/env bash
# Installs the server binaries the tests and `ticketing serve` start privately, when missing:
# redis-server, PostgreSQL (initdb/postgres), Chromium for the browser test, and buildah plus
# debootstrap to build and smoke-test the container image (`make image`, tests/image).
# redis-server, PostgreSQL (initdb/postgres), Chromium for the browser test, and HAProxy for the
# DR drill (`make drill`), where it stands in for Route53's weighted records.
set -euo pipefail

have_postgres() {
  command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
have_postgres || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-venv)
# the README's CI step for the policy gate uploads SARIF with curl (tests/policies/test_ci_recipe.py)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "missing system packages: ${missing[*]} (install them, or run as root)" >&2
  exit 1
fi
as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo"
echo "installing system packages: ${missing[*]}"
$as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
