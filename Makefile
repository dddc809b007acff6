# e-urbanisme: the two commands are `make run` and `make test`; the rest are their parts.
SHELL := /bin/bash
ENV := . scripts/env.sh &&
PY := .venv/bin/python
PORT ?= 8000
export PORT

.PHONY: run stop setup test test-fast lint db-start db-stop demo psql lock bench-inquiry backup restore bench-ogc

run:  ## set everything up and serve the demo on http://127.0.0.1:$(PORT)
	scripts/run.sh

stop:  ## stop what `make run` started, the private database included
	-@[ -f var/run.pid ] && kill $$(cat var/run.pid) 2>/dev/null; rm -f var/run.pid
	scripts/pg.sh stop

setup:  ## install and prepare everything (idempotent)
	scripts/setup.sh

test:  ## set everything up, then run every test
	scripts/setup.sh
	cd frontend && npm test --silent
	$(ENV) .venv/bin/pytest

test-fast:  ## the tests without the browser
	$(ENV) .venv/bin/pytest -m "not browser"

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

db-start:
	scripts/pg.sh start

db-stop:
	scripts/pg.sh stop

psql:
	$(ENV) psql

backup:  ## database + uploaded files to var/backups/ (or FILE=...)
	$(ENV) scripts/backup.sh backup $(FILE)

restore:  ## REPLACES the database and uploaded files with FILE=<archive>
	$(ENV) scripts/backup.sh restore $(FILE)

demo:  ## reload the demo data (DESTROYS the current data of the private database)
	$(ENV) $(PY) backend/manage.py load_demo --replace

lock:  ## re-pin requirements.lock from requirements.in
	python3 -m venv var/lockenv && var/lockenv/bin/pip install -q -r requirements.in \
	  && var/lockenv/bin/pip freeze --exclude-editable > requirements.lock && rm -rf var/lockenv

bench-tiles:  ## tile benchmark (bench/tiles/README.md): ours vs tipg, pygeoapi and raw SQL
	test -x var/benchenv/bin/uvicorn || (python3 -m venv var/benchenv \
	  && var/benchenv/bin/pip install -q -r bench/tiles/requirements.txt)
	$(ENV) $(PY) bench/tiles/bench.py

bench-editing:  ## editing benchmarks (bench/editing/bench.py): import, validation, one-zone save
	$(ENV) $(PY) bench/editing/bench.py

bench-inquiry:  ## the last-day rush (bench/inquiry/rush.py): 50 citizens submit for 60 s
	$(ENV) $(PY) bench/inquiry/rush.py

bench-ogc:  ## OGC API benchmark (bench/ogc/README.md): ours vs stock pygeoapi and tipg, vs raw SQL
	test -x var/benchenv/bin/uvicorn || (python3 -m venv var/benchenv \
	  && var/benchenv/bin/pip install -q -r bench/tiles/requirements.txt)
	$(ENV) $(PY) bench/ogc/bench.py

bench-watch:  ## urban-watch benchmarks (bench/watch): zonal statistics vs rasterstats, disparity suite on 100k cells
	$(PY) bench/watch/zonal.py --repeat 5
	$(PY) bench/watch/disparity.py --cells 100000 --permutations 99
