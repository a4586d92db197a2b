# The two commands of the README: `make report` and `make test`.
# Both create the local virtual environment (.venv) first; nothing else is needed
# beyond Python 3.11 with pip.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: report test sample lint clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

SAMPLE_EXPORT := data/sample/jira_changelog.json
SAMPLE_CONFIG := data/sample/calibrate.toml

## report: run the main job on the bundled sample, writing under reports/sample/
report: $(INSTALLED)
	$(BIN)/calibrate ingest $(SAMPLE_EXPORT) --config $(SAMPLE_CONFIG) --out reports/sample/tickets.csv
	$(BIN)/calibrate fit $(SAMPLE_EXPORT) --config $(SAMPLE_CONFIG) --out reports/sample/multipliers.json

## test: set up and run the whole test suite
test: $(INSTALLED)
	$(BIN)/python -m pytest

## sample: regenerate the bundled synthetic sample (deterministic)
sample: $(INSTALLED)
	$(BIN)/python -m calibrate.synth data/sample

lint: $(INSTALLED)
	$(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) reports/sample .pytest_cache
