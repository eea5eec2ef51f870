# Everything runs from a local virtual environment made from this repository's files alone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo view test lint typecheck unit mlflow-env bench stress clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/branchscope demo

view: $(STAMP)
	$(BIN)/branchscope view traces

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy

# MLflow for the real-backend test, in its own environment cached under .cache/ (minutes on a
# cold cache, a no-op after); the test fails, never skips, if MLflow cannot run.
mlflow-env: $(STAMP)
	$(BIN)/python -m tests.integration.mlflow_env

unit: $(STAMP) mlflow-env
	$(BIN)/python -m pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m benchmarks

stress: $(STAMP)
	BRANCHSCOPE_STRESS=2000 $(BIN)/python -m pytest -m stress

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .cache
