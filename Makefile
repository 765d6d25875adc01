# archgen: `make demo` generates and verifies a project; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# pytest-xdist workers; the end-to-end tests are subprocess-heavy.
WORKERS ?= 2
# `make bench LOAD_ARGS='--seconds 10 --postgres postgresql://... --redis redis://...'`
LOAD_ARGS ?=

.PHONY: install demo dev test lint format bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

demo: install
	rm -rf build/demo
	$(BIN)/archgen new --blueprint ai-saas --out build/demo

# The ai-saas blueprint (FastAPI) in build/dev, its core files symlinked to templates/:
# `cd build/dev && ../../.venv/bin/pytest` runs it; edits to linked files land in templates/.
dev: install
	$(BIN)/python -m archgen.dev --blueprint ai-saas --out build/dev

lint: install
	$(BIN)/ruff check generator tests benchmarks
	$(BIN)/ruff format --check generator tests benchmarks
	$(BIN)/python -m mypy

test: lint
	$(BIN)/pytest -n $(WORKERS) --dist loadgroup

bench: install
	$(BIN)/python benchmarks/render.py
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

format: install
	$(BIN)/ruff check --fix generator tests benchmarks
	$(BIN)/ruff format generator tests benchmarks

clean:
	rm -rf build .pytest_cache .ruff_cache
