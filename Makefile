# lexcloud: two commands on a fresh machine.
#   make run   - virtualenv, install, migrate, demo data, then portal + Celery worker + beat + mail sink
#   make test  - virtualenv, install, then the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed

.PHONY: run test install migrate demo lint bench screenshots clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 (apt-get install python3.11 python3.11-venv)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --no-input -v 0

demo: migrate
	$(PY) manage.py seed_demo --printers 100 --lab-agent var/demo-agent

run: demo
	@echo "lexcloud on http://127.0.0.1:8000 (mail sink on 127.0.0.1:1025; simulated lab printers on 127.0.1.1-10 found by the Lab Fleet Agent, its page on http://127.0.0.1:8081; Ctrl-C stops everything)"
	$(VENV)/bin/honcho start -f Procfile

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache
