# paperlake: `make run` sets everything up and runs the main job; `make test` sets up and runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: setup run test clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

run: setup
	$(BIN)/paperlake ingest samples/pages
	$(BIN)/paperlake tables
	$(BIN)/paperlake query "select title, first_seen_date, last_seen_date, days_seen from papers order by days_seen desc, title limit 10"

test: setup
	$(BIN)/pytest

clean:
	rm -rf data .pytest_cache
