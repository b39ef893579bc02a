# Shared by deploy/cluster/{up,down,service}.sh (sourced, not run): where the local
# cluster lives, and how one frontend or the balancer starts and stops.
#
# The cluster is three gunicorn frontends on 127.0.0.1:58001-58003 and, next to each, an
# events process (uvicorn, webmail/asgi.py: the /mail/events streams) on 58101-58103,
# behind an nginx round-robin balancer on 127.0.0.1:58080, all state under .stack/cluster/.

ROOT="$(pwd)"
if [[ ! -f "$ROOT/deploy/cluster/lib.sh" ]]; then
    echo "cluster: run me from the repository root (bash deploy/cluster/up.sh)" >&2
    exit 2
fi
STACK="$ROOT/.stack"
CLUSTER="$STACK/cluster"
PYTHON="${PYTHON:-.venv/bin/python}"
GUNICORN="$(dirname "$PYTHON")/gunicorn"
TIMEOUT="${STACK_TIMEOUT:-30}"

FRONTENDS=(1 2 3)
FRONTEND_BASE_PORT=58000   # frontend-N listens on FRONTEND_BASE_PORT + N
EVENTS_BASE_PORT=58100     # events-N (next to frontend-N) on EVENTS_BASE_PORT + N
UVICORN="$(dirname "$PYTHON")/uvicorn"
BALANCER_PORT=58080
# Two sync workers each: three frontends then keep both cores busy without piling up.
FRONTEND_WORKERS="${CLUSTER_WORKERS:-2}"
NGINX_CONF="$CLUSTER/nginx.conf"
NGINX_DIR="$CLUSTER/nginx"
NGINX_PID="$NGINX_DIR/nginx.pid"

HELPERS_NAME=cluster
# say, die, wait_until, port_open, banner_ok, pid_alive
# shellcheck source=deploy/stack/helpers.sh
. "$ROOT/deploy/stack/helpers.sh"

# pid_matches PIDFILE PATTERN: the pid in PIDFILE lives and its command line contains
# PATTERN (so a recycled pid is never taken for ours).
pid_matches() {
    local pidfile="$1" pattern="$2" pid cmdline
    [[ -f "$pidfile" ]] || return 1
    pid="$(cat "$pidfile" 2>/dev/null)"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    cmdline="$(cmdline_of "$pid")"
    [[ "$cmdline" == *"$pattern"* ]]
}

# http_ok URL: the URL answers 200.
http_ok() {
    "$PYTHON" - "$1" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as response:
    sys.exit(0 if response.status == 200 else 1)
PY
}

