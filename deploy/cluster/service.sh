#!/usr/bin/env bash
# Stop or start one part of the running stack or cluster, for the cluster tests (which
# take a service away and bring it back) and for trying the same by hand:
#
#     bash deploy/cluster/service.sh stop|start redis|s3|replica|frontend-N|events-N
#
# Services stop through their own pid files (as deploy/stack/down.sh stops them) and
# start again through deploy/stack/up.sh, which starts only what is not running, in
# exactly the way `make services` does (it also re-creates moto's bucket). Frontends
# start as deploy/cluster/up.sh starts them.
set -euo pipefail

# shellcheck source=deploy/cluster/lib.sh
. "$(pwd)/deploy/cluster/lib.sh"

PGBIN=/usr/lib/postgresql/15/bin
REPLICA="$STACK/pg-replica"

usage() { sed -n '2,6p' "$0" >&2; exit 2; }
(($# == 2)) || usage
action="$1" part="$2"
[[ -f "$STACK/env" ]] || die "$part" "" "$STACK/env is missing: start the stack first (make services)"
redis_port="$(. "$STACK/env" && url="${REDIS_URL%/*}" && echo "${url##*:}")"
replica_port="$(. "$STACK/env" && url="${DATABASE_REPLICA_URLS%%,*}" && url="${url%/*}" && echo "${url##*:}")"
s3_url="$(. "$STACK/env" && echo "$S3_ENDPOINT_URL")"

redis_ok() { [[ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" == PONG ]]; }
replica_ok() {
    [[ "$(cd "$STACK" && runuser -u postgres -- psql -X -h "$REPLICA" -p "$replica_port" -U postgres \
        -d postgres -Atc 'SELECT pg_is_in_recovery()' 2>/dev/null)" == t ]]
}
s3_ok() {
    "$PYTHON" - "$s3_url" <<'PY'
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1] + "/", timeout=2).read()
except urllib.error.HTTPError:
    pass  # any HTTP answer means the server is up
PY
}

stop_service() {
    case "$part" in
        redis)
            if redis_ok; then
                redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
            fi
            local deadline=$((SECONDS + TIMEOUT))
            while redis_ok || pid_matches "$STACK/redis/redis.pid" redis-server; do
                ((SECONDS < deadline)) || die redis "" "still running after ${TIMEOUT}s"
                sleep 0.2
            done
            say redis "stopped"
            ;;
        s3) stop_pid s3 "$STACK/s3/moto.pid" moto ;;
        replica)
            if ! (cd "$STACK" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$REPLICA/data" -m fast \
                -w -t "$TIMEOUT" stop >/dev/null 2>&1) && replica_ok; then
                die replica "$REPLICA/postgres.log" "pg_ctl stop failed"
            fi
            say replica "stopped"
            ;;
        frontend-[0-9]*) stop_frontend "${part#frontend-}" ;;
        events-[0-9]*) stop_events "${part#events-}" ;;
        *) usage ;;
    esac
}

start_service() {
    case "$part" in
        redis | s3 | replica)
            # up.sh rewrites .stack/env: put the cluster's lines back if it is running.
            local status=0
            bash deploy/stack/up.sh >"$CLUSTER/service-$part.log" 2>&1 || status=$?
            if nginx_alive; then write_env; fi
            case "$part" in
                redis) redis_ok ;;
                s3) s3_ok ;;
                replica) replica_ok ;;
            esac || die "$part" "$CLUSTER/service-$part.log" "did not start (deploy/stack/up.sh exited $status)"
            if ((status != 0)); then
                # A later part of up.sh failed; this one is back, which is all that was asked.
                say "$part" "started (deploy/stack/up.sh exited $status, see $CLUSTER/service-$part.log)"
            else
                say "$part" "started"
            fi
            ;;
        frontend-[0-9]*) start_frontend "${part#frontend-}" ;;
        events-[0-9]*) start_events "${part#events-}" ;;
        *) usage ;;
    esac
}

mkdir -p "$CLUSTER"
case "$action" in
    stop) stop_service ;;
    start) start_service ;;
    *) usage ;;
esac
