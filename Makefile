# ReelMate — the two commands: `make run` (everything, embedded) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5001
# The development targets run with DEBUG on unless the environment says otherwise: the settings
# default to DEBUG off (fail closed), and the embedded default has no SECRET_KEY.
DEV := DEBUG=$${DEBUG:-true}

.DEFAULT_GOAL := help
.PHONY: help install run web worker beat migrate seed test lint format bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

install: $(VENV)/.installed  ## create .venv and install the pinned dependencies

migrate: install  ## apply database migrations
	$(DEV) $(BIN)/python manage.py migrate --noinput

seed: migrate  ## load the starter catalog and the demo staff user (idempotent)
	$(DEV) $(BIN)/python manage.py bootstrap_demo

run: seed  ## set up, then serve the API on $(PORT) with a worker (Ctrl-C stops both)
	$(DEV) PORT=$(PORT) ./bin/run-stack

web: install  ## the web server only (ASGI: HTTP, WebSocket, SSE; reloads on changes)
	$(DEV) $(BIN)/uvicorn reelmate.asgi:application --host 0.0.0.0 --port $(PORT) --reload

worker: install  ## a Celery worker for both queues (default, render)
	$(DEV) $(BIN)/celery -A reelmate worker -Q default,render --concurrency 1 --loglevel INFO

beat: install  ## the Celery beat scheduler
	$(DEV) $(BIN)/celery -A reelmate beat --loglevel INFO --schedule var/celerybeat-schedule

test: install  ## the whole test suite (PostgreSQL and Redis on 127.0.0.1)
	$(BIN)/pytest

lint: install  ## ruff + Django system checks + migrations up to date
	$(BIN)/ruff check .
	$(DEV) $(BIN)/python manage.py check
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff format .

bench: install  ## benchmarks (run by hand; they print their figures)
	$(DEV) $(BIN)/python bench/render.py
	$(DEV) $(BIN)/python bench/visemes.py
	$(DEV) $(BIN)/python bench/events.py
	$(BIN)/python bench/ab_testing.py
	$(DEV) $(BIN)/python bench/live.py

clean:  ## remove local state (SQLite db, media, broker queue)
	rm -rf var
