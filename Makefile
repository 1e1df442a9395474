# The two quick-start commands of the README: `make demo` and `make test`.
# Both create the project's own virtual environment first, so they work on a
# fresh clone with nothing but Python 3.11 installed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install demo test bench clean

$(BIN)/emis-lod: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/emis-lod

demo: install
	$(BIN)/emis-lod demo

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/bench_build.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
