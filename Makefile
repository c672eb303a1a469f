# ogi-workflow — `make run` sets up and runs the demo; `make test` sets up and runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint typecheck pytest bench bench-cli bench-registrations bench-scale docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/ogi demo

lint: setup
	$(BIN)/ruff check states workflow notifications tests

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

bench: setup
	$(BIN)/python -m tests.bench.run

bench-cli: setup
	$(BIN)/python -m tests.bench.run --only cli

bench-registrations: setup
	$(BIN)/python -m tests.bench.run --only registrations

bench-scale: setup
	$(BIN)/python -m tests.bench.run --only scale

docs: setup
	$(BIN)/python -m states.diagram --write docs/lifecycle.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis ogi.db* ogi-demo.db*
