# Two commands for a fresh machine with Python 3.11 and pip:
#   make run   - create .venv, install everything, start the dashboard on the bundled data
#   make test  - create .venv, install everything (and Chromium for the browser tests), run all tests
# More: make check (fast tests: no slow, no browser), make lint (ruff + mypy), make bench.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check browser bench lint

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,scale]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/papertrends serve

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: $(STAMP) browser
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest

check: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -m "not slow and not browser" -q

lint: $(STAMP)
	$(BIN)/ruff check analysis dashboard tests bench
	$(BIN)/mypy analysis dashboard

bench: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_trends.py
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_topics.py
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_dashboard.py
