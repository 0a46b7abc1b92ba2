# One place for every routine command. The README's quick start uses `demo` and `test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo portal test lint bench perf-docs clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "just_workflow needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/just-workflow demo

# The partner portal (examples/portal/) on http://127.0.0.1:8000, two workers; JW_PORTAL_STORE picks the store.
portal: $(STAMP)
	$(BIN)/gunicorn -w 2 --no-control-socket -b 127.0.0.1:8000 --chdir examples/portal 'app:create_app()'

# pytest exits 5 when it collected no test: that is a failure, not a pass.
test: $(STAMP)
	@$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: no tests were collected" >&2; exit 1; fi; exit $$status

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench

# A full benchmark run; docs/performance.md's results sections are rewritten from it.
perf-docs: $(STAMP)
	$(BIN)/python -m bench --write-docs

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache .import_linter_cache
