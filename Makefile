# Two entry points, each installing what it needs on first use:
#   make course   run the course end to end on the embedded synthetic data (no download)
#   make test     run every test: the package's unit tests, the notebooks under nbval, the book,
#                 the course in JupyterLab driven by a real browser
# Finer targets: unit, nbval, book (build + checks), browser, notebooks (execute + sync), exercises
# (learner copies without the solutions), screenshot.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
BOOK_HTML := _build/html
# The notebooks' stored outputs are those of the synthetic default: never of a real download.
COURSE_ENV := env -u COURSE_DATA -u COURSE_DATASET -u COURSE_PROFILE

.PHONY: install test unit nbval nbval-portable book browser course exercises other-data notebooks reference-models screenshot clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

test: unit nbval nbval-portable book other-data browser

unit: $(STAMP)
	$(PY) -m pytest

# The notebooks' stored outputs, checked twice: as the machine runs them, and with PyTorch's generic
# kernels on one thread (another CPU, another thread count: the outputs must hold on both).
NBVAL := $(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg
PORTABLE_ENV := ATEN_CPU_CAPABILITY=default OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

nbval: $(STAMP)
	$(COURSE_ENV) $(NBVAL) $(NOTEBOOKS)

nbval-portable: $(STAMP)
	$(COURSE_ENV) $(PORTABLE_ENV) $(NBVAL) $(NOTEBOOKS)

# The book shows the stored outputs (no execution); warnings are errors; MathJax and ipywidgets'
# HTML manager (which draws the stored widgets) are vendored where npm exists (always in CI), else
# MathJax comes from its CDN and the widget areas stay empty, with a notice (.ci/vendor_*.sh).
# check_book.py: every toc page, no external script or style in the HTML; check_layout.py: every
# page in headless Chromium (nothing wider than its column, no blank widget, no request to another
# host; skipped with the reason where Chromium is absent) and a PNG of each chapter in
# $(BOOK_ROOT)/_build/screenshots/.
# BOOK_ROOT: the folder holding the book's pages (`make course` builds from its executed copies).
BOOK_ROOT ?= .

book: $(STAMP)
	.ci/vendor_widgets.sh
	PY=$(PY) .ci/vendor_mathjax.sh $(abspath $(BOOK_ROOT))/_build/book.yml
	$(VENV)/bin/jupyter-book build $(BOOK_ROOT) --config $(abspath $(BOOK_ROOT))/_build/book.yml --toc $(abspath $(BOOK_ROOT))/toc.yml -W --keep-going --all
	$(PY) .ci/check_book.py $(BOOK_ROOT)/_build/html
	$(PY) .ci/check_layout.py $(BOOK_ROOT)/_build/html --shots $(BOOK_ROOT)/_build/screenshots

# The whole course on the synthetic default: the notebooks executed as copies in _build/course/
# (never in place: a failed or interrupted run leaves the clone as it was), then the book built
# from those copies into _build/course/_build/html. No per-cell time limit.
COURSE_BUILD := _build/course

course: $(STAMP)
	rm -rf $(COURSE_BUILD)
	$(COURSE_ENV) $(PY) .ci/run_notebooks.py --into $(COURSE_BUILD) $(NOTEBOOKS)
	$(MAKE) book BOOK_ROOT=$(COURSE_BUILD)

# Learner copies of the notebooks in _build/exercises/notebooks/: each exercise's solution replaced
# by "# Your solution here", outputs cleared (.ci/make_exercises.py); tracked files untouched.
exercises: $(STAMP)
	$(PY) .ci/make_exercises.py --into _build/exercises $(NOTEBOOKS)

# The course as a learner sees it (.ci/lab_test.py): JupyterLab from this environment on 127.0.0.1,
# driven by headless Chromium, runs every notebook on a fresh kernel (copies in _build/lab/), finds
# no error output, sees each widget render and notebook 05's sliders change precision, recall and
# the frame; then stops the kernels, JupyterLab and the browser. Screenshots in _build/screenshots/.
# With the default profile, as the stored outputs were made.
# Needs Debian's chromium and chromium-driver (.ci/run installs them); skipped with the reason
# where they are absent.
browser: $(STAMP)
	$(COURSE_ENV) $(PY) .ci/lab_test.py --shots _build/screenshots

# Every notebook, top to bottom, on other data than the default (the outputs are not compared, only
# that each runs without error), with COURSE_PROFILE=quick (2 epochs of each model): the real Ped1
# sample beside the repository (Test clips only; skipped with a notice where it is absent) and a
# synthetic set at Ped2's frame size and clip counts (generated once into _build/ped2-like).
SAMPLE ?= ../shared/data/ucsd-ped1-sample
PED2_LIKE := _build/ped2-like

other-data: $(STAMP)
ifneq ($(wildcard $(SAMPLE)/UCSD_Anomaly_Dataset.v1p2),)
	rm -rf _build/on-sample
	COURSE_PROFILE=quick COURSE_DATA=$(abspath $(SAMPLE)) $(PY) .ci/run_notebooks.py --into _build/on-sample $(NOTEBOOKS)
else
	@echo "other-data: the real Ped1 sample is not at $(SAMPLE) (set SAMPLE=...): skipping that run"
endif
	test -f $(PED2_LIKE)/COMPLETE || { rm -rf $(PED2_LIKE) && $(VENV)/bin/companion synth $(PED2_LIKE) --size 240x360 \
		--train-clips 16 --test-clips 12 --frames 150 && touch $(PED2_LIKE)/COMPLETE; }
	rm -rf _build/on-ped2-like
	COURSE_PROFILE=quick COURSE_DATA=$(abspath $(PED2_LIKE)) $(PY) .ci/run_notebooks.py --into _build/on-ped2-like $(NOTEBOOKS)

# Maintainers: re-execute the committed notebooks on the synthetic default and store their outputs
# (each .ipynb replaced only once it ran completely; its jupytext .md twin regenerated).
notebooks: $(STAMP)
	$(COURSE_ENV) $(PY) .ci/run_notebooks.py --refresh $(NOTEBOOKS)

# Maintainers: retrain the reference runs that notebooks 05 and 06 analyse (companion/reference/README.md),
# then `make notebooks`.
reference-models: $(STAMP)
	$(PY) .ci/reference_models.py

# Optional (not part of `make test`): a PNG of one chapter in headless Chromium, to eyeball
# math and outputs. Needs Debian's chromium (apt-get install -y chromium).
SCREENSHOT_PAGE ?= notebooks/03_convlstm_cell
SCREENSHOT_SIZE ?= 1280,4200
screenshot:
	.ci/screenshot.sh $(BOOK_HTML)/$(SCREENSHOT_PAGE).html _build/screenshot.png $(SCREENSHOT_SIZE)

clean:
	rm -rf $(VENV) _build _vendor
