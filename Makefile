# The commands of bnncc:
#   make demo   set up .venv, compile the bundled digits BNN and compare it with onnxruntime
#   make test   set up .venv with the test extras and run the whole suite
#   make fuzz   the same venv, then a 10,000-case fuzz campaign (FUZZ_CASES=, FUZZ_SEED=, FUZZ_JOBS=,
#               FUZZ_ARGS= override); report in build/fuzz/, exit status 1 if any case failed
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
JOBS   ?= 2
FUZZ_CASES ?= 10000
FUZZ_SEED  ?= 0
FUZZ_JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_ARGS  ?=

.PHONY: demo test fuzz clean

demo: $(VENV)/.demo-installed
	$(BIN)/python examples/digits/demo.py

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest -n $(JOBS) -q tests

fuzz: $(VENV)/.test-installed
	rm -rf build/fuzz/failures && mkdir -p build/fuzz
	$(BIN)/python tests/fuzz/campaign.py --cases $(FUZZ_CASES) --seed $(FUZZ_SEED) --jobs $(FUZZ_JOBS) \
		--json build/fuzz/report.json --save-failures build/fuzz/failures $(FUZZ_ARGS)

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
