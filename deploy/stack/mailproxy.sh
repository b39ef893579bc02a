#!/usr/bin/env bash
# The stack's IMAP proxy: nginx's mail module on 127.0.0.1:$PORT in front of both Dovecots.
# For each login nginx asks Heron's auth_http endpoint (accounts/mailproxy.py) where the
# user's mailbox lives (Auth-Server, Auth-Port), logs in there and then pipes the session.
# Its own nginx master, config, pid and logs in DIR: never the system nginx, nor the
# cluster's balancer. up.sh and down.sh call it with the defaults; a test starts its own.
#
#     bash deploy/stack/mailproxy.sh up [--dir DIR] [--port P] [--auth-url URL] [--secret-file F]
#     bash deploy/stack/mailproxy.sh down [--dir DIR]
#
#   --dir DIR          state: nginx.conf, nginx.pid, error.log (default .stack/mailproxy)
#   --port P           the proxy's IMAP port on 127.0.0.1 (default 51144)
#   --auth-url URL     nginx's auth_http (default $HERON_MAILPROXY_AUTH_URL, else
#                      http://127.0.0.1:8000/mail-proxy/auth)
#   --secret-file F    nginx sends its content as X-Heron-Proxy-Secret (default DIR/secret,
#                      made once, mode 600)
set -euo pipefail

ROOT="$(pwd)"
if [[ ! -f "$ROOT/deploy/stack/mailproxy.sh" ]]; then
    echo "mailproxy.sh: run me from the repository root (bash deploy/stack/mailproxy.sh up)" >&2
    exit 2
fi
STACK="$ROOT/.stack"
PYTHON="${PYTHON:-.venv/bin/python}"
TIMEOUT="${STACK_TIMEOUT:-30}"
MAIL_MODULE=/usr/lib/nginx/modules/ngx_mail_module.so

HELPERS_NAME=mailproxy
# shellcheck source=deploy/stack/helpers.sh
. "$ROOT/deploy/stack/helpers.sh"

usage() { sed -n '2,16p' "$0"; exit 2; }

ACTION="${1:-}"
[[ "$ACTION" == up || "$ACTION" == down ]] || usage
shift
DIR="$STACK/mailproxy"
PORT=51144
AUTH_URL="${HERON_MAILPROXY_AUTH_URL:-http://127.0.0.1:8000/mail-proxy/auth}"
SECRET_FILE=""
while (($#)); do
    [[ $# -ge 2 ]] || usage
    case "$1" in
        --dir) DIR="$2" ;;
        --port) PORT="$2" ;;
        --auth-url) AUTH_URL="$2" ;;
        --secret-file) SECRET_FILE="$2" ;;
        *) usage ;;
    esac
    shift 2
done
[[ "$PORT" =~ ^[0-9]+$ ]] || die mailproxy "" "--port must be a number, not '$PORT'"
# The real path: .stack may be a symlink, and the pid check compares command lines.
DIR="$(realpath -m "$DIR")"
SECRET_FILE="$(realpath -m "${SECRET_FILE:-$DIR/secret}")"
CONF="$DIR/nginx.conf"
PIDFILE="$DIR/nginx.pid"
LOG="$DIR/error.log"

# proxy_alive: the pid file names a running nginx master started with this DIR's config.
proxy_alive() {
    local pid cmdline
    [[ -f "$PIDFILE" ]] || return 1
    pid="$(cat "$PIDFILE" 2>/dev/null)"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    cmdline="$(cmdline_of "$pid")"
    [[ "$cmdline" == *"nginx"*"-c $CONF"* ]]
}

nginx_cmd() { nginx -p "$DIR/" -c "$CONF" -e "$LOG" "$@"; }

write_secret() {
    [[ -s "$SECRET_FILE" ]] && return 0
    mkdir -p "$(dirname "$SECRET_FILE")"
    (umask 077 && "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$SECRET_FILE.tmp")
    mv "$SECRET_FILE.tmp" "$SECRET_FILE"
}

# write_conf: DIR/nginx.conf, readable by its owner alone (it holds the secret); CHANGED=1
# when it differs from the one before.
CHANGED=0
write_conf() {
    local secret
    secret="$(head -n 1 "$SECRET_FILE")"
    [[ "$secret" =~ ^[A-Za-z0-9_-]+$ ]] || die mailproxy "" "$SECRET_FILE: expected one url-safe token"
    (
        umask 077
        cat >"$CONF.tmp" <<EOF
# Written by deploy/stack/mailproxy.sh on every run; edit there.
load_module $MAIL_MODULE;
worker_processes 1;
daemon on;
pid $PIDFILE;
error_log $LOG notice;

events {}

mail {
    server_name heron-mail-proxy;
    auth_http $AUTH_URL;
    auth_http_header X-Heron-Proxy-Secret $secret;
    auth_http_timeout 10s;
    # A backend's NO to the login (a wrong password) reaches the client as the server said it.
    proxy_pass_error_message on;
    imap_auth login plain;
    # What a client sees before login, when nginx itself answers (CAPABILITY, NOOP, LOGIN,
    # AUTHENTICATE, LOGOUT; ID and ENABLE are "invalid command" to nginx 1.22). After it,
    # the server's own capabilities (its tagged OK to the LOGIN carries them) and every
    # command go through as they are.
    imap_capabilities IMAP4rev1 LITERAL+;

    server {
        listen 127.0.0.1:$PORT;
        protocol imap;
    }
}
EOF
    )
    cmp -s "$CONF.tmp" "$CONF" || CHANGED=1
    mv "$CONF.tmp" "$CONF"
}

up() {
    [[ -f "$MAIL_MODULE" ]] || apt_install libnginx-mod-mail
    mkdir -p "$DIR"
    chmod 700 "$DIR"
    write_secret
    write_conf
    nginx_cmd -t -q >"$DIR/nginx-test.log" 2>&1 || die mailproxy "$DIR/nginx-test.log" "nginx rejects $CONF"
    if proxy_alive; then
        # A reload keeps sessions already piped (old workers finish them).
        if ((CHANGED)); then kill -HUP "$(cat "$PIDFILE")"; fi
    else
        if port_open "$PORT"; then
            die mailproxy "" "port $PORT is in use by a process mailproxy.sh did not start"
        fi
        rm -f "$PIDFILE"
        nginx_cmd >>"$LOG" 2>&1 || die mailproxy "$LOG" "nginx failed to start"
    fi
    wait_until mailproxy "$LOG" banner_ok "$PORT" "* OK"
    say mailproxy "IMAP proxy on 127.0.0.1:$PORT (auth_http $AUTH_URL; config $CONF)"
}

down() {
    stop_pidfile mailproxy "$PIDFILE" "-c $CONF"
}

"$ACTION"
