# autoserum: two set-up commands, `make demo` and `make test`, that work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
CONSTRAINTS := requirements/constraints.txt
PORT   ?= 8000
PYTEST_WORKERS ?= auto

.PHONY: demo test install install-dev lint typecheck imports pytest services format bench clean venv-check i18n

## venv-check: Python's venv module (with ensurepip) is needed to create .venv.
venv-check:
	@$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || { \
	  echo "make: $(PYTHON) has no working venv module, needed to create $(VENV)."; \
	  echo "  On Debian/Ubuntu install it with:  sudo apt-get install python3-venv"; \
	  echo "  (or run make with PYTHON=/path/to/a/python3.11+ that has it)"; exit 1; }

$(BIN)/python: | venv-check
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip==25.3

$(VENV)/.installed: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(PIP) install -q -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -q -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## demo: install, build the demo studies into demo/ on SQLite, then serve the web app on PORT
## (default 8000, or the next free port).
demo: install
	$(BIN)/python scripts/demo.py --port $(PORT)

## test: install dev dependencies and system services, then lint, type-check and run every test.
test: install-dev services lint typecheck imports pytest

services:
	bash scripts/services.sh

lint:
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

format:
	$(BIN)/ruff check --fix src tests benchmarks scripts
	$(BIN)/ruff format src tests benchmarks scripts

typecheck:
	$(BIN)/mypy

imports:
	$(BIN)/lint-imports

## pytest: every test, spread over PYTEST_WORKERS pytest-xdist processes (default auto: one per
## core; 0 runs one process), a test module (or class) on one worker so that its module
## fixtures are built once (--dist loadscope). Many tests wait on subprocesses, PostgreSQL or
## Chromium, so two workers gain even on two cores (docs/benchmarks.md, "Test suite time").
## One BLAS thread per process: the tests' matrices are small, and threaded OpenBLAS spins on
## a shared machine. PYTEST_ARGS adds pytest options. benchmarks/suite.py runs this target (its
## --workers sets PYTEST_WORKERS), so the suite is timed as it is run here.
pytest:
	[ ! -f .autoserum-services.env ] || . ./.autoserum-services.env; \
	  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
	  $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

## i18n: extract the marked strings (templates, Python, the entity registry) into
## src/autoserum/locale/messages.pot and merge them into every language's messages.po
## (pybabel extract + update through Babel's API; docs/i18n.md). The .po files are read as they
## are at run time: no compile step.
i18n: install
	$(BIN)/python -m autoserum.i18n.extract

bench: install
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache demo/*.db
