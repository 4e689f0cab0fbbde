# Two commands set everything up on a fresh clone: `make demo` and `make test`.
# Each creates .venv when missing and installs the project with what it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-dev
BASE   := $(VENV)/.installed

.PHONY: test test-fast demo bench lint typecheck services clean install

# The package alone (what `make demo` needs), then the dev tools on top (what `make test` needs).
$(BASE): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	$(VENV)/bin/arabic-dedup warm-up
	touch $(BASE)

$(STAMP): $(BASE)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks tools
	$(PY) -m ruff format --check src tests benchmarks tools

typecheck: $(STAMP)
	$(PY) -m mypy

test: $(STAMP) lint typecheck services
	$(PY) -m pytest -q

# The everyday loop: no servers, no Spark, no browser, nothing slow (markers in tests/conftest.py).
test-fast: $(STAMP)
	$(PY) -m pytest -q -x -m "not redis and not spark and not slow and not browser"

# Real servers for the integration tests: Redis, Java for local Spark, and Chromium for the
# report page's browser tests (Debian's packages; idempotent and quiet when already there).
services:
	sh tools/ensure_redis.sh
	sh tools/ensure_java.sh
	sh tools/ensure_chromium.sh

demo: $(BASE)
	$(PY) tools/demo.py seeds --out build/demo/input
	$(VENV)/bin/arabic-dedup dedup build/demo/input --out build/demo/out

# The benchmarks also run the real datatrove pipeline as an anchor (the `bench` extra).
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
