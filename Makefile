# One entry point for setup, preview, tests, demo and benchmark.
# `make install` is idempotent: it adds whatever a fresh machine is missing.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
STACK ?= dev
STAMP := $(VENV)/.installed

.PHONY: install system-deps preview gate lint format test demo bench chaos drill clean doctor coverage-checkov

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

# Formatter, linter and type checker (configured in pyproject.toml); `make test` runs it first.
lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(PYTHON) -m pytest

demo: install
	$(VENV)/bin/ticketing demo

bench: install
	$(PYTHON) -m app.bench $(BENCH_ARGS)

# The policy gate as a wheel for other repositories' CI (README "The gate in any repository's CI");
# setuptools builds in policies/ (build/, *.egg-info): leftovers of an older tree would end up in
# the wheel, and a second copy of the package there confuses mypy.
.PHONY: gate-wheel
gate-wheel: install
	rm -rf policies/build policies/*.egg-info
	$(PYTHON) -m pip wheel --quiet --no-deps ./policies -w build/dist
	rm -rf policies/build policies/*.egg-info

# checkov is a development tool: its own venv under build/, never the program's or pack's
# requirements. Rewrites policies/coverage/checkov.tsv from checkov's registry (keeping its
# decisions) and policies/rules/wildcard_only_actions.txt from checkov's IAM data, then scans what
# the stacks' charts render with checkov and fails where it finds what the pack neither finds nor rejects.
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
	$(PYTHON) -m policies.coverage.checkov_agreement $(CHECKOV_VENV)/bin/checkov

# Every fault against booking races with private servers; prints faults x invariants (exit 1 on a failure).
chaos: install
	$(PYTHON) -m tests.chaos

# DR drill on loopback (README "DR drill"): writes build/drill.json, build/drill.md, build/drill.png.
drill: install
	$(PYTHON) -m ops.drill $(DRILL_ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache

# The container image from app/Dockerfile with buildah (scripts/build-image.sh), tagged with the app
# version, plus its CycloneDX SBOM in build/image/. LOCAL_BASE=1 builds on a debootstrapped Debian
# python3.11 base instead of the pinned registry one (offline machines; tests/image uses it).
.PHONY: image
image: install
	bash scripts/build-image.sh $(if $(LOCAL_BASE),--local-base)
