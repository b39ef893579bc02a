#!/usr/bin/env bash
# `make test`: start the real service stack and the load-balanced cluster on top of it,
# run every test against them, stop both (also when a test run fails or is interrupted)
# and exit with pytest's status.
set -uo pipefail
PY="${PYTHON:-.venv/bin/python}"

# down.sh stops the cluster first, then the stack.
trap 'bash deploy/stack/down.sh' EXIT

# Lint, import order and types first: they need no server and fail in seconds.
"$PY" -m ruff check . || exit 1
"$PY" -m mypy || exit 1
bash deploy/stack/up.sh || exit 1
bash deploy/browser.sh || exit 1
bash deploy/email-corpus.sh || exit 1
if ! bash deploy/cluster/up.sh; then
    echo "test.sh: the cluster (deploy/cluster/up.sh) did not start; see above" >&2
    exit 1
fi
set -a
# shellcheck disable=SC1091
source .stack/env
set +a
"$PY" -m pytest -q --durations=25 "$@"
status=$?
exit $status  # the EXIT trap stops everything on the way out
