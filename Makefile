# Two commands: `make book` builds the site, `make test` runs every check.
# Each creates .venv from requirements.txt on first use; nothing else is
# installed by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LAB_STAMP := $(VENV)/.lab-stamp

# Python 3.11 kernels print a debugger warning about frozen modules to stderr;
# stderr fails both nbval and the book build, so switch that check off.
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# Keep hypothesis's example database out of the work tree.
export HYPOTHESIS_STORAGE_DIRECTORY := $(CURDIR)/.venv/.hypothesis
# Python keeps the bytecode it compiles in one tree inside .venv, not in
# __pycache__ folders beside the sources. With PYTHONDONTWRITEBYTECODE set in
# the shell, every process (each notebook kernel, each test worker) would
# compile every module it imports from source again: 1.5 s of each chapter's
# 5 s here, for numpy, matplotlib and convattn. So make's commands write it.
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache

# Browser libraries the site serves itself (MathJax), pinned in
# package-lock.json and installed from the npm registry into _build/web_assets
# (never committed; tools/offline_assets.py copies them into the site).
WEB_DIR   := _build/web_assets
WEB_STAMP := $(WEB_DIR)/.installed-stamp
# The browser test drives Debian's Chromium; Playwright never downloads one.
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM

.PHONY: all book test lint unit notebooks browser chromium web-assets student lab execute clean help \
	student-test notebooks-and-students book-student slides pdf pdf-test browser-kit kit kit-checks lab-student \
	test-graph test-unit test-book test-kit-builds test-browser test-pdf screenshots

help:
	@echo "make book   build the HTML book into _build/html"
	@echo "make test   ruff, unit + property + doctests, nbval over book/ (with the student notebooks), the book build, the browser test, the teaching kit's builds and checks"
	@echo "make notebooks  nbval over book/; stamps the notebooks it accepts (the book is built only from those)"
	@echo "make student-test  run every student notebook (solutions removed) top to bottom"
	@echo "make browser  check the built site in headless Chromium (offline, no kernel)"
	@echo "make screenshots  the browser test, saving full-page screenshots of every page (light, dark, 390 px) in _build/screenshots"
	@echo "make student  write student notebooks (no solutions, plain Markdown, self-checks) into student/"
	@echo "make book-student  build the student edition of the site (no solutions) into _build/student/html"
	@echo "make slides  one reveal.js deck per chapter into _build/slides (offline)"
	@echo "make pdf    the whole book as _build/pdf/book.pdf (Chromium), then check it"
	@echo "make browser-kit  quizzes, student edition and decks in headless Chromium"
	@echo "make kit    all of the teaching kit's builds and checks (after make book)"
	@echo "make kit-checks  the kit without the student-notebook run (part of make test)"
	@echo "make lab    open JupyterLab (with jupyterlab-myst) on book/"
	@echo "make lab-student  open JupyterLab on the student notebooks in student/"
	@echo "make execute  re-run every notebook in book/ and store its outputs"
	@echo "make clean  remove _build and .venv"

# --no-compile: pip would compile every module of every package to bytecode
# (half of the install's time); Python compiles, once, the modules that are
# actually imported, and keeps their bytecode in .venv/pycache.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.txt
	@# The first matplotlib import on a new machine builds the font cache and
	@# says so on stderr, which would fail the first notebook: do it here.
	$(BIN)/python -c "import matplotlib.pyplot"
	@touch $(STAMP)

