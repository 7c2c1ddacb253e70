# Two entry points, each installing what it needs on first use:
#   make course   run the course end to end on the embedded synthetic data (no download)
#   make test     run every test: the package's unit tests, the notebooks under nbval, the book
# Finer targets: unit, nbval, book (build + check), notebooks (execute + sync), screenshot.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
BOOK_HTML := _build/html
# The notebooks' stored outputs are those of the synthetic default: never of a real download.
COURSE_ENV := env -u COURSE_DATA -u COURSE_DATASET -u COURSE_PROFILE

.PHONY: install test unit nbval book course notebooks screenshot clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

test: unit nbval book

unit: $(STAMP)
	$(PY) -m pytest

# pytest exits 5 when it collects nothing: skip the step while no notebook exists yet.
nbval: $(STAMP)
ifneq ($(NOTEBOOKS),)
	$(COURSE_ENV) $(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg $(NOTEBOOKS)
else
	@echo "nbval: no notebooks yet"
endif

# The book shows the stored outputs (no execution); warnings are errors; MathJax is vendored where
# npm exists (always in CI), else loaded from its CDN with a notice (.ci/vendor_mathjax.sh).
book: $(STAMP)
	PY=$(PY) .ci/vendor_mathjax.sh _build/book.yml
	$(VENV)/bin/jupyter-book build . --config _build/book.yml --toc toc.yml -W --keep-going --all
	$(PY) .ci/check_book.py $(BOOK_HTML)

SYNTH := data/synth/UCSD_Anomaly_Dataset.v1p2/UCSDsynth/synth.json

course: $(STAMP) $(SYNTH)
	$(VENV)/bin/companion inspect data/synth --dataset synth --json data/synth-report.json
	$(MAKE) notebooks book

# Generated once: `companion synth` refuses to overwrite an existing dataset.
$(SYNTH): | $(STAMP)
	$(VENV)/bin/companion synth data/synth

# Each notebook in order on a fresh kernel, in place; the jupytext .md twins regenerated.
notebooks: $(STAMP)
	$(COURSE_ENV) $(PY) .ci/run_notebooks.py $(NOTEBOOKS)

# Optional (not part of `make test`): a PNG of one chapter in headless Chromium, to eyeball
# math and outputs. Needs Debian's chromium (apt-get install -y chromium).
SCREENSHOT_PAGE ?= notebooks/03_convlstm_cell
SCREENSHOT_SIZE ?= 1280,4200
screenshot:
	.ci/screenshot.sh $(BOOK_HTML)/$(SCREENSHOT_PAGE).html _build/screenshot.png $(SCREENSHOT_SIZE)

clean:
	rm -rf $(VENV) _build _vendor
