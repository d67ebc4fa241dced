# entas: two commands set everything up.
#   make demo   virtualenv, install, migrate, regions, demo users, synthetic city, server on 127.0.0.1:8000
#   make test   lint, types, Django checks, the test suite on SQLite and on PostgreSQL (side by side)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Households of the synthetic city make demo generates (Balikpapan has about 250,000 KK).
HOUSEHOLDS ?= 250000
# Data-quality faults in the demo city (1 % of people entered twice, a few invalid rows): something to deduplicate.
FAULTS ?= 0.01
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL used by `make test` when reachable (trust auth on the development machines).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
# Set to 1 to also run the browser tests (Playwright driving Debian's Chromium); .ci/run does.
BROWSER ?= 0
PYTEST_ARGS ?=

.PHONY: demo test install install-dev lint typecheck checks test-sqlite test-postgres test-browser \
        bench messages lock clean test-fast install-spark spark-test

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "entas needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt constraints.txt pyproject.toml
	$(BIN)/pip install --quiet -c constraints.txt -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -c constraints.txt -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The demo runs as production does, on the production server (entas serve: gunicorn), with debug off
# (an error shows entas's error page, never Django's technical one) and the secret key entas generates
# into var/secret_key, but over plain HTTP on this machine (ENTAS_HTTPS=0). Static files are collected
# for whitenoise; seed_demo --force: this is the throw-away installation it is meant for.
demo: export ENTAS_DEBUG = 0
demo: export ENTAS_HTTPS = 0
demo: install
	$(BIN)/entas migrate --noinput
	$(BIN)/entas collectstatic --noinput --verbosity 0
	$(BIN)/entas seed_demo --force --households $(HOUSEHOLDS) --faults $(FAULTS)
	@echo "Starting the background worker and the server on http://$(HOST):$(PORT)/ (Ctrl-C stops both)."
	@$(BIN)/entas worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/entas serve --bind $(HOST):$(PORT)

lint: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	cd src && ../$(BIN)/lint-imports ../pyproject.toml

typecheck: install-dev
	$(BIN)/mypy

checks: install-dev
	$(BIN)/entas check --fail-level WARNING
	$(BIN)/entas makemigrations --check --dry-run

test-sqlite: install-dev
	@echo "== tests on SQLite =="
	ENTAS_DATABASE_URL= $(BIN)/pytest $(if $(filter 1,$(BROWSER)),-m "",) $(PYTEST_ARGS)

test-postgres: install-dev
	@if $(BIN)/python -c 'import psycopg,sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()' "$(TEST_POSTGRES_URL)" 2>/dev/null; then \
	  echo "== tests on PostgreSQL ($(TEST_POSTGRES_URL)) =="; \
	  ENTAS_DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest $(PYTEST_ARGS); \
	else \
	  echo "== PostgreSQL is NOT reachable at $(TEST_POSTGRES_URL): the PostgreSQL run is SKIPPED (set TEST_POSTGRES_URL) =="; \
	fi

# The two database runs are independent (SQLite in memory, PostgreSQL in its own test database): on a
# machine with two cores they run side by side, each one's output printed whole when it ends (TEST_JOBS=1:
# one after the other, output as it comes). Either failing fails `make test`.
TEST_JOBS ?= 2
test: lint typecheck checks
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) $(if $(filter-out 1,$(TEST_JOBS)),--output-sync=target,) test-sqlite test-postgres

# The unit tier: pure functions, no database, in seconds (make test runs every tier).
test-fast: install-dev
	$(BIN)/pytest -m unit -q $(PYTEST_ARGS)

test-browser: install-dev
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

# The optional Spark extra (docs/scaling.md, "From a city to a nation: Spark"): pyspark, about 300 MB,
# which make install and make test leave out; it needs a Java runtime 17+ (Debian: openjdk-17-jre-headless).
# make spark-test installs it and runs the tests marked spark (Spark in local mode, two cores at most).
$(VENV)/.installed-spark: $(VENV)/.installed-dev requirements-spark.txt constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -r requirements-spark.txt
	@touch $@

install-spark: $(VENV)/.installed-spark

spark-test: install-spark
	@command -v java >/dev/null || { echo "Spark needs a Java runtime 17 or newer (apt-get install openjdk-17-jre-headless)"; exit 1; }
	$(BIN)/pytest -m spark tests/spark $(PYTEST_ARGS)

# Each benchmark works in a scratch folder and database of its own and prints the machine; the figures
# of the run end in one table (benchmarks/_summary.py). BENCH=name runs one: make bench BENCH=measures
BENCH ?= *
bench: install-dev
	@results=$$(mktemp); trap 'rm -f $$results' EXIT; \
	for script in benchmarks/$(BENCH).py; do case $$script in */_*) continue;; esac; \
	  echo "== $$script =="; ENTAS_BENCH_RESULTS=$$results $(BIN)/python $$script || exit 1; done; \
	$(BIN)/python benchmarks/_summary.py $$results

messages: install-dev
	cd src/entas && ../../$(BIN)/entas makemessages -l id --no-obsolete && ../../$(BIN)/entas compilemessages -l id

lock: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt -r requirements-spark.txt
	(echo "# Every package entas installs, pinned (pip freeze of requirements.txt + requirements-dev.txt + requirements-spark.txt)."; \
	 echo "# Regenerate: make lock"; $(BIN)/pip freeze --exclude-editable) > constraints.txt

clean:
	rm -rf $(VENV) var/static .pytest_cache .mypy_cache .ruff_cache
