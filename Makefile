# One command runs the app (`make run`), one runs every test (`make test`).
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
# Test processes for the tests that own their clock (engine, console, views): each runs whole
# modules. The tests against a live server at real-time speed-ups (kubectl, the browser) run
# after them in one process, so nothing else competes for the CPU their timing depends on.
TEST_WORKERS ?= 2
LIVE_TESTS := tests/kubeapi tests/browser
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint boundary bench migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/daphne -b 127.0.0.1 -p $(PORT) clusterlab.asgi:application

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

boundary: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_engine_boundary.py

test: lint $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope $(addprefix --ignore=,$(LIVE_TESTS))
	$(BIN)/python -m pytest $(LIVE_TESTS)

bench: $(STAMP)
	$(BIN)/python bench/engine_scale.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
