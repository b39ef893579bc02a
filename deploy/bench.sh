#!/usr/bin/env bash
# `make bench`: start the stack, serve Heron with gunicorn on it, time the hot pages.
# Figures go to stdout and bench/results/latest.json. Bounded: BENCH_REQUESTS per page.
set -uo pipefail
PY="${PYTHON:-.venv/bin/python}"
bash deploy/stack/up.sh || { bash deploy/stack/down.sh; exit 1; }
set -a
# shellcheck disable=SC1091
source .stack/env
set +a
"$PY" manage.py migrate --noinput -v0 || { bash deploy/stack/down.sh; exit 1; }
"$PY" bench/http_bench.py "$@"
status=$?
[ "${BENCH_KEEP_STACK:-0}" = 1 ] || bash deploy/stack/down.sh
exit $status
