# AI Growth Manager: `make run` starts everything, `make test` proves it.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
# Use a bun already on PATH, else one installed from the npm registry into .tools/.
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/$(TOOLS)/node_modules/.bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export PYTHONUNBUFFERED := 1

DEPS_STAMP := $(VENV)/.deps-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

.PHONY: help install deps bun migrate run serve test test-unit test-integration test-e2e lint format clean bench

help:
	@echo "make run     - install what is missing, migrate, start web+worker+scheduler+redis (dev, :3000)"
	@echo "make serve   - the same in production mode: built frontend + backend on one port (:3000)"
	@echo "make test    - run the whole test suite (unit, integration, e2e in Chromium)"
	@echo "make lint    - ruff, import-linter (architecture rules), mypy"

install: deps bun

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(DEPS_STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.deps-* && touch $@

deps: $(DEPS_STAMP)

bun:
	@command -v bun >/dev/null 2>&1 || { echo "Installing bun from the npm registry into $(TOOLS)/"; \
		mkdir -p $(TOOLS) && npm install --silent --no-audit --no-fund --prefix $(TOOLS) bun@1.4.5 ; }
	@bun --version >/dev/null

# The prestart step production uses too (systemd, compose): wait for the database (and
# an external Redis), then alembic upgrade head.
migrate: deps
	$(BIN)/python -m aigrowth prestart

# Hot reload watches only the code, not data/ (SQLite, Redis AOF) or tests/.
run: install migrate
	API_URL=$${API_URL:-http://localhost:8000} \
	REFLEX_HOT_RELOAD_OVERRIDE_PATHS=$(CURDIR)/aigrowth:$(CURDIR)/rxconfig.py \
	$(BIN)/honcho -f Procfile start

serve: install migrate
	$(BIN)/honcho -f Procfile.prod start

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: install
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

test-integration: install
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

test-e2e: install
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

# Style (ruff), the architecture's import rules (import-linter, contracts in pyproject.toml)
# and types (mypy, strict on the modules listed there): docs/ARCHITECTURE.md.
lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy

format: deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	@for script in bench/[a-z]*.py; do name=$$(basename $$script .py); \
		echo "== python -m bench.$$name"; $(BIN)/python -m bench.$$name || exit 1; done

clean:
	rm -rf .web .states $(TOOLS) $(VENV)
