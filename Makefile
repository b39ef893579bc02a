# Heron: `make run` to try it, `make test` to test it. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

# The compiled catalogs: rebuilt whenever a .po is newer than its .mo.
MO := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))

.PHONY: setup messages catalogs run services services-down cluster cluster-down test test-unit bench load clean screenshots

$(STAMP): requirements.txt requirements-dev.txt
	@bash deploy/setup-venv.sh $(VENV)
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP) catalogs

catalogs: $(MO)

locale/%.mo: locale/%.po
	@bash deploy/compile-messages.sh

# Gather the strings to translate into locale/*/LC_MESSAGES/*.po (docs/translating.md).
messages: $(STAMP)
	@bash deploy/messages.sh

run: setup
	@bash deploy/run.sh

services: setup
	@bash deploy/stack/up.sh

services-down:
	@bash deploy/stack/down.sh

cluster: services
	@bash deploy/cluster/up.sh

cluster-down:
	@bash deploy/cluster/down.sh

# Capacity: simulated users through nginx with one frontend and with three (bench/load.py).
load: cluster
	@set -a; . .stack/env; set +a; $(PY) bench/load.py

test: setup
	@bash deploy/test.sh

test-unit: setup
	@$(PY) -m pytest tests/unit -q

screenshots: setup
	@bash deploy/screenshots.sh

bench: setup
	@bash deploy/bench.sh

clean: services-down
	rm -rf $(VENV) .stack db.sqlite3 media staticfiles
