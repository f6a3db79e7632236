# Two commands a newcomer types: `make run` and `make test`. Everything else is for us.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench lint setup-app setup-test translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-app

setup-app: $(VENV)/.installed-app translations
setup-test: $(VENV)/.installed-test translations

translations: | $(BIN)/python
	$(BIN)/python manage.py compiletranslations

## make run: the whole system on its embedded default (SQLite, file-system Celery broker, demo data).
run: setup-app
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py seed_demo_schedule
	$(BIN)/python manage.py seed_demo_client
	$(BIN)/python manage.py seed_demo_pay
	$(BIN)/python manage.py seed_demo_certification
	$(BIN)/python manage.py seed_demo_childcare
	./bin/run-embedded

## make test: the whole test suite (browser tests run when /usr/bin/chromium is present).
test: setup-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make bench: the benchmarks in bench/, printed as one table.
bench: setup-test
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
