# One entry point for setup, preview, tests, demo and benchmark.
# `make install` is idempotent: it adds whatever a fresh machine is missing.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
STACK ?= dev
STAMP := $(VENV)/.installed

.PHONY: install system-deps preview gate test demo bench clean doctor

install: $(STAMP)

$(STAMP): requirements.txt policies/requirements.txt ops/requirements.txt requirements-dev.txt app/pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# Redis and PostgreSQL server binaries for the app's private instances, Chromium for the browser test.
system-deps:
	@bash scripts/install-system-deps.sh

# With the stack's policy config (policies/stacks/<stack>.json: its dated exemptions) when it has one.
preview: install
	$(PYTHON) -m policies.gate --stack $(STACK) $(if $(wildcard policies/stacks/$(STACK).json),--config policies/stacks/$(STACK).json)

# What a real `pulumi up` needs on this machine (pulumi, aws, Python, a logged-in backend); reports only.
doctor:
	@python3 scripts/doctor.py

test: install
	$(PYTHON) -m pytest

demo: install
	$(VENV)/bin/ticketing demo

bench: install
	$(PYTHON) -m app.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache
