#!/usr/bin/env bash
# Stop everything deploy/stack/up.sh started. Data stays in .stack/ so the
# next up.sh is quick; `--purge` deletes .stack/ as well.
#
#     bash deploy/stack/down.sh [--purge]
set -euo pipefail

ROOT="$(pwd)"
if [[ ! -f "$ROOT/deploy/stack/down.sh" ]]; then
    echo "down.sh: run me from the repository root (bash deploy/stack/down.sh)" >&2
    exit 2
fi
STACK="$ROOT/.stack"
PGBIN=/usr/lib/postgresql/15/bin
REDIS_PORT=56379

PURGE=0
for arg in "$@"; do
    case "$arg" in
        --purge) PURGE=1 ;;
        -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
        *) echo "down.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done
bash "$ROOT/deploy/cluster/down.sh" || true  # the cluster's frontends use everything below
bash "$ROOT/deploy/workers.sh" down || true   # so do the task-queue workers
bash "$ROOT/deploy/watchers.sh" down || true  # and the change watchers
# Roundcube of `make bench`'s side-by-side step, when BENCH_KEEP_STACK=1 left it running.
[[ ! -d "$STACK/peer" ]] || bash "$ROOT/deploy/peer/roundcube.sh" down || true
# The Cyrus Murder that tests/integration/test_murder.py starts (deploy/stack/murder.sh).
[[ ! -d "$STACK/murder" ]] || bash "$ROOT/deploy/stack/murder.sh" down || true

HELPERS_NAME=down.sh
# shellcheck source=deploy/stack/helpers.sh
. "$ROOT/deploy/stack/helpers.sh"

# stop_dovecot PART DIR: stop the Dovecot whose config and run/ are in DIR.
stop_dovecot() {
    local part="$1" conf="$2/dovecot.conf" pidfile="$2/run/master.pid"
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        if [[ -f "$conf" ]] && command -v doveadm >/dev/null 2>&1 &&
            doveadm -c "$conf" stop >/dev/null 2>&1; then
            # doveadm returns once the master has been signalled; wait for it.
            for _ in $(seq 1 50); do
                [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null || break
                sleep 0.2
            done
            say "$part" "stopped"
        else
            stop_pidfile "$part" "$pidfile" dovecot
        fi
    else
        say "$part" "not running"
    fi
}

stop_pg() {
    local part="$1" dir="$2"
    if [[ -f "$dir/data/postmaster.pid" ]] && [[ -x "$PGBIN/pg_ctl" ]] &&
        (cd "$STACK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1); then
        if (cd "$STACK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null); then
            say "$part" "stopped"
        else
            say "$part" "pg_ctl stop failed"
        fi
    else
        say "$part" "not running"
    fi
}

if [[ -d "$STACK" ]]; then
    # Cyrus's master takes its children (imapd, lmtpd, timsieved) down with it on SIGTERM.
    stop_pidfile cyrus "$STACK/cyrus/run/master.pid" cyrus/bin/master
    stop_pidfile smtp "$STACK/smtp/smtp.pid" smtp_server.py
    stop_pidfile cyrus-smtp "$STACK/cyrus-smtp/smtp.pid" smtp_server.py
    bash "$ROOT/deploy/stack/radicale.sh" down || true
    bash "$ROOT/deploy/stack/mailproxy.sh" down || true

    stop_dovecot dovecot2 "$STACK/dovecot2"
    stop_dovecot dovecot "$STACK/dovecot"

    stop_pidfile s3 "$STACK/s3/moto.pid" moto

    if command -v redis-cli >/dev/null 2>&1 &&
        [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; then
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        for _ in $(seq 1 25); do
            [[ -f "$STACK/redis/redis.pid" ]] && kill -0 "$(cat "$STACK/redis/redis.pid")" 2>/dev/null || break
            sleep 0.2
        done
        say redis "stopped"
    else
        stop_pidfile redis "$STACK/redis/redis.pid" redis-server
    fi

    stop_pg pg-replica "$STACK/pg-replica"
    stop_pg pg-primary "$STACK/pg-primary"
else
    say stack "nothing to stop ($STACK does not exist)"
fi

if ((PURGE)); then
    rm -rf "$STACK"
    say purge "removed $STACK"
fi
