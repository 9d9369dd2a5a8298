# The one entry point: `make demo`, `make test`, `make dev`, `make lint`, `make bench`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
export UV_PYTHON_DOWNLOADS := never
export VIRTUAL_ENV := $(CURDIR)/$(VENV)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup demo test dev lint format bench clean system-deps

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# Bytecode compiled at install: every process (dg dev, each run, each test) then starts seconds
# sooner, also where PYTHONDONTWRITEBYTECODE keeps Python from caching it.
$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

setup: $(VENV)/.synced  ## Create .venv from the lock file.

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

demo: setup $(DAGSTER_HOME)/dagster.yaml  ## Sample data → every asset → summary.
	python -m batch_platform.demo

dev: setup $(DAGSTER_HOME)/dagster.yaml  ## The Dagster UI and daemon on http://127.0.0.1:3000.
	dg dev --host 127.0.0.1 --port 3000

system-deps:  ## Debian packages the end-to-end tests use (PostgreSQL, Chromium).
	@bash scripts/install-system-deps.sh

test: setup system-deps  ## The whole suite.
	python -m pytest -n 2 --dist loadgroup -q -p no:cacheprovider

lint: setup
	ruff check . && ruff format --check .

format: setup
	ruff check --fix . && ruff format .


bench: setup  ## The platform vs DuckDB SQL vs Polars, side by side (benchmarks/run.py).
	python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf data .venv .tools
