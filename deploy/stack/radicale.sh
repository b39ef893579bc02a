#!/usr/bin/env bash
# The stack's CardDAV server: Radicale on 127.0.0.1:$RADICALE_PORT with the stack's mail
# users (the same addresses and passwords as Dovecot's), each with one address book,
# "contacts". up.sh and down.sh call it; it also runs on its own against a running stack:
#
#     bash deploy/stack/radicale.sh up     # install when missing, start, wait until ready
#     bash deploy/stack/radicale.sh down   # stop it
#
# Radicale lives in its own virtualenv under .stack/radicale/venv: its dependencies (vobject,
# requests, passlib …) then never meet the pins of Heron's own virtualenv, and Heron itself
# does not need Radicale to run. The users come from STACK_USERS in .stack/env (written by
# up.sh first); the server's URL goes back into .stack/env as HERON_STACK_CARDDAV_URL.
set -euo pipefail

ROOT="$(pwd)"
if [[ ! -f "$ROOT/deploy/stack/radicale.sh" ]]; then
    echo "radicale.sh: run me from the repository root (bash deploy/stack/radicale.sh up)" >&2
    exit 2
fi
STACK="$ROOT/.stack"
# The real path: .stack may be a symlink, and the pid check compares command lines.
RAD="$(realpath -m "$STACK/radicale")"
PYTHON="${PYTHON:-.venv/bin/python}"
TIMEOUT="${STACK_TIMEOUT:-30}"
RADICALE_VERSION=3.9.0
RADICALE_PORT=55232
RADICALE_URL="http://127.0.0.1:$RADICALE_PORT/"
PIDFILE="$RAD/radicale.pid"
LOG="$RAD/radicale.log"

HELPERS_NAME=radicale
# shellcheck source=deploy/stack/helpers.sh
. "$ROOT/deploy/stack/helpers.sh"

radicale_alive() {
    local pid cmdline
    [[ -f "$PIDFILE" ]] || return 1
    pid="$(cat "$PIDFILE" 2>/dev/null)"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    cmdline="$(cmdline_of "$pid")"
    [[ "$cmdline" == *"radicale --config $RAD/config"* ]]
}

install_radicale() {
    local venv="$RAD/venv"
    if [[ -x "$venv/bin/python" ]] &&
        [[ "$("$venv/bin/python" -c 'import radicale; print(radicale.VERSION)' 2>/dev/null)" == "$RADICALE_VERSION" ]]; then
        return 0
    fi
    say radicale "installing Radicale $RADICALE_VERSION into $venv"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv" >"$RAD/install.log" 2>&1 || die radicale "$RAD/install.log" "python -m venv failed"
    "$venv/bin/pip" install --disable-pip-version-check -q "radicale==$RADICALE_VERSION" \
        >>"$RAD/install.log" 2>&1 || die radicale "$RAD/install.log" "pip install radicale failed"
}

# write_users: the htpasswd file (plain passwords: a loopback test server whose passwords
# are in .stack/env anyway), readable by root alone.
write_users() {
    [[ -f "$STACK/env" ]] || die radicale "" "$STACK/env is missing: start the stack first (bash deploy/stack/up.sh)"
    local users
    users="$(set -a && . "$STACK/env" && echo "$STACK_USERS")"
    [[ -n "$users" ]] || die radicale "" "STACK_USERS is empty in $STACK/env"
    (
        umask 077
        for entry in $users; do
            echo "${entry%%:*}:${entry#*:}"
        done >"$RAD/users.tmp"
    )
    mv "$RAD/users.tmp" "$RAD/users"
}

write_config() {
    cat >"$RAD/config" <<EOF
# Written by deploy/stack/radicale.sh on every run; edit there.
[server]
hosts = 127.0.0.1:$RADICALE_PORT
max_connections = 20
# answer a 5xx at once: the integration tests look at Heron's reaction, not at the pause
delay_on_error = 0

[auth]
type = htpasswd
htpasswd_filename = $RAD/users
htpasswd_encryption = plain
# a wrong password is answered at once (default 1 s), as Dovecot's are on this stack
delay = 0

[rights]
# each user reads and writes their own collections only
type = owner_only

[storage]
filesystem_folder = $RAD/collections

[logging]
level = warning
mask_passwords = True
EOF
}

# make_books: each user's principal and their address book "contacts" (MKCOL with the
# addressbook resource type), unless they already exist. Also the readiness check: every
# user logs in.
make_books() {
    "$PYTHON" - "$RADICALE_URL" "$RAD/users" <<'PY'
import base64, sys, urllib.error, urllib.request
url, users = sys.argv[1], sys.argv[2]
MKCOL = (b'<?xml version="1.0" encoding="utf-8"?>'
         b'<mkcol xmlns="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><set><prop>'
         b'<resourcetype><collection/><CR:addressbook/></resourcetype>'
         b'<displayname>Contacts</displayname></prop></set></mkcol>')
for line in open(users, encoding="utf-8"):
    user, _, password = line.rstrip("\n").partition(":")
    auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    def call(method, path, body=None, depth=None):
        request = urllib.request.Request(url + path, data=body, method=method,
                                         headers={"Authorization": auth})
        if depth is not None:
            request.add_header("Depth", depth)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
    # Radicale makes the principal collection on the user's first request.
    status = call("PROPFIND", f"{user}/", depth="0")
    if status != 207:
        sys.exit(f"{user}: PROPFIND of the principal answered {status}")
    if call("PROPFIND", f"{user}/contacts/", depth="0") == 404:
        status = call("MKCOL", f"{user}/contacts/", MKCOL)
        if status != 201:
            sys.exit(f"{user}: MKCOL of the address book answered {status}")
PY
}

# set_env: HERON_STACK_CARDDAV_URL in .stack/env, replacing an earlier line.
set_env() {
    local line="export HERON_STACK_CARDDAV_URL=$RADICALE_URL"
    grep -v '^export HERON_STACK_CARDDAV_URL=' "$STACK/env" >"$STACK/env.radicale.tmp" || true
    echo "$line" >>"$STACK/env.radicale.tmp"
    mv "$STACK/env.radicale.tmp" "$STACK/env"
}

up() {
    mkdir -p "$RAD/collections"
    chmod 700 "$RAD"
    install_radicale
    write_users
    write_config
    if ! radicale_alive; then
        if port_open "$RADICALE_PORT"; then
            die radicale "" "port $RADICALE_PORT is in use by a process radicale.sh did not start"
        fi
        nohup setsid "$RAD/venv/bin/python" -m radicale --config "$RAD/config" \
            >>"$LOG" 2>&1 </dev/null &
        echo $! >"$PIDFILE"
    fi
    # Radicale reads the htpasswd file on each login, so new users need no restart.
    wait_until radicale "$LOG" make_books
    set_env
    say radicale "CardDAV on $RADICALE_URL (config $RAD/config)"
}

down() {
    stop_pidfile radicale "$PIDFILE" "radicale --config $RAD/config"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
esac
