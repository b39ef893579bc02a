#!/usr/bin/env bash
# `make screenshots`: take new reference pictures of the main screens
# (tests/e2e/screens/, compared by tests/e2e/test_screenshots.py in `make test`) and the
# README's pictures (docs/screenshots/). Run it when a change is meant to alter the
# screens; look at the new pictures before committing them.
set -uo pipefail
PY="${PYTHON:-.venv/bin/python}"
trap 'bash deploy/stack/down.sh' EXIT
bash deploy/stack/up.sh || exit 1
bash deploy/browser.sh || exit 1
set -a
# shellcheck disable=SC1091
source .stack/env
set +a
HERON_UPDATE_SCREENSHOTS=1 "$PY" -m pytest -q -p no:cacheprovider tests/e2e/test_screenshots.py
