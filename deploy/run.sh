#!/usr/bin/env bash
# `make run`: Heron on embedded defaults (SQLite, local files) at http://127.0.0.1:8000.
# With IMAP_HOST set it uses that mail server; otherwise it starts the demo IMAP server and
# a demo SMTP server next to it (deploy/demo_smtp.py).
set -euo pipefail
PY="${PYTHON:-.venv/bin/python}"
export DEBUG="${DEBUG:-1}"
# Without Redis, the development server and the change watcher share a cache table.
if [ -z "${REDIS_URL:-}" ]; then
    export HERON_CACHE_TABLE="${HERON_CACHE_TABLE:-heron_cache}"
fi
"$PY" manage.py migrate --noinput -v0
[ -z "${HERON_CACHE_TABLE:-}" ] || "$PY" manage.py createcachetable

demo_pids=()
cleanup() { for pid in "${demo_pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

# Wait until the server started as $1 greets on port $2 with a line starting with $3; show
# its log $4 and stop if it dies first.
await_banner() {
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$2" && read -r -t 2 line <&3 && [[ $line == "$3"* ]]) \
            2>/dev/null && return 0
        kill -0 "$1" 2>/dev/null || { cat "$4"; exit 1; }
        sleep 0.2
    done
    echo "No greeting on 127.0.0.1:$2; see $4" >&2
    exit 1
}

if [ -z "${IMAP_HOST:-}" ]; then
    export IMAP_HOST=127.0.0.1 IMAP_PORT="${DEMO_IMAP_PORT:-1143}" IMAP_SECURITY=none
    export SMTP_HOST=127.0.0.1 SMTP_PORT="${DEMO_SMTP_PORT:-1587}" SMTP_SECURITY=none
    # The demo server keeps no Sieve scripts: Filters says filters are not available.
    export MANAGESIEVE_PORT=0
    # The service login that send later, undo send and snooze act for a user with. The demo
    # IMAP server (pymap's dict backend) lets a login act only for itself: its authorize()
    # wants the "admin" role before one user acts for another, and only its admin service
    # (gRPC, not installed) gives roles. So the one demo user's own login is the service
    # login, acting for itself (SASL PLAIN with itself as authorization identity), and
    # deploy/demo_smtp.py accepts the same. A real site uses a Dovecot master user or a
    # Cyrus proxyserver instead (docs/deploy.md).
    export HERON_SERVICE_USER=demo@heron.demo HERON_SERVICE_PASSWORD=demopass
    mkdir -p .run
    .venv/bin/pymap --host 127.0.0.1 --port "$IMAP_PORT" --no-tls dict --demo-data \
        --demo-user demo@heron.demo \
        >.run/demo-imap.log 2>&1 &
    demo_pids+=($!)
    await_banner $! "$IMAP_PORT" "* OK" .run/demo-imap.log
    "$PY" deploy/demo_smtp.py --port "$SMTP_PORT" --imap-port "$IMAP_PORT" \
        --outbox .run/outbox >.run/demo-smtp.log 2>&1 &
    demo_pids+=($!)
    await_banner $! "$SMTP_PORT" "220" .run/demo-smtp.log
    cat <<MSG

  Heron is starting at http://127.0.0.1:8000
  Demo IMAP server on 127.0.0.1:$IMAP_PORT. Log in with:
      Email address: demo@heron.demo
      Password:      demopass
  Demo SMTP server on 127.0.0.1:$SMTP_PORT: mail to demo@heron.demo lands in its INBOX,
  mail to anyone else is kept in .run/outbox/ (log: .run/demo-smtp.log).

MSG
else
    echo "Using the IMAP server at $IMAP_HOST:${IMAP_PORT:-993}"
fi
# The task queue's worker (undo send, send later, snooze), on the same database; stopped
# with the rest on exit. Its log: .run/worker.log.
mkdir -p .run
"$PY" manage.py heron_worker --interval 1 >.run/worker.log 2>&1 &
demo_pids+=($!)
# The change watcher (webmail/push.py): new mail and other clients' changes show in the
# open list at once. Its log: .run/watch.log.
"$PY" manage.py watch >.run/watch.log 2>&1 &
demo_pids+=($!)
"$PY" manage.py runserver 127.0.0.1:8000
