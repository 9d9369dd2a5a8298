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

.PHONY: setup demo test dev api lint format bench clean system-deps

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# Bytecode compiled at install: every process (dg dev, each run, each test) then starts seconds
# sooner, also where PYTHONDONTWRITEBYTECODE keeps Python from caching it.
$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

# The project's own modules are compiled too (uv compiles only what it installs): where
# PYTHONDONTWRITEBYTECODE is set, each process would otherwise compile about 200 modules from
# source again (0.5 s of every run, CLI call and code-server start). Only changed files are redone.
setup: $(VENV)/.synced  ## Create .venv from the lock file.
	python -m compileall -q -j 0 batch_platform batch_platform_tests benchmarks > /dev/null

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

demo: setup $(DAGSTER_HOME)/dagster.yaml  ## Sample data → every asset → summary.
	python -m batch_platform.demo

dev: setup $(DAGSTER_HOME)/dagster.yaml  ## The Dagster UI and daemon on http://127.0.0.1:3000.
	dg dev --host 127.0.0.1 --port 3000

api: setup  ## The job API on http://127.0.0.1:8080 (docs at /docs); Dagster must run (make dev).
	batch-platform api --host 127.0.0.1 --port 8080

system-deps:  ## Debian packages the end-to-end tests use (PostgreSQL, Chromium).
	@bash scripts/install-system-deps.sh

test: setup system-deps  ## The whole suite.
	python -m pytest -n 3 --dist loadgroup -q -p no:cacheprovider

lint: setup
	ruff check . && ruff format --check .

format: setup
	ruff check --fix . && ruff format .


bench: setup  ## The platform vs DuckDB SQL vs Polars, side by side (benchmarks/run.py).
	python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf data .venv .tools