$(WEB_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "ERROR: npm is needed to install the book's browser libraries (Debian: apt-get install -y npm)" >&2; exit 1; }
	@mkdir -p $(WEB_DIR)
	cp package.json package-lock.json $(WEB_DIR)/
	cd $(WEB_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(WEB_STAMP)

web-assets: $(WEB_STAMP)

# ---- One execution: the site shows the outputs nbval checked ----
# The book is rendered from the outputs stored in the notebooks
# (_config.yml: execute_notebooks "off"), never by executing them again. Rule:
# it is built only from notebooks whose stored outputs nbval accepted with the
# current code. tools/nbstamps.py keeps a stamp per accepted notebook in
# _build/nbval-stamps (a hash of the notebook, convattn/ and requirements.txt;
# never committed). `make book` runs nbval on the notebooks without a fresh
# stamp (all of them on a fresh clone) and refuses, naming them and the
# command that fixes them, if nbval rejects any. tests/test_notebooks.py
# checks the rule.
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
# nbval hands each worker whole notebooks in the order given: chapter 9,
# which trains models and takes longest, goes first, so that the other worker
# runs the rest meanwhile and neither waits for it at the end.
LONGEST   := book/09_inductive_bias.ipynb
NB_ORDER  := $(filter $(LONGEST),$(NOTEBOOKS)) $(filter-out $(LONGEST),$(NOTEBOOKS))
# The checks run on two workers (pytest -n 2), so each keeps numpy's matrix
# library to one thread: two threads per worker on two cores would only wait
# for each other (the outputs are the same; nbval checks them).
ONE_THREAD := OPENBLAS_NUM_THREADS=1
NBVAL := $(ONE_THREAD) PYTHONPATH=$(CURDIR)/tools $(BIN)/python -m pytest -p nbstamps -p nbblas --nbval -q -p no:cacheprovider
STUDENT_RUNS := tests/test_student.py::test_the_student_notebook_runs_top_to_bottom

book: $(STAMP) $(WEB_STAMP)
	$(ONE_THREAD) $(BIN)/python tools/nbstamps.py ensure $(NOTEBOOKS)
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	@echo "Built: $(CURDIR)/_build/html/index.html"

# nbval over every chapter (re-executes each once and compares every output),
# stamping those it accepts.
notebooks: $(STAMP)
	$(NBVAL) $(NB_ORDER) -n 2 --dist loadfile --no-loadscope-reorder

# Each student notebook (solutions removed) runs top to bottom, once.
student-test: $(STAMP)
	$(ONE_THREAD) $(NICE) $(BIN)/python -m pytest $(STUDENT_RUNS) -n 2 -q -p no:cacheprovider

# `make test` runs both in one pytest session: the student notebooks, one
# file, go to one worker, the chapters (as long in all) to the other.
notebooks-and-students: $(STAMP)
	$(NBVAL) $(STUDENT_RUNS) $(NB_ORDER) -n 2 --dist loadfile --no-loadscope-reorder
# ---- end of the one-execution block ----

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Unit, property and doctests; the student notebooks run in their own target.
UNIT_WORKERS ?= 2
unit: $(STAMP)
	$(ONE_THREAD) $(NICE) $(BIN)/python -m pytest tests convattn --doctest-modules -n $(UNIT_WORKERS) -q --deselect $(STUDENT_RUNS)

chromium:
	@test -x "$(CHROMIUM)" || { \
	  echo "Chromium is missing at $(CHROMIUM): installing Debian's package"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; \
	  else \
	    echo "ERROR: cannot install Chromium here (needs root and apt-get)." >&2; \
	    echo "Run 'sudo apt-get install -y chromium', or set CHROMIUM=/path/to/chromium." >&2; \
	    exit 1; \
	  fi; }
	@test -x "$(CHROMIUM)" || { echo "ERROR: still no Chromium at $(CHROMIUM)" >&2; exit 1; }

# Needs the built site (`make book`, which `make test` runs first).
browser: $(STAMP) chromium
	$(BIN)/python -m pytest tests/browser/check_site.py -n 2 -q -p no:cacheprovider

# The same checks, saving a full-page screenshot of every page in each of its
# three looks, for reviewing the figures as readers see them. They check
# nothing and cost about a third of the run, so `make test` takes none.
screenshots: $(STAMP) chromium
	SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser/check_site.py -n 2 -q -p no:cacheprovider

student: $(STAMP)
	$(BIN)/python tools/make_student.py book student

book-student: $(STAMP) $(WEB_STAMP)
	$(NICE) $(BIN)/python tools/build_edition.py student

slides: $(STAMP) $(WEB_STAMP)
	$(NICE) $(BIN)/python tools/make_slides.py book _build/slides

# Prints the built site (`make book`, run here first if it is missing).
pdf: $(STAMP) chromium
	@test -f _build/html/index.html || $(MAKE) --no-print-directory book
	$(BIN)/python tools/make_pdf.py
	$(MAKE) --no-print-directory pdf-test

pdf-test: $(STAMP)
	$(BIN)/python -m pytest tests/check_pdf.py -q -p no:cacheprovider

# Needs the built site (`make book`), the student edition and the decks.
browser-kit: $(STAMP) chromium
	$(BIN)/python -m pytest tests/browser/check_kit.py -q -p no:cacheprovider

# The teaching kit's builds and checks, after `make book`: the student
# edition, the decks, the PDF (checked by pdf-test) and the browser test of
# quizzes, student edition and decks. `make test` runs them.
kit-checks: book-student slides pdf browser-kit

kit: student-test kit-checks

# `make test` runs every check as a graph of jobs on both cores (make -j2),
# with about as many busy processes as there are cores (more do not finish
# the run sooner: after the set-up both cores are busy to the end).
# - nbval and the student notebooks run in one pytest session on two
#   workers: one takes the student notebooks (one file), the other the
#   chapters, chapter 9 first;
# - beside it, on one worker and at a lower priority ($(NICE)), the unit
#   tests;
# - then the book (from the stamps nbval left) and, beside it, the student
#   edition and the decks; nbval's last minutes and the book's build each
#   keep one core busy, so these two fill the other;
# - after them the browser checks and the PDF side by side.
# Each job's output is printed in one piece when it ends (--output-sync).
# $(NICE) does not reach the notebook kernels: Jupyter starts each in a
# session of its own, and where the kernel groups sessions for scheduling
# (sched_autogroup) a kernel's niceness counts only inside its group.
TEST_JOBS ?= 2
NICE ?=
# The set-up's three parts (Python packages, npm packages, Chromium) are
# independent: they run side by side too.
test:
	$(MAKE) --no-print-directory -j3 --output-sync=target $(STAMP) $(WEB_STAMP) chromium
	$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target test-graph NICE="nice -n 10"

test-graph: lint test-browser test-pdf
test-unit:
	$(MAKE) --no-print-directory unit UNIT_WORKERS=1
test-book: notebooks-and-students
	$(MAKE) --no-print-directory book
# The kit's builds read no stored output: they wait for nbval only so as to
# run beside the book's build (above).
test-kit-builds: notebooks-and-students
	$(MAKE) --no-print-directory book-student slides
# The site's checks and the kit's in one pytest session on two workers.
test-browser: test-book test-kit-builds test-unit
	$(BIN)/python -m pytest tests/browser/check_site.py tests/browser/check_kit.py -n 2 -q -p no:cacheprovider
test-pdf: test-book
	$(NICE) $(BIN)/python tools/make_pdf.py
	$(NICE) $(MAKE) --no-print-directory pdf-test

$(LAB_STAMP): requirements-lab.txt $(STAMP)
	$(PIP_INSTALL) -r requirements-lab.txt
	@touch $(LAB_STAMP)

lab: $(LAB_STAMP)
	$(BIN)/jupyter lab book

lab-student: student $(LAB_STAMP)
	$(BIN)/jupyter lab student

execute: $(STAMP)
	$(BIN)/python tools/run_notebooks.py book/*.ipynb

clean:
	rm -rf _build $(VENV) .pytest_cache .ruff_cache student
