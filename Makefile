# Two commands on a fresh machine (only Python 3.11, make and git needed):
#   make run    set up and run Hookline on http://127.0.0.1:8000 (SQLite + in-process worker)
#   make test   set up and run the whole test suite (plus lint, types, import rules)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/hookline serve

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/ruff format --check app tests migrations bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Tests spend much of their time waiting on sockets, processes and databases, so three
# workers finish in about a third of the time even on two cores. TEST_WORKERS=0 runs
# them in one process.
TEST_WORKERS ?= 3

test: lint
	$(BIN)/pytest -n $(TEST_WORKERS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
