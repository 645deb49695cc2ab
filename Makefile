# Đạt chuẩn — the two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
HOST ?= 127.0.0.1
#: Public address printed in certificate QR codes and e-mail links. `make run` sets it from HOST and PORT;
#: a value given in the environment or on the command line wins (set it when HOST is 0.0.0.0 or behind a proxy).
PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
STAMP := $(VENV)/.installed
#: pytest-xdist workers for `make test` (one per core; each has its own in-memory SQLite or its own PostgreSQL database).
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: run test install setup lint translations clean bench serve security test-storage loadtest cluster-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

translations: install
	$(BIN)/pybabel compile -f -d app/translations >/dev/null

## Set up the database (migrate, criteria, units, demo data); safe to repeat.
setup: translations
	$(FLASK) db upgrade
	$(FLASK) criteria check
	$(FLASK) criteria load
	$(FLASK) units load
	$(FLASK) demo seed

run: export PUBLIC_BASE_URL := $(PUBLIC_BASE_URL)
run: setup
	@echo ""
	@echo "  Đạt chuẩn is running at http://$(HOST):$(PORT)/   (Ctrl+C to stop)"
	@echo "  Certificates point to $(PUBLIC_BASE_URL)/verify/…"
	@echo ""
	PUBLIC_BASE_URL='$(PUBLIC_BASE_URL)' $(FLASK) run --host $(HOST) --port $(PORT)

test: translations
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r app
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## Stored files only: the storage backends (local folder, and S3 against a throwaway moto server on a free
## loopback port, started and stopped by the tests), uploads/downloads through both, `flask storage migrate`.
## Part of `make test` too; this is the quick loop for that code.
test-storage: translations
	$(BIN)/python -m pytest -p no:cacheprovider tests/storage $(PYTEST_ARGS)

## Two app nodes for real: PostgreSQL, Redis, an S3 server (moto), two gunicorn nodes and a worker on loopback
## ports (all stopped on exit), then tests/cluster over HTTP. Storage: CLUSTER_STORAGE=local|s3 (see the script).
cluster-test: translations
	scripts/cluster-test.sh $(PYTEST_ARGS)

## Benchmarks (not part of the test suite): reports at 3,321 and 33,210 units on a throwaway PostgreSQL (pages against their
## SQL floor, XLSX of all sections; PASS/MISS per goal), saves against a bare INSERT, one respondent's requests against
## LimeSurvey's figures (issue 15), the citizen survey under load, the public results page, then certificates.
bench: install
	scripts/with-postgres.sh $(BIN)/python bench/rollup.py --units 3321
	scripts/with-postgres.sh $(BIN)/python bench/rollup.py --units 33210 --runs 10
	scripts/with-postgres.sh $(BIN)/python bench/web.py
	scripts/with-postgres.sh $(BIN)/python bench/respondent.py
	scripts/with-postgres.sh $(BIN)/python bench/surveys.py
	scripts/with-postgres.sh $(BIN)/python bench/public.py
	$(BIN)/python bench/certificates.py

## The deadline rush under Locust (not part of `make test` or CI): each profile on its own throwaway PostgreSQL, with gunicorn and
## a throwaway Redis on 127.0.0.1. Profile 1: 114 officials, 10 reviewers, 5 viewers; profile 2: 3,321 units, 1,000 users.
## LOADTEST_PROFILES=1 runs one; LOADTEST_SECONDS bounds each run (defaults 150 and 90).
LOADTEST_PROFILES ?= 1 2
loadtest: install
	@for p in $(LOADTEST_PROFILES); do scripts/with-postgres.sh $(BIN)/python bench/loadtest/run.py $$p || exit 1; done

## Production-style server: gunicorn with gunicorn.conf.py (workers from the CPU count, timeouts, access log).
serve: setup
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

## sqlmap against a local server with a logged-in session (not part of CI; installs sqlmap with apt-get if missing).
security: setup
	scripts/security-scan.sh

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
