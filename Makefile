# lifeworld.production — the two commands of the README are `make demo` and `make test`; the rest are their parts.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
STATE ?= .local-stack
PG_BIN := $(lastword $(sort $(wildcard /usr/lib/postgresql/*/bin/initdb)))

.PHONY: help venv system-packages postgres stack-up stack-down demo test test-unit test-integration lint sanity test-migration test-resilience bench-migration molecule test-quick clean

help:
	@echo "make demo   - set everything up, start the local stack, build site.yml against it, show the result"
	@echo "make test   - every test layer: unit, integration (emulator + PostgreSQL), ansible-lint, ansible-test sanity"
	@echo "make test-quick - the inner loop: unit, ansible-lint, ansible-test sanity, the network tier's converge"
	@echo "make molecule - every molecule scenario (extensions/molecule), two side by side; one: molecule test -s vpc"
	@echo "make stack-up | stack-down | bench-migration | clean"

$(STAMP): requirements.txt requirements-test.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@# (grep drops this machine's pip notices about absent local index mirrors; pipefail keeps pip's status)
	set -o pipefail; $(PY) -m pip install -q --upgrade pip 2>&1 | { grep -v "is ignored: it is neither" || true; }
	set -o pipefail; $(PY) -m pip install -q -r requirements-test.txt 2>&1 | { grep -v "is ignored: it is neither" || true; }
	@touch $(STAMP)

venv: $(STAMP)

# From Debian: the PostgreSQL servers of the local stack (and pg_dump/pg_restore for the migration), pgcopydb
# for the migration benchmark, graphviz for the environment diagram.
DEB_PACKAGES := postgresql postgresql-client postgresql-contrib pgcopydb graphviz
system-packages:
	@if [ -n "$(PG_BIN)" ] && command -v psql >/dev/null && command -v pgcopydb >/dev/null && command -v dot >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing $(DEB_PACKAGES)..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PACKAGES) >/dev/null; \
	else \
	  echo "Missing system packages. Install them with: sudo apt-get install -y $(DEB_PACKAGES)"; exit 1; \
	fi

postgres: system-packages

stack-up: venv postgres
	@LWO_PYTHON=$(abspath $(PY)) scripts/local-stack up

stack-down:
	@LWO_PYTHON=$(abspath $(PY)) scripts/local-stack down

# `make demo` rehearses the plan's Migration Process on the local stack (scripts/local_stack/rehearsal.py): site.yml,
# the release stand-ins, preflight, the migration (its own step, never part of site.yml, which AWX re-runs: the first
# demo migrates, later demos verify the migrated database again), verify, where the site's name points, the DR drill,
# the diagram, what exists. The stand-ins give the emulator what a real account has after a release (images in ECR,
# tasks behind the ALB, this minute's CloudWatch figures, an answering /api/health), so the pre- and post-migration
# checklists run for real: scripts/local_stack/standins.py. It ends with <state>/rehearsal/report.md: per step of the
# plan what ran, its time and result (steps it cannot run named with the reason), both checklists, the migration's
# verification, the DR drill's recovery point and time, the diagram.
demo: venv postgres stack-up
	@set -a; eval "$$(scripts/local-stack env)"; set +a; export ANSIBLE_CONFIG=$(CURDIR)/ansible.cfg; \
	$(PY) -m scripts.local_stack.rehearsal --state-dir "$${LWO_STATE_DIR:-$(STATE)}"

test: venv postgres
	$(PY) -m pytest

# The inner loop: unit tests, ansible-lint, ansible-test sanity, ansible-doc and one real converge (the network tier
# against the emulator: check mode on empty, converge, second run changed=0, check mode on converged). No PostgreSQL.
QUICK := tests/unit tests/quality tests/integration/test_network.py
test-quick: venv
	$(PY) -m pytest $(QUICK)

test-unit: venv
	$(PY) -m pytest tests/unit

test-integration: venv postgres
	$(PY) -m pytest tests/integration

lint: venv
	$(PY) -m pytest tests/quality -k lint

sanity: venv
	$(PY) -m pytest tests/quality -k sanity

test-migration: venv postgres
	$(PY) -m pytest tests/integration/migration

# The resilience tests against the whole site.yml instead of the network tier: four whole-site builds side by side,
# one per pytest-xdist worker (slow: docs/reliability.md).
test-resilience: venv
	LWO_RESILIENCE_TAGS= $(PY) -m pytest -n 4 --dist loadgroup tests/integration/test_resilience.py

# One molecule scenario per role (extensions/molecule), each on its own emulator: through pytest (tests/molecule), so
# they run side by side (MOLECULE_JOBS, 2 by default) and each idempotence step is checked for changed=0.
MOLECULE_JOBS ?= 2
molecule: venv postgres
	$(PY) -m pytest -p no:cacheprovider -n $(MOLECULE_JOBS) --dist loadgroup tests/molecule

bench-migration: venv postgres
	@scripts/bench_migration.sh

clean: stack-down
	rm -rf $(STATE) .pytest_cache
