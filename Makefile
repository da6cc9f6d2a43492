# Build/test entry points for bmrisk. Needs only python3, npm and apt on a Debian 12 machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PORT ?= 8000
PYTEST_ARGS ?=

# Pins everything CI tested; optional so a checkout without it can still bootstrap.
CONSTRAINTS := $(wildcard constraints.txt)
PIP_C := $(if $(CONSTRAINTS),-c $(CONSTRAINTS))

# Stamp files: reinstall only when the dependency declarations change, or when a top-level
# package appears (the editable install maps only packages that existed when it ran).
PKG_INITS := $(wildcard */__init__.py */*/__init__.py)
VENV_STAMP := $(VENV)/.stamp-venv
TEST_STAMP := $(VENV)/.stamp-test

CHROMIUM := /usr/bin/chromium
AXE_CORE_VERSION := 4.14.1
AXE_JS := .cache/npm/node_modules/axe-core/axe.min.js

# Root (CI) runs apt directly; everyone else goes through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends

.PHONY: venv serve test-deps browser-deps postgres-deps axe translations test lint docs bench-deps bench clean distclean

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml $(CONSTRAINTS) $(PKG_INITS)
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet $(PIP_C) -e '.[service,research]'
	touch $@

# exec: gunicorn replaces the shell, so SIGTERM/SIGINT reach it directly.
serve: $(VENV_STAMP)
	exec env PORT=$(PORT) $(VENV)/bin/gunicorn -c gunicorn.conf.py "service:create_app()"

test-deps: $(TEST_STAMP) browser-deps postgres-deps axe translations

$(TEST_STAMP): $(VENV_STAMP)
	$(PIP) install --quiet $(PIP_C) -e '.[service,research,test]'
	touch $@

# Debian's Chromium (Playwright cannot download its own browser here) plus CJK fonts
# so Simplified Chinese renders in screenshots; fontconfig provides fc-list for the check.
# (grep without -q: with pipefail, -q's early exit would SIGPIPE fc-list and fail the check.)
browser-deps:
	if [ ! -x $(CHROMIUM) ] || ! fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; then \
	  $(SUDO) apt-get update -q && $(APT_INSTALL) chromium fonts-noto-cjk fontconfig; \
	fi

# Debian's PostgreSQL server: the tests start their own cluster from it (tests/postgres.py, as
# the postgres user when run as root) to test the service against a real PostgreSQL.
postgres-deps:
	if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then \
	  $(SUDO) apt-get update -q && $(APT_INSTALL) postgresql; \
	fi

# axe-core is served to pages from this local file (no CDN access).
axe: $(AXE_JS)

$(AXE_JS):
	npm install --prefix .cache/npm --no-audit --no-fund --loglevel=error axe-core@$(AXE_CORE_VERSION)

# Compile gettext catalogs when the service ships any.
translations: $(VENV_STAMP)
	if [ -n "$$(find service/translations -name '*.po' -print -quit 2>/dev/null)" ]; then \
	  $(VENV)/bin/pybabel compile -d service/translations; \
	fi

test: test-deps
	CHROMIUM_PATH=$(CHROMIUM) AXE_PATH=$(CURDIR)/$(AXE_JS) $(PY) -m pytest $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .

# The configuration table of docs/operations.md, from the settings' declarations.
docs: $(VENV_STAMP)
	$(PY) -m service.settings_doc docs/operations.md

# wrk drives HTTP load in the benchmarks; not needed by the tests.
bench-deps: $(VENV_STAMP)
	command -v wrk >/dev/null || { $(SUDO) apt-get update -q && $(APT_INSTALL) wrk; }

bench: bench-deps
	for f in benchmarks/bench_*.py; do \
	  [ -e "$$f" ] || continue; \
	  echo "== $$f"; $(PY) "$$f"; \
	done

clean:
	rm -rf build dist *.egg-info .pytest_cache .hypothesis test-artifacts
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Also drops the venv and npm cache (next `make test` reinstalls everything).
distclean: clean
	rm -rf $(VENV) .cache
