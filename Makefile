# One entry point for setup, preview, tests, demo and benchmark.
# `make install` is idempotent: it adds whatever a fresh machine is missing.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
STACK ?= dev
STAMP := $(VENV)/.installed

.PHONY: install system-deps preview gate test demo bench drill clean

install: $(STAMP)

$(STAMP): requirements.txt policies/requirements.txt ops/requirements.txt requirements-dev.txt app/pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# Redis and PostgreSQL server binaries for the app's private instances, Chromium for the browser test.
system-deps:
	@bash scripts/install-system-deps.sh

preview: install
	$(PYTHON) -m policies.gate --stack $(STACK)

test: install
	$(PYTHON) -m pytest

demo: install
	$(VENV)/bin/ticketing demo

bench: install
	$(PYTHON) -m app.bench $(BENCH_ARGS)

# DR drill on loopback (README "DR drill"): writes build/drill.json, build/drill.md, build/drill.png.
drill: install
	$(PYTHON) -m ops.drill $(DRILL_ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache
