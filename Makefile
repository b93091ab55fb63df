# CertTrack developer commands. See docs/decisions/0001-foundation.md.
#
#   make run      install, start RabbitMQ/PostgreSQL, migrate and run the whole stack
#   make test     install, start RabbitMQ/PostgreSQL, run both test suites
#   make bench    run every benchmark in benchmarks/ (BENCH=rpc: only bench_rpc.py)
#
# Everything installs into .venv; re-running a target is cheap because the
# install step only runs again when a requirements file changes.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.11 is what nameko 2.14 and the pins are tested with.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
VPY    := $(VENV)/bin/python
# Written after a successful install; older than any requirements file => reinstall.
STAMP  := $(VENV)/.installed

.PHONY: help venv install infra migrate run test bench lint clean

help:
	@echo "make install   create .venv and install the pinned requirements (only when they change)"
	@echo "make infra     make sure PostgreSQL, RabbitMQ (+management), Redis and Chromium are there and running"
	@echo "make migrate   create and migrate every service database"
	@echo "make run       start the whole stack (Ctrl-C stops it; REPLICAS=2: two processes of each service)"
	@echo "make test      run the eventlet-patched suite (lib, services) and the plain one (gateway, tests)"
	@echo "make bench     run every benchmark in benchmarks/ (BENCH=rpc runs bench_rpc.py only)"
	@echo "make lint      ruff, when installed"

venv install: $(STAMP)

$(VPY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "CertTrack needs Python 3.11 (set PYTHON=...), found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(VPY) requirements.txt requirements-dev.txt lib/pyproject.toml
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -e lib
	@touch $@

# RabbitMQ, PostgreSQL and Redis around a command: already running, from Debian's
# packages (scripts/ensure_infra.sh), or as throwaway containers through a Docker
# engine, removed when the command ends (deploy/local_infra, decision 0032).
WITH_INFRA := $(VPY) -m deploy.local_infra --

infra: install
	@$(VPY) -m deploy.local_infra

# `make run` is development unless told otherwise: an unset CERTTRACK_ENV means
# production, which refuses the development defaults (docs/decisions/0015).
migrate: install infra
	CERTTRACK_ENV=$${CERTTRACK_ENV:-development} $(VPY) deploy/run_stack.py --migrate-only

# REPLICAS=N starts N processes of each service, as N pods would run them (default 1).
REPLICAS ?= 1
run: install
	CERTTRACK_ENV=$${CERTTRACK_ENV:-development} REPLICAS=$(REPLICAS) $(WITH_INFRA) $(VPY) deploy/run_stack.py

# Tests need a real PostgreSQL (no SQLite fallback), hence STRICT.
test: install
	@STRICT=1 $(WITH_INFRA) scripts/run_tests.sh

bench: install infra
	@scripts/run_benchmarks.sh $(BENCH)

lint: install
	@if $(VPY) -m ruff --version >/dev/null 2>&1; then \
		$(VPY) -m ruff check lib services gateway deploy benchmarks tests; \
	else echo "ruff is not installed in .venv; skipping lint"; fi

clean:
	rm -rf var .pytest_cache
