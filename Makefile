# Two entry points, each installing what it needs on first use:
#   make course   run the course end to end on the embedded synthetic data (no download)
#   make test     run every test: the package's unit tests and the notebooks under nbval
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test course clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

course: $(STAMP)
	$(VENV)/bin/companion synth data/synth
	$(VENV)/bin/companion inspect data/synth --dataset synth --json data/synth-report.json

clean:
	rm -rf $(VENV) _build
