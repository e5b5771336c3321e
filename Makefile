# One entry point for setup, preview, tests, demo and benchmark.
# `make install` is idempotent: it adds whatever a fresh machine is missing.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
STACK ?= dev
STAMP := $(VENV)/.installed

.PHONY: install system-deps preview gate test demo bench clean coverage-checkov

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

# checkov is a development tool: its own venv under build/, never the program's or pack's
# requirements. Rewrites policies/coverage/checkov.tsv from checkov's registry (keeping its
# decisions) and policies/rules/wildcard_only_actions.txt from checkov's IAM data.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := build/checkov-venv

$(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION):
	test -x $(CHECKOV_VENV)/bin/python || python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	touch $@

coverage-checkov: install $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
	$(CHECKOV_VENV)/bin/python policies/coverage/checkov_registry.py > build/checkov-checks.json
	$(CHECKOV_VENV)/bin/python policies/coverage/wildcard_only_actions.py > policies/rules/wildcard_only_actions.txt
	$(PYTHON) -m policies.coverage.build_table build/checkov-checks.json

clean:
	rm -rf $(VENV) build .pytest_cache
