# Candor: `make run` starts it locally with a demo team; `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON313 := $(shell PYENV_VERSION=3.13.0 command -v python3.13 >/dev/null 2>&1 && echo "env PYENV_VERSION=3.13.0 python3.13" || echo python3.13)
DEMO_DIR ?= .candor-demo
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test deps build lint typecheck pytest test-js bench synth clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps: $(VENV)/.installed node_modules/.installed

build: deps
	node frontend/build.mjs

run: deps
	$(VENV)/bin/candor demo --data-dir $(DEMO_DIR) --host $(HOST) --port $(PORT)

lint: deps
	$(VENV)/bin/ruff check .

typecheck: deps
	$(VENV)/bin/mypy

test-js: deps
	node --test tests/js/

pytest: deps
	$(VENV)/bin/python -m pytest -q -n 2 --dist loadgroup

test: lint typecheck test-js pytest

bench: deps
	$(PY) bench/age_throughput.py
	$(PY) bench/api_latency.py

clean:
	rm -rf $(VENV) node_modules frontend/dist infra/cdk.out $(DEMO_DIR)
