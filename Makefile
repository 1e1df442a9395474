# The two quick-start commands of the README: `make demo` and `make test`.
# Both create the project's own virtual environment first, so they work on a
# fresh clone with nothing but Python 3.11 installed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install demo test bench bench-tools bench-serve clean chromium vendor virtuoso nginx

$(BIN)/emis-lod: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/emis-lod

demo: install nginx
	$(BIN)/emis-lod demo

test: install chromium virtuoso nginx
	$(BIN)/ruff check .
	$(BIN)/mypy loaders endpoint emis_lod profiles
	$(BIN)/python -m pytest

# The browser test (tests/test_browser.py) drives Debian's Chromium with Playwright for Python;
# Playwright's own browser download is never used. Installed here when missing and run as root.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends chromium; \
	else \
		echo "Chromium is missing: the browser test will be skipped. Install it with:" \
		     "sudo apt-get install chromium (or set CHROMIUM=/path/to/chrome)"; \
	fi

# The push test (tests/test_push.py) starts its own Virtuoso Open Source from Debian's
# virtuoso-opensource-7-bin (the server and isql only: no system service, no database of its own).
# Installed here when missing and run as root.
virtuoso:
	@command -v virtuoso-t >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin; \
	else \
		echo "Virtuoso is missing: the Virtuoso push test will be skipped. Install it with:" \
		     "sudo apt-get install virtuoso-opensource-7-bin"; \
	fi

# `emis-lod serve` and `emis-lod cluster` put Debian's nginx in front of their WSGI workers
# (endpoint/front.py); they run it themselves, as the invoking user, with a configuration of their
# own. Installed here when missing (as root), with no service started (policy-rc.d says no).
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		own=; [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; \
			chmod +x /usr/sbin/policy-rc.d; own=1; }; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends nginx; status=$$?; \
		[ -z "$$own" ] || rm -f /usr/sbin/policy-rc.d; exit $$status; \
	else \
		echo "nginx is missing: serve and cluster need it (or --front none). Install it with:" \
		     "sudo apt-get install nginx"; \
	fi

# Rebuilds the query UI's vendored files (endpoint/static/vendor/yasgui) from package-lock.json.
vendor:
	npm ci --no-audit --no-fund
	node scripts/vendor.js

bench: install
	$(BIN)/python bench/bench_build.py

# The serving benchmark's peer and load generator: PyPI's oxigraph server (the `bench` extra) and
# Debian's wrk, installed here when missing (as root; otherwise it says how).
bench-tools: install
	$(BIN)/pip install --quiet -e '.[bench]'
	@command -v wrk >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	else \
		echo "wrk is missing: sudo apt-get install wrk"; exit 1; \
	fi

bench-serve: bench-tools
	$(BIN)/python bench/bench_serve.py --schools 20000

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
