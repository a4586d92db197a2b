# The two commands of the README: `make report` and `make test`.
# Both create the local virtual environment (.venv) first; nothing else is needed
# beyond Python 3.11 with pip.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: report sample-report test sample lint clean system-deps bench fuzz

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

SAMPLE_EXPORT := data/sample/jira_changelog.json
SAMPLE_CONFIG := data/sample/calibrate.toml
SAMPLE_SKILLS := data/sample/skills.csv

## report: run the main job on the bundled sample, writing under reports/latest/ (not in git)
report: $(INSTALLED)
	$(BIN)/calibrate report $(SAMPLE_EXPORT) --config $(SAMPLE_CONFIG) --skills $(SAMPLE_SKILLS) --out reports/latest

## sample-report: regenerate the committed sample report, reports/sample/report.{html,pdf}
## (deliberately: commit the result when the report has changed on purpose)
sample-report: $(INSTALLED)
	$(BIN)/calibrate report $(SAMPLE_EXPORT) --config $(SAMPLE_CONFIG) --skills $(SAMPLE_SKILLS) --out reports/sample

## test: set up and run the whole test suite
test: $(INSTALLED) system-deps
	$(BIN)/python -m pytest

# The browser test drives Debian's chromium; WeasyPrint needs pango. Installed
# with apt when missing (as root, e.g. in CI); otherwise say what to install.
SYSTEM_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! ldconfig -p | grep -q libpangoft2; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "The tests need Debian packages: sudo apt-get install $(SYSTEM_PACKAGES)" >&2; \
	    exit 1; \
	  fi; \
	fi

## bench: regenerate reports/benchmarks.md, its plots and the README's Performance section
bench: $(INSTALLED)
	$(BIN)/python -m benchmarks

## fuzz: the long run of the hostile-input tests (CI runs a bounded number of examples)
fuzz: $(INSTALLED)
	CALIBRATE_FUZZ_PROFILE=long $(BIN)/python -m pytest tests/test_fuzz.py -q --hypothesis-show-statistics

## sample: regenerate the bundled synthetic sample (deterministic)
sample: $(INSTALLED)
	$(BIN)/python -m calibrate.datasets data/sample

lint: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) reports/latest .pytest_cache
