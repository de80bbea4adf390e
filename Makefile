# paperlake: `make run` sets everything up and runs the main job; `make test` sets up and runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: setup run test clean bench bench-smoke

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

# The daily flow over the sample days, fetched over HTTP from a local replay of samples/ (no internet).
run: setup
	$(BIN)/python -m paperlake.demo

test: setup
	$(BIN)/pytest

# The performance benchmark (README "Performance"): synthetic feeds, every workload, the floor;
# prints a markdown table and writes bench/results/latest.json. Hours on 2 cores: the ten-year arXiv
# backfill alone is about 26 times the one-year one (9 minutes on a quiet machine), so about four.
bench: setup
	$(BIN)/python -m bench.run

# The same at a few days (what tests/test_bench_smoke.py runs in CI): seconds, no timing meant.
bench-smoke: setup
	$(BIN)/python -m bench.run --smoke --out bench/results/smoke.json

clean:
	rm -rf data .pytest_cache
