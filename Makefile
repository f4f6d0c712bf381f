# lifeworld.production — the two commands of the README are `make demo` and `make test`; the rest are their parts.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
STATE ?= .local-stack
PG_BIN := $(lastword $(sort $(wildcard /usr/lib/postgresql/*/bin/initdb)))

.PHONY: help venv postgres tools stack-up stack-down demo test test-unit test-integration lint sanity bench-migration clean

help:
	@echo "make demo   - set everything up, start the local stack, build site.yml against it, show the result"
	@echo "make test   - every test layer: unit, integration (emulator + PostgreSQL), ansible-lint, ansible-test sanity"
	@echo "make stack-up | stack-down | bench-migration | clean"

$(STAMP): requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@# (grep drops this machine's pip notices about absent local index mirrors; pipefail keeps pip's status)
	set -o pipefail; $(PY) -m pip install -q --upgrade pip 2>&1 | { grep -v "is ignored: it is neither" || true; }
	set -o pipefail; $(PY) -m pip install -q -r requirements.txt 2>&1 | { grep -v "is ignored: it is neither" || true; }
	@touch $(STAMP)

venv: $(STAMP)

# The PostgreSQL servers of the local stack (and pg_dump/pg_restore for the migration) come from Debian.
postgres:
	@if [ -n "$(PG_BIN)" ] && command -v psql >/dev/null && command -v pgcopydb >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing PostgreSQL server and client packages..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client postgresql-contrib pgcopydb >/dev/null; \
	else \
	  echo "PostgreSQL is missing. Install it with: sudo apt-get install -y postgresql postgresql-client postgresql-contrib pgcopydb"; exit 1; \
	fi

# Tools that pin their own old dependencies live in their own venvs.
tools: venv
	@scripts/iam-lint --install

stack-up: venv postgres
	@scripts/local-stack up

stack-down:
	@scripts/local-stack down

demo: venv postgres stack-up
	@set -a; eval "$$(scripts/local-stack env)"; set +a; \
	ANSIBLE_CONFIG=$(CURDIR)/ansible.cfg $(VENV)/bin/ansible-playbook -i inventories/local site.yml && \
	$(PY) scripts/show-environment

test: venv postgres tools
	$(PY) -m pytest

test-unit: venv
	$(PY) -m pytest tests/unit

test-integration: venv postgres tools
	$(PY) -m pytest tests/integration

lint: venv
	$(PY) -m pytest tests/quality -k lint

sanity: venv
	$(PY) -m pytest tests/quality -k sanity

bench-migration: venv postgres
	@scripts/bench_migration.sh

clean: stack-down
	rm -rf $(STATE) .pytest_cache
