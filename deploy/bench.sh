#!/usr/bin/env bash
# `make bench`: start the stack, serve Heron with gunicorn on it, time it.
#  1. the hot pages of a stack user (bench/http_bench.py → bench/results/latest.json);
#  2. big mailboxes of 1,000, 10,000 and 100,000 messages made in the stack's Dovecot, once
#     (bench/mailboxes.py; kept in .stack/, a few minutes the first time), then every view
#     cold and warm on each (bench/big_bench.py → bench/results.json, bench/results/table.md,
#     bench/results/latency.png).
#  3. side by side with Roundcube on the largest of those mailboxes: Debian's roundcube-core
#     in its best cache configuration, installed and started by deploy/peer/roundcube.sh
#     (about a minute to install the first time), requests alternating with Heron's
#     (bench/peer_bench.py → bench/results/peer.json and a section of table.md; 1–2 min).
#     BENCH_PEERS=0 skips it.
# BENCH_SIZES=1000,10000 limits the sizes; BENCH_KEEP_STACK=1 leaves the stack (and
# Roundcube) running.
# Bounded: BENCH_REQUESTS per page, BENCH_COLD and BENCH_WARM runs per view, at most
# BENCH_VIEW_SECONDS of warm runs per view.
set -uo pipefail
PY="${PYTHON:-.venv/bin/python}"
bash deploy/stack/up.sh || { bash deploy/stack/down.sh; exit 1; }
set -a
# shellcheck disable=SC1091
source .stack/env
set +a
# gunicorn runs with DEBUG off, which refuses the public development key (webmail/checks.py):
# this run's own, unless one is given.
SECRET_KEY="${SECRET_KEY:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')}"
export SECRET_KEY
"$PY" manage.py migrate --noinput -v0 || { bash deploy/stack/down.sh; exit 1; }
# A change watcher on the bench's own Redis database (the stack's watchers serve the
# cluster's): while it vouches for a folder, its warm pages cost no IMAP command.
# BENCH_WATCHER=0 measures without it (every warm page then asks with one NOOP).
if [ "${BENCH_WATCHER:-1}" != 0 ]; then
    "$PY" manage.py watch >.stack/bench-watch.log 2>&1 &
    watch_pid=$!
    trap 'kill "$watch_pid" 2>/dev/null' EXIT
fi
"$PY" bench/http_bench.py "$@"
status=$?
if [ $status = 0 ]; then
    started=$SECONDS
    "$PY" bench/mailboxes.py && "$PY" bench/big_bench.py
    status=$?
    echo "big mailboxes: $((SECONDS - started)) s"
fi
if [ $status = 0 ] && [ "${BENCH_PEERS:-1}" != 0 ]; then
    started=$SECONDS
    bash deploy/peer/roundcube.sh up && "$PY" bench/peer_bench.py
    status=$?
    [ "${BENCH_KEEP_STACK:-0}" = 1 ] || bash deploy/peer/roundcube.sh down
    echo "side by side with Roundcube: $((SECONDS - started)) s"
fi
[ "${BENCH_KEEP_STACK:-0}" = 1 ] || bash deploy/stack/down.sh
exit $status
