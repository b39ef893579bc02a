#!/usr/bin/env bash
# The task-queue workers of the local stack (send later, undo send, snooze): each is
# `manage.py heron_worker` with the frontends' settings, daemonised in its own session,
# its pid in .stack/workers/worker-N.pid and its log beside it.
#
#     bash deploy/workers.sh up [COUNT]   # start worker-1..COUNT (default 1) if not running
#     bash deploy/workers.sh restart [COUNT]  # the same, stopping running ones first, so
#                                         # that they load the code as it is now
#     bash deploy/workers.sh down         # stop every worker (SIGTERM: a send in flight ends)
#     bash deploy/workers.sh kill N       # SIGKILL worker-N, as a crash would (for tests)
#
# `make services` starts one, `make cluster` a second: two workers take jobs from the same
# queue, each job by one of them. They run with a short send lease (HERON_SEND_LEASE_SECONDS)
# and tick, so that the tests which kill one see the other take over in seconds.
set -euo pipefail

# shellcheck source=deploy/cluster/lib.sh
. "$(pwd)/deploy/cluster/lib.sh"
WORKERS="$STACK/workers"
HELPERS_NAME=workers

worker_pidfile() { echo "$WORKERS/worker-$1.pid"; }
worker_alive() { pid_matches "$(worker_pidfile "$1")" "heron_worker"; }

worker_env() {
    ensure_secret_key
    frontend_env
    export HERON_SEND_LEASE_SECONDS="${HERON_SEND_LEASE_SECONDS:-8}"
    export HERON_QUEUE_TICK_SECONDS="${HERON_QUEUE_TICK_SECONDS:-2}"
    export HERON_SEND_RETRY_SECONDS="${HERON_SEND_RETRY_SECONDS:-5}"
}

start_worker() {
    local n="$1" name="worker-$1" pidfile log
    pidfile="$(worker_pidfile "$n")"
    log="$WORKERS/$name.log"
    if worker_alive "$n"; then
        say "$name" "running"
        return 0
    fi
    (
        worker_env
        export HERON_FRONTEND_NAME="$name"
        exec nohup setsid "$PYTHON" manage.py heron_worker --interval 0.5 -v 1
    ) >>"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    sleep 0.5
    worker_alive "$n" || die "$name" "$log" "the worker exited during start"
    say "$name" "started (log $log)"
}

stop_all() {
    for pidfile in "$WORKERS"/worker-*.pid; do
        [[ -e "$pidfile" ]] || continue
        stop_pid "$(basename "$pidfile" .pid)" "$pidfile" heron_worker
    done
}

case "${1:-}" in
    up|restart)
        [[ "$1" == restart ]] && stop_all
        count="${2:-1}"
        mkdir -p "$WORKERS"
        (worker_env && "$PYTHON" manage.py migrate --noinput -v0) >"$WORKERS/migrate.log" 2>&1 ||
            die workers "$WORKERS/migrate.log" "migrate failed"
        for n in $(seq 1 "$count"); do
            start_worker "$n"
        done
        ;;
    down)
        stop_all
        ;;
    kill)
        pidfile="$(worker_pidfile "${2:?which worker}")"
        if worker_alive "$2"; then
            kill -KILL -- "-$(cat "$pidfile")" 2>/dev/null || kill -KILL "$(cat "$pidfile")"
            say "worker-$2" "killed"
        fi
        rm -f "$pidfile"
        ;;
    *)
        sed -n '2,12p' "$0"
        exit 2
        ;;
esac
