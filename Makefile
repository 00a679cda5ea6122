# Every developer command lives here. The README's two set-up commands are `make studio`
# and `make test`.
PYTHON ?= python3
PORT ?= 8501

.PHONY: studio install test test-fast setup-tests lint format bench clean constraints

## Install the studio and start it on the built-in defaults (SQLite, the Demo model).
studio: install
	roundtable ui --port $(PORT)

install:
	$(PYTHON) -m pip install --disable-pip-version-check -q -c constraints.txt .

## Install everything the tests need (apt packages included), then run the whole suite.
test: setup-tests
	$(PYTHON) -m pytest

setup-tests:
	bash scripts/setup_test_env.sh

## The suite without the set-up step (for a machine that already ran it).
test-fast:
	$(PYTHON) -m pytest -x -q

lint:
	$(PYTHON) -m ruff check studio tests bench
	$(PYTHON) -m mypy studio

format:
	$(PYTHON) -m ruff format studio tests bench

bench:
	$(PYTHON) bench/engine_overhead.py
	$(PYTHON) bench/sandbox.py
	$(PYTHON) bench/cli_startup.py
	$(PYTHON) bench/ui.py --no-cli
	$(PYTHON) bench/serve.py

## Regenerate constraints.txt from pyproject.toml (the project's own tree, every extra) in a
## fresh temporary venv. Keeps today's pins that still fit; `make constraints UPGRADE=1` re-resolves.
constraints:
	$(PYTHON) scripts/lock_constraints.py

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache test-artifacts
