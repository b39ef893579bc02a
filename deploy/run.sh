#!/usr/bin/env bash
# `make run`: Heron on embedded defaults (SQLite, local files) at http://127.0.0.1:8000.
# With IMAP_HOST set it uses that mail server; otherwise it starts the demo IMAP server.
set -euo pipefail
PY="${PYTHON:-.venv/bin/python}"
export DEBUG="${DEBUG:-1}"
"$PY" manage.py migrate --noinput -v0

demo_pid=""
cleanup() { [ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if [ -z "${IMAP_HOST:-}" ]; then
    export IMAP_HOST=127.0.0.1 IMAP_PORT="${DEMO_IMAP_PORT:-1143}" IMAP_SECURITY=none
    mkdir -p .run
    .venv/bin/pymap --host 127.0.0.1 --port "$IMAP_PORT" --no-tls dict --demo-data \
        >.run/demo-imap.log 2>&1 &
    demo_pid=$!
    for _ in $(seq 50); do
        (echo >/dev/tcp/127.0.0.1/"$IMAP_PORT") 2>/dev/null && break
        kill -0 "$demo_pid" 2>/dev/null || { cat .run/demo-imap.log; exit 1; }
        sleep 0.2
    done
    cat <<MSG

  Heron is starting at http://127.0.0.1:8000
  Demo IMAP server on 127.0.0.1:$IMAP_PORT. Log in with:
      Email address: demouser
      Password:      demopass

MSG
else
    echo "Using the IMAP server at $IMAP_HOST:${IMAP_PORT:-993}"
fi
"$PY" manage.py runserver 127.0.0.1:8000