# ensure_secret_key: one SECRET_KEY for every frontend, worker and watcher, made once: a
# session, a CSRF token or a primary-pin cookie signed by one must be valid on the others.
ensure_secret_key() {
    mkdir -p "$CLUSTER"
    if [[ ! -s "$CLUSTER/secret_key" ]]; then
        (umask 077 && "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))' \
            >"$CLUSTER/secret_key")
    fi
}

# The settings every frontend runs with: the stack's, plus production-like ones.
frontend_env() {
    [[ -f "$STACK/env" ]] || die cluster "" "$STACK/env is missing: start the stack first (make services)"
    set -a
    # shellcheck disable=SC1091
    . "$STACK/env"
    set +a
    export DEBUG=0
    export SECRET_KEY
    SECRET_KEY="$(cat "$CLUSTER/secret_key")"
    export ALLOWED_HOSTS=127.0.0.1,localhost
    # nginx connects from 127.0.0.1: believe its X-Forwarded-For (accounts/client.py).
    export TRUSTED_PROXIES=127.0.0.1
    # Redis database 1, not the stack's 0: in-process tests clear their cache with
    # FLUSHDB on database 0 between tests, which would log every cluster user out.
    export REDIS_URL="${REDIS_URL%/*}/1"
    export STATIC_ROOT="$ROOT/staticfiles"
}

frontend_port() { echo $((FRONTEND_BASE_PORT + $1)); }
frontend_pidfile() { echo "$CLUSTER/frontend-$1.pid"; }
frontend_alive() { pid_matches "$(frontend_pidfile "$1")" "127.0.0.1:$(frontend_port "$1")"; }

# await_ready NAME LOG PORT PID PROGRAM: wait until /healthz on PORT answers, failing if
# PID (when not empty: the PROGRAM just started) exits first.
await_ready() {
    local name="$1" log="$2" port="$3" started="$4" program="$5"
    local deadline=$((SECONDS + TIMEOUT))
    until http_ok "http://127.0.0.1:$port/healthz" 2>/dev/null; do
        if [[ -n "$started" ]] && ! kill -0 "$started" 2>/dev/null; then
            die "$name" "$log" "$program exited during start"
        fi
        ((SECONDS < deadline)) || die "$name" "$log" "no answer on /healthz after ${TIMEOUT}s"
        sleep 0.3
    done
    say "$name" "ready on http://127.0.0.1:$port"
}

# start_frontend N: gunicorn for frontend-N, daemonised, unless it already runs.
start_frontend() {
    local n="$1" name="frontend-$1" port pidfile log started=""
    port="$(frontend_port "$n")"
    pidfile="$(frontend_pidfile "$n")"
    log="$CLUSTER/$name.log"
    if ! frontend_alive "$n"; then
        port_open "$port" && die "$name" "" "port $port is in use by a process the cluster did not start"
        rm -f "$pidfile"
        # In its own session (setsid), so the master and its workers form one process
        # group that can be stopped, or killed in a test, as one.
        (
            frontend_env
            export HERON_FRONTEND_NAME="$name"
            # The bind address on the command line is what pid_matches looks for.
            # deploy/gunicorn.conf.py as in production; the flags below are this cluster's.
            exec nohup setsid "$GUNICORN" webmail.wsgi -c "$ROOT/deploy/gunicorn.conf.py" \
                --chdir "$ROOT" --name "heron-$name" \
                --bind "127.0.0.1:$port" --workers "$FRONTEND_WORKERS" \
                --timeout 120 --graceful-timeout 20 --pid "$pidfile"
        ) >>"$log" 2>&1 </dev/null &
        started=$!
    fi
    await_ready "$name" "$log" "$port" "$started" gunicorn
}

events_port() { echo $((EVENTS_BASE_PORT + $1)); }
events_pidfile() { echo "$CLUSTER/events-$1.pid"; }
events_alive() { pid_matches "$(events_pidfile "$1")" "--port $(events_port "$1")"; }

# start_events N: the events process next to frontend-N (uvicorn, one process: an idle
# stream is a coroutine, not a worker), daemonised, unless it already runs.
start_events() {
    local n="$1" name="events-$1" port pidfile log started=""
    port="$(events_port "$n")"
    pidfile="$(events_pidfile "$n")"
    log="$CLUSTER/$name.log"
    if ! events_alive "$n"; then
        port_open "$port" && die "$name" "" "port $port is in use by a process the cluster did not start"
        rm -f "$pidfile"
        (
            frontend_env
            export HERON_FRONTEND_NAME="$name"
            echo "$BASHPID" >"$pidfile"
            # As deploy/systemd/heron-events@.service runs it; "--port N" is what
            # events_alive looks for. A stream still open after 5 s of stopping is closed:
            # its browser reconnects, through nginx, to another events process.
            exec nohup setsid "$UVICORN" webmail.asgi:application --app-dir "$ROOT" \
                --host 127.0.0.1 --port "$port" --lifespan off --no-access-log \
                --proxy-headers --forwarded-allow-ips 127.0.0.1 --timeout-graceful-shutdown 5
        ) >>"$log" 2>&1 </dev/null &
        started=$!
    fi
    await_ready "$name" "$log" "$port" "$started" uvicorn
}

stop_events() {
    stop_pid "events-$1" "$(events_pidfile "$1")" "--port $(events_port "$1")"
}

# reload_frontend N: a running frontend-N replaces its workers with fresh ones, which load
# the code as it is now; requests in flight finish on the old ones.
reload_frontend() {
    local name="frontend-$1" port
    port="$(frontend_port "$1")"
    kill -HUP "$(cat "$(frontend_pidfile "$1")")"
    # gunicorn writes its pid file anew on a reload.
    wait_until "$name" "$CLUSTER/$name.log" frontend_alive "$1"
    wait_until "$name" "$CLUSTER/$name.log" http_ok "http://127.0.0.1:$port/healthz"
    say "$name" "reloaded on http://127.0.0.1:$port"
}

# stop_pid PART PIDFILE PATTERN: SIGTERM (gunicorn finishes requests in flight), then
# SIGKILL to the whole process group after 25 s.
stop_pid() {
    local part="$1" pidfile="$2" pattern="$3" pid
    if ! pid_matches "$pidfile" "$pattern"; then
        rm -f "$pidfile"
        say "$part" "not running"
        return 0
    fi
    pid="$(cat "$pidfile")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 125); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        say "$part" "killed (pid $pid did not exit on SIGTERM)"
    else
        say "$part" "stopped"
    fi
    rm -f "$pidfile"
}

stop_frontend() {
    stop_pid "frontend-$1" "$(frontend_pidfile "$1")" "127.0.0.1:$(frontend_port "$1")"
}

nginx_alive() { pid_matches "$NGINX_PID" nginx; }

nginx_cmd() { nginx -p "$NGINX_DIR/" -c "$NGINX_CONF" -e "$NGINX_DIR/error.log" "$@"; }

# --- CLUSTER_URL and CLUSTER_FRONTENDS in .stack/env -------------------------------------
# deploy/stack/up.sh rewrites .stack/env on every run, so whoever runs it while the
# cluster is up writes these lines again (service.sh does).

remove_env() {
    [[ -f "$STACK/env" ]] || return 0
    grep -v -E '^export CLUSTER_(URL|FRONTENDS)=' "$STACK/env" >"$STACK/env.cluster.tmp" || true
    mv "$STACK/env.cluster.tmp" "$STACK/env"
}

write_env() {
    local urls=() n
    for n in "${FRONTENDS[@]}"; do
        urls+=("http://127.0.0.1:$(frontend_port "$n")")
    done
    remove_env
    {
        echo "export CLUSTER_URL=http://127.0.0.1:$BALANCER_PORT"
        echo "export CLUSTER_FRONTENDS=\"${urls[*]}\""
    } >>"$STACK/env"
}
