# Driftboard: two commands on a fresh machine.
#   make run   - create .venv, install the runtime dependencies, start the dashboard on the demo data
#   make test  - create/update .venv with dev extras, ruff, mypy on drift_core, the whole pytest suite
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
RUNTIME := $(VENV)/.runtime
PORT ?= 8501

.PHONY: run test lint typecheck pytest venv browser bench calibrate demo clean fuzz

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $(STAMP) $(RUNTIME)

# runtime dependencies only (what `make run` needs): no pytest, mypy, playwright, ipykernel
$(RUNTIME): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $(RUNTIME)

venv: $(STAMP)

# Debian's chromium for the browser tests (Playwright's own browser download cannot work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: run 'sudo apt-get install -y chromium'" >&2; exit 1; fi; }

run: $(RUNTIME)
	$(PY) -m drift_core.cli demo --db data/demo.db --if-missing
	$(VENV)/bin/streamlit run dashboard/app.py --server.port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check drift_core dashboard tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy drift_core

# two workers (pytest-xdist): one per core; the browser test's waits scale with the measured load.
# Whole files per worker, in the order tests/conftest.py sets (the browser journey first, then larger
# files first): module fixtures are built once, and the journey runs alongside the rest (97 -> 91 s).
# PYTHONDONTWRITEBYTECODE is emptied because this machine's environment sets it: every xdist worker,
# CLI subprocess and streamlit server then recompiled drift_core, dashboard and the tests, and pytest
# re-rewrote every assert (collection 8.2 s -> 4.6 s of CPU per worker); __pycache__ is git-ignored.
pytest: $(STAMP) browser
	PYTHONDONTWRITEBYTECODE= $(VENV)/bin/pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=15 --doctest-modules drift_core tests

test: lint typecheck pytest

# The long fuzz run: FUZZ_EXAMPLES mutated files through every reader (FUZZ_SEED=S to replay one run).
FUZZ_EXAMPLES ?= 5000
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest -q -s -m fuzz tests/test_fuzz.py

# Every input path against the single-pass limit (table on stdout, JSON in benchmarks/results/bench.json);
# BENCH_ARGS="--scale 0.1" for a quick run. Then the in-memory and compare_profiles micro-benchmarks.
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) benchmarks/bench.py $(BENCH_ARGS)
	$(PY) benchmarks/profile_speed.py
	$(PY) benchmarks/compare_speed.py

calibrate: $(STAMP)
	$(PY) benchmarks/calibration.py

clean:
	rm -rf $(VENV) tests/artifacts .pytest_cache .mypy_cache .ruff_cache
