# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint test-faults bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# One machine, embedded defaults (SQLite + filesystem broker under ./var), demo data.
run: $(STAMP)
	MONITOR_ALLOWED_NETWORKS=$${MONITOR_ALLOWED_NETWORKS:-127.0.0.1/32} $(BIN)/sanctions-monitor up --demo

lint: $(STAMP)
	$(BIN)/ruff check monitor workers tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP) lint
	$(BIN)/pytest -q -m "not faults"

test-faults: $(STAMP)
	$(BIN)/pytest -q -m faults tests/faults

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
