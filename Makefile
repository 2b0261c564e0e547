# The two commands of bnncc:
#   make demo   set up .venv, compile the bundled digits BNN and compare it with onnxruntime
#   make test   set up .venv with the test extras and run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
JOBS   ?= 2

.PHONY: demo test clean

demo: $(VENV)/.demo-installed
	$(BIN)/python examples/digits/demo.py

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest -n $(JOBS) -q tests

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[demo]"
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

clean:
	rm -rf build .pytest_cache
