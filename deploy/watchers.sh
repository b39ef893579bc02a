#!/usr/bin/env bash
# The change watchers of the local stack (webmail/push.py): each is `manage.py watch
# --shard N-1 --shards COUNT` with the frontends' settings, kept running by a small loop
# that starts it again when it exits or dies (as systemd's Restart=always does for
# deploy/systemd/heron-watch@.service), daemonised in its own session; the loop's pid in
# .stack/watchers/watcher-N.pid, the log beside it.
#
#     bash deploy/watchers.sh up [COUNT]       # watcher-1..COUNT, sharing the users by hash
#     bash deploy/watchers.sh restart [COUNT]  # the same, stopping running ones first
#     bash deploy/watchers.sh down             # stop every watcher (SIGTERM)
#     bash deploy/watchers.sh kill N           # SIGKILL watcher-N's process, as a crash
#                                              # would; its loop starts a new one
#
# `make services` starts one; `make cluster` runs two shards.
set -euo pipefail

# shellcheck source=deploy/cluster/lib.sh
. "$(pwd)/deploy/cluster/lib.sh"
WATCHERS="$STACK/watchers"
HELPERS_NAME=watchers

watcher_pidfile() { echo "$WATCHERS/watcher-$1.pid"; }
watcher_alive() { pid_matches "$(watcher_pidfile "$1")" "watchers.sh"; }

start_watcher() {
    local n="$1" count="$2" name="watcher-$1" pidfile log
    pidfile="$(watcher_pidfile "$n")"
    log="$WATCHERS/$name.log"
    if watcher_alive "$n"; then
        say "$name" "running"
        return 0
    fi
    (
        ensure_secret_key
        frontend_env
        export HERON_FRONTEND_NAME="$name"
        exec nohup setsid bash "$0" loop "$n" "$count"
    ) >>"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    for _ in $(seq 50); do
        grep -q "watcher $n of $count started" "$log" 2>/dev/null && break
        watcher_alive "$n" || die "$name" "$log" "the watcher exited during start"
        sleep 0.1
    done
    say "$name" "started, shard $n of $count (log $log)"
}

stop_all() {
    for pidfile in "$WATCHERS"/watcher-*.pid; do
        [[ -e "$pidfile" ]] || continue
        stop_pid "$(basename "$pidfile" .pid)" "$pidfile" watchers.sh
    done
}

case "${1:-}" in
    loop)
        # The supervisor: a watcher that exits is started again after a second.
        n="$2" count="$3"
        trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM INT
        while true; do
            "$PYTHON" manage.py watch --shard "$((n - 1))" --shards "$count" &
            child=$!
            echo "$child" >"$WATCHERS/watcher-$n.child"
            wait "$child" || true
            echo "watcher-$n: exited; starting again"
            sleep 1
        done
        ;;
    up|restart)
        [[ "$1" == restart ]] && stop_all
        count="${2:-1}"
        mkdir -p "$WATCHERS"
        for n in $(seq 1 "$count"); do
            start_watcher "$n" "$count"
        done
        ;;
    down)
        stop_all
        ;;
    kill)
        child="$WATCHERS/watcher-${2:?which watcher}.child"
        if [[ -s "$child" ]] && kill -0 "$(cat "$child")" 2>/dev/null; then
            kill -KILL "$(cat "$child")"
            say "watcher-$2" "killed (its loop starts a new one)"
        fi
        ;;
    *)
        sed -n '2,14p' "$0"
        exit 2
        ;;
esac
