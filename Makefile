# Two commands on a fresh machine with only Python 3.11 and make:
#   make demo   -- install the analyzer in .venv and open the demo dashboard (report without a TTY)
#   make test   -- install everything in .venv, then ruff, mypy --strict, import-linter, pytest
# Targets re-install only when pyproject.toml changed (stamp files in .venv).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck imports pytest bench clean help

help:
	@echo "make demo    install .[analyzer] in $(VENV) and run 'lambdascope demo'"
	@echo "make test    install .[analyzer,dev] in $(VENV); ruff, mypy --strict, import-linter, pytest"
	@echo "make bench   run the benchmarks; figures go to benchmarks/results/*.json"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.analyzer-installed: pyproject.toml | $(PY)
	$(PIP) install -e '.[analyzer]'
	@touch $@

$(VENV)/.dev-installed: pyproject.toml | $(PY)
	$(PIP) install -e '.[analyzer,dev]'
	@touch $(VENV)/.analyzer-installed $@

demo: $(VENV)/.analyzer-installed
	$(BIN)/lambdascope demo

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check lambdascope analyzer tests benchmarks
	$(BIN)/ruff format --check lambdascope analyzer tests benchmarks

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy --strict lambdascope analyzer

imports: $(VENV)/.dev-installed
	$(BIN)/lint-imports

# pytest exits 5 when a selection ran no tests; that is not a failure.
pytest: $(VENV)/.dev-installed
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest: no tests were selected"; exit 0; fi; exit $$rc

test: lint typecheck imports pytest

# Byte-compile first: the anchors in site-packages have .pyc files, an editable install may not
# (PYTHONDONTWRITEBYTECODE), and recompiling would count against lambdascope's cold start.
bench: $(VENV)/.dev-installed
	$(PY) -m compileall -q lambdascope analyzer
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
