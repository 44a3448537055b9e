# Two commands for a newcomer:  `make run`  and  `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run` installs the app alone; `make test` also the dev, server, pdf and postgres extras.
APP_STAMP := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(APP_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $(APP_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev,server,pdf,postgres]"
	touch $(TEST_STAMP) $(APP_STAMP)

## Set up and start the app on the local ledger (demo data offered when it is empty).
run: $(APP_STAMP)
	$(BIN)/yibao $(ARGS)

## Set up and run every check: ruff, the import contracts, mypy, the test suite.
test: $(TEST_STAMP)
	$(BIN)/ruff check yibao_tui tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy yibao_tui
	$(BIN)/python -m pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check yibao_tui tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy yibao_tui

bench: $(TEST_STAMP)
	$(BIN)/python bench/bench_ledger.py --persons 100000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
