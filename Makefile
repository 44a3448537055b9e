# Two commands for a newcomer:  `make run`  and  `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev,server]"
	touch $(STAMP)

## Set up and start the app on the local ledger (demo data offered when it is empty).
run: $(STAMP)
	$(BIN)/yibao $(ARGS)

## Set up and run every check: ruff, the import contracts, the test suite.
test: $(STAMP)
	$(BIN)/ruff check yibao_tui tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check yibao_tui tests bench
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/bench_ledger.py --persons 100000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
