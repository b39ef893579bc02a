#!/usr/bin/env bash
# `make test`: start the real service stack, run every test against it, stop the stack.
set -uo pipefail
PY="${PYTHON:-.venv/bin/python}"
bash deploy/stack/up.sh || { bash deploy/stack/down.sh; exit 1; }
bash deploy/browser.sh || { bash deploy/stack/down.sh; exit 1; }
set -a
# shellcheck disable=SC1091
source .stack/env
set +a
"$PY" -m pytest -q "$@"
status=$?
bash deploy/stack/down.sh
exit $status
