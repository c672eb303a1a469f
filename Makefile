# ogi-workflow — `make run` sets up and runs the demo; `make test` sets up and runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint typecheck pytest bench bench-cli bench-registrations bench-scale docs screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/ogi demo
	$(BIN)/ogi --db ogi-demo.db serve

lint: setup
	$(BIN)/ruff check states workflow notifications tests

typecheck: setup
	$(BIN)/mypy

# Every integration test runs on SQLite and on PostgreSQL; the suite is spread over the machine's cores
# (at most 4 workers: each PostgreSQL test holds a database of its own on the test server).
pytest: setup
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4

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

# The browser journeys again, then the user guide's pictures (docs/用户手册.md) from their screenshots.
screenshots: setup
	$(BIN)/python -m pytest -q -p no:xdist tests/e2e
	$(BIN)/python -m tests.e2e.manual_images

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis ogi.db* ogi-demo.db*
