# Candor: `make run` starts it locally with a demo team; `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON313 := $(shell PYENV_VERSION=3.13.0 command -v python3.13 >/dev/null 2>&1 && echo "env PYENV_VERSION=3.13.0 python3.13" || echo python3.13)
DEMO_DIR ?= .candor-demo
HOST ?= 127.0.0.1
PORT ?= 8000

INFRA_VENV := .venv-infra
INFRA_PY := $(INFRA_VENV)/bin/python
# jsii warns on every run that Node.js 20 is past its end of life.
INFRA_ENV := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

.PHONY: run test tools deps build lint typecheck pytest test-js lint-js typecheck-js test-infra bench synth clean deploy pages destroy

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps: $(VENV)/.installed node_modules/.installed

# The CDK toolchain (aws-cdk-lib, cfn-lint, checkov) lives in its own venv,
# away from the app's dependencies; uv installs it in seconds, pip in minutes.
$(INFRA_VENV)/.installed: infra/requirements.txt
	test -x $(INFRA_PY) || $(PYTHON313) -m venv $(INFRA_VENV)
	$(INFRA_PY) -m pip install --quiet uv
	$(INFRA_VENV)/bin/uv pip install --quiet --python $(INFRA_PY) -r infra/requirements.txt
	touch $@

synth: $(INFRA_VENV)/.installed node_modules/.installed
	$(INFRA_ENV) $(INFRA_PY) infra/app.py

test-infra: $(INFRA_VENV)/.installed node_modules/.installed
	$(INFRA_ENV) $(INFRA_PY) -m pytest -q tests/infra --confcutdir=tests/infra

# One stack on AWS (docs/deploy.md). STAGE picks candor-STAGE; ARGS passes
# more options to infra/deploy.py, e.g. ARGS='--parameter ReservedConcurrency=0 --yes'.
STAGE ?= prod
DEPLOY_OPTS = --stage $(STAGE) $(if $(ADMIN_KEY),--admin-key $(ADMIN_KEY)) \
  $(if $(ADMIN_NAME),--admin-name "$(ADMIN_NAME)") $(if $(MANIFEST),--manifest $(MANIFEST))

deploy: deps $(INFRA_VENV)/.installed
	$(INFRA_ENV) $(INFRA_PY) infra/deploy.py deploy $(DEPLOY_OPTS) $(ARGS)

# Rebuild and upload the pages of a deployed stack (after `candor manifest publish`).
pages: deps $(INFRA_VENV)/.installed
	$(INFRA_ENV) $(INFRA_PY) infra/deploy.py pages --stage $(STAGE) $(if $(MANIFEST),--manifest $(MANIFEST)) $(ARGS)

destroy: $(INFRA_VENV)/.installed
	$(INFRA_ENV) $(INFRA_PY) infra/deploy.py destroy --stage $(STAGE) $(ARGS)

build: deps
	node frontend/build.mjs

run: deps
	$(VENV)/bin/candor demo --data-dir $(DEMO_DIR) --host $(HOST) --port $(PORT)

lint: deps
	$(VENV)/bin/ruff check .

typecheck: deps
	$(VENV)/bin/mypy

# The system tools the tests need (chromium, age, gnupg, node): installed
# where we may (root, as in CI), else the run stops here with the command.
tools:
	.ci/tools

# tsx lets node load the TypeScript modules the tests import (as .js, like
# esbuild); .ci/node-test fails the run on a skipped or todo test.
test-js: deps
	.ci/node-test tests/js/

typecheck-js: deps
	npx tsc --noEmit -p tsconfig.json

# eslint (typescript-eslint, strict + type-checked; import-x/no-cycle is the
# import-cycle check) and the formatter's check.
lint-js: deps
	npx eslint frontend/src frontend/build.ts frontend/build-heif.ts frontend/build.mjs tests/js eslint.config.mjs
	npx prettier --check frontend/src frontend/build.ts frontend/build-heif.ts frontend/build.mjs tests/js eslint.config.mjs tsconfig.json .prettierrc.json

pytest: deps
	$(VENV)/bin/python -m pytest -q -n 2 --dist loadgroup

# Unit and API tests on the local backend only: no browser, no servers, no
# large files. `make test` runs everything.
pytest-fast: deps
	CANDOR_TEST_BACKENDS=local $(VENV)/bin/python -m pytest -q -n 2 --dist loadgroup \
	  -m "not slow and not browser" --ignore=tests/browser --ignore=tests/cli \
	  --ignore=tests/store/test_seaweedfs.py --ignore=tests/api/test_fuzz.py \
	  --ignore=tests/test_lambda_package.py

# The fast loop, under a minute: lint, types and unit tests.
check: lint typecheck lint-js typecheck-js pytest-fast

# tools first, so a missing one stops the run before the long suite; every
# pytest run ends with its count of skips and fails on one not allowed
# (tests/support/skips.py).
test: tools
	$(MAKE) --no-print-directory lint typecheck lint-js typecheck-js test-js pytest test-infra

bench: deps
	$(PY) bench/age_throughput.py
	$(PY) bench/api_latency.py
	$(PY) bench/unlock.py
	$(PY) bench/browser_seal.py
	$(PY) bench/load.py
	$(PY) bench/flood.py

clean:
	rm -rf $(VENV) $(INFRA_VENV) node_modules frontend/dist infra/cdk.out infra/build $(DEMO_DIR)
