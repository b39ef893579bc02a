#!/usr/bin/env bash
# A Cyrus discrete murder on this machine, for the integration tests of Heron against a
# frontend that proxies to two backends. Run from the repository root, after up.sh:
#
#     bash deploy/stack/murder.sh up               # start (idempotent; quick when up)
#     bash deploy/stack/murder.sh down [--purge]   # stop; --purge also deletes its data
#
# Four Cyrus masters, each with its own imapd.conf, cyrus.conf, configdirectory, sasldb,
# pid file and log under .stack/murder/<name>/, all on 127.0.0.1:
#
#     51160  mupdate    the mupdate master: which backend holds each mailbox
#     51161  frontend   IMAP for clients; holds no mail, proxies to the mailbox's backend
#     51162  frontend   its mupdate slave, which keeps the frontend's copy of that list
#     51171  backend1   IMAP; gina@heron.test lives here
#     51172  backend2   IMAP; hal@heron.test lives here, with his folder "Projects" that
#                       gina may read and write (she sees "Other Users/hal/Projects")
#
# Same conventions as the stack's stand-alone Cyrus (up.sh, "cyrus"): logins are full
# addresses, "/" separates folders beside INBOX, plain LOGIN on loopback, and the first
# login on a backend creates INBOX, Drafts, Sent, Trash, Junk and Archive there. One admin,
# murder-admin, does everything between the servers (the frontend's proxy logins, the
# backends' mupdate updates, XFER between backends); its password is made once into
# .stack/murder/secret. Tests read .stack/murder/env.
#
# It runs the Cyrus binaries that up.sh unpacked into .stack/cyrus/root, plus mupdate,
# which Debian ships in cyrus-murder: that package (the same version) is downloaded and
# unpacked into .stack/murder/root.
set -euo pipefail

ROOT="$(pwd)"
if [[ ! -f "$ROOT/deploy/stack/murder.sh" ]]; then
    echo "murder.sh: run me from the repository root (bash deploy/stack/murder.sh up)" >&2
    exit 2
fi
STACK="$ROOT/.stack"
PYTHON="${PYTHON:-.venv/bin/python}"
TIMEOUT="${STACK_TIMEOUT:-30}"

MUPDATE_PORT=51160
FRONTEND_PORT=51161
FRONTEND_MUPDATE_PORT=51162
BACKEND1_PORT=51171
BACKEND2_PORT=51172
NODES=(mupdate backend1 backend2 frontend)
ADMIN=murder-admin
MAIL_DOMAIN=heron.test
USERS=("gina@heron.test:gina-pw-1" "hal@heron.test:hal-pw-1")
# Whose mailboxes each backend holds: only there does a first login create them.
declare -A HOMED=([backend1]=gina@heron.test [backend2]=hal@heron.test)
SHARED_FOLDER="Other Users/hal/Projects"
# A backend's servername is how the murder finds it: the frontend and the other backend
# connect to the server named in a mailbox's location ("server!partition"), and Cyrus
# reads a port after a colon there. So each backend is named by its address.
BACKEND1="127.0.0.1:$BACKEND1_PORT"
BACKEND2="127.0.0.1:$BACKEND2_PORT"

HELPERS_NAME=murder
# shellcheck source=deploy/stack/helpers.sh
. "$ROOT/deploy/stack/helpers.sh"

# -------------------------------------------------------------- layout --

# The real path: .stack may be a symlink, and the pid check compares command lines.
STACK="$(realpath -m "$STACK")"
MU="$STACK/murder"
CY_ROOT="$STACK/cyrus/root"
CY_BIN="$CY_ROOT/usr/lib/cyrus/bin"
MU_ROOT="$MU/root"
MUPDATE_BIN="$MU_ROOT/usr/lib/cyrus/bin/mupdate"

node_dir() { echo "$MU/$1"; }
node_pid() { echo "$MU/$1/run/master.pid"; }
node_log() { echo "$MU/$1/master.log"; }

# node_alive NAME: its master runs (the pid file's process is that node's master, so a
# recycled pid is never taken for it).
node_alive() {
    local pidfile pid cmdline
    pidfile="$(node_pid "$1")"
    [[ -f "$pidfile" ]] || return 1
    pid="$(cat "$pidfile" 2>/dev/null)"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    cmdline="$(cmdline_of "$pid")"
    [[ "$cmdline" == *"master -C $(node_dir "$1")/imapd.conf "* ]]
}

# ------------------------------------------------------------ binaries --

# cyrus-murder of the version up.sh unpacked, kept in $MU/debs and unpacked into $MU_ROOT.
ensure_mupdate() {
    local common version deb
    [[ -x "$CY_BIN/imapd" && -x "$CY_BIN/master" ]] ||
        die binaries "" "no Cyrus binaries in $CY_BIN: run 'make services' (deploy/stack/up.sh) first"
    common="$(compgen -G "$STACK/cyrus/debs/cyrus-common_*.deb" | head -n 1 || true)"
    [[ -n "$common" ]] || die binaries "" "no cyrus-common package in $STACK/cyrus/debs: run deploy/stack/up.sh first"
    version="$(dpkg-deb -f "$common" Version)"
    mkdir -p "$MU"
    chmod 755 "$MU"
    deb="$(compgen -G "$MU/debs/cyrus-murder_${version//:/%3a}_*.deb" | head -n 1 || true)"
    if [[ -z "$deb" ]]; then
        say murder "downloading cyrus-murder $version (kept in $MU/debs)"
        rm -rf "$MU/debs" "$MU/debs.tmp"
        mkdir -p "$MU/debs.tmp"
        # as root: apt's _apt sandbox user cannot write into .stack/
        if ! (cd "$MU/debs.tmp" && apt-get -o APT::Sandbox::User=root download "cyrus-murder=$version") \
            >"$MU/apt.log" 2>&1; then
            die binaries "$MU/apt.log" "apt-get download cyrus-murder=$version failed"
        fi
        mv "$MU/debs.tmp" "$MU/debs"
        deb="$(compgen -G "$MU/debs/cyrus-murder_*.deb" | head -n 1)"
    fi
    if [[ ! -x "$MUPDATE_BIN" || "$(cat "$MU_ROOT/.unpacked-from" 2>/dev/null)" != "$(basename "$deb")" ]]; then
        rm -rf "$MU_ROOT"
        mkdir -p "$MU_ROOT"
        dpkg-deb -x "$deb" "$MU_ROOT" || die binaries "" "unpacking $deb failed"
        basename "$deb" >"$MU_ROOT/.unpacked-from"
    fi
    # The daemons load libcyrus*.so from the tree up.sh unpacked.
    CY_LIBDIR="$(compgen -G "$CY_ROOT/usr/lib/*/libcyrus_imap.so.0" | head -n 1 || true)"
    [[ -n "$CY_LIBDIR" ]] || die binaries "" "libcyrus_imap.so.0 not found under $CY_ROOT"
    CY_LIBDIR="$(dirname "$CY_LIBDIR")"
    cy_env=(env "LD_LIBRARY_PATH=$CY_LIBDIR")
}

# ------------------------------------------------------------- secrets --

# Made once and kept: every node's sasldb and config, and the tests, agree on it.
ensure_secret() {
    if [[ ! -s "$MU/secret" ]]; then
        (umask 077 && "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$MU/secret")
    fi
    chmod 600 "$MU/secret"
    ADMIN_PASSWORD="$(cat "$MU/secret")"
}

# -------------------------------------------------------------- config --

# servername NAME: also the SASL realm in which that node looks up a login without a
# domain, such as the admin's.
servername() {
    case "$1" in
        mupdate) echo "mupdate.murder.$MAIL_DOMAIN" ;;
        frontend) echo "frontend.murder.$MAIL_DOMAIN" ;;
        backend1) echo "$BACKEND1" ;;
        backend2) echo "$BACKEND2" ;;
    esac
}

# write_imapd_conf NAME FILE
write_imapd_conf() {
    local name="$1" dir
    dir="$(node_dir "$name")"
    {
        cat <<EOF
# Written by deploy/stack/murder.sh on every run; edit there.
configdirectory: $dir/config
cyrus_user: mail
cyrus_group: mail
servername: $(servername "$name")
admins: $ADMIN

virtdomains: userid
unixhierarchysep: yes
altnamespace: yes

allowplaintext: yes
sasl_mech_list: PLAIN LOGIN
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $dir/sasldb2
EOF
        case "$name" in
            mupdate)
                cat <<EOF

# mupdate needs a partition to start, though it keeps no mail.
defaultpartition: default
partition-default: $dir/spool
EOF
                ;;
            frontend)
                cat <<EOF

# A frontend: mupdate_server set and no proxyservers. It keeps no mail, so no partition;
# it logs in to a backend as the admin on behalf of the user (SASL PLAIN's authzid).
# Cyrus connects to mupdate_server as "host:port" (it ignores mupdate_port).
mupdate_server: 127.0.0.1:$MUPDATE_PORT
mupdate_authname: $ADMIN
mupdate_username: $ADMIN
mupdate_password: $ADMIN_PASSWORD
proxy_authname: $ADMIN
proxy_password: $ADMIN_PASSWORD
# Where the frontend creates a mailbox with no parent (an admin's CREATE of a new user's
# INBOX or of a shared folder): backend1 alone, so that tests know where.
serverlist: $BACKEND1
EOF
                ;;
            backend*)
                cat <<EOF

defaultpartition: default
partition-default: $dir/spool

# A backend: it reports each mailbox change to the mupdate master and lets the frontend
# log in for its users. The admin is a full admin here too, as XFER between backends needs
# (a backend logs in to the other with proxy_authname).
mupdate_server: 127.0.0.1:$MUPDATE_PORT
mupdate_authname: $ADMIN
mupdate_username: $ADMIN
mupdate_password: $ADMIN_PASSWORD
proxyservers: $ADMIN
proxy_authname: $ADMIN
proxy_password: $ADMIN_PASSWORD
# XFER of a whole user, run on the backend that holds it. (Cyrus 3.6.1 refuses to move one
# folder of a user, fails on a shared mailbox, and crashes when XFER is sent to a frontend.)
allowusermoves: yes

# A user's first login on their backend creates INBOX and the special folders, subscribed
# and with their SPECIAL-USE flag, as on the stand-alone Cyrus. Only there: the frontend logs
# a user in to every backend they touch, and another backend would try to create the INBOX
# too (mupdate refuses the second one, but a user with no INBOX yet would get it there).
autocreate_users: ${HOMED[$name]}
autocreate_quota: 0
autocreate_inbox_folders: Drafts | Sent | Trash | Junk | Archive
autocreate_subscribe_folders: Drafts | Sent | Trash | Junk | Archive
xlist-drafts: Drafts
xlist-sent: Sent
xlist-trash: Trash
xlist-junk: Junk
xlist-archive: Archive
EOF
                ;;
        esac
    } >"$2"
}

# write_cyrus_conf NAME FILE
write_cyrus_conf() {
    local name="$1" conf services daemon=""
    conf="$(node_dir "$name")/imapd.conf"
    case "$name" in
        mupdate)
            services="mupdate cmd=\"$MUPDATE_BIN -m -C $conf\" listen=\"127.0.0.1:$MUPDATE_PORT\" prefork=1"
            ;;
        frontend)
            # the mupdate slave is threaded: prefork=1 makes it sync at start, not at the
            # first connection to it
            services="imap cmd=\"$CY_BIN/imapd -C $conf\" listen=\"127.0.0.1:$FRONTEND_PORT\" prefork=0 maxchild=100
  mupdate cmd=\"$MUPDATE_BIN -C $conf\" listen=\"127.0.0.1:$FRONTEND_MUPDATE_PORT\" prefork=1"
            ;;
        backend1 | backend2)
            local port="$BACKEND1_PORT"
            [[ "$name" == backend1 ]] || port="$BACKEND2_PORT"
            services="imap cmd=\"$CY_BIN/imapd -C $conf\" listen=\"127.0.0.1:$port\" prefork=0 maxchild=100"
            # idled wakes IDLEing imapd processes at once (the frontend passes IDLE on)
            daemon="  idled cmd=\"$CY_BIN/idled -C $conf\""
            ;;
    esac
    cat >"$2" <<EOF
# Written by deploy/stack/murder.sh on every run; edit there.
START {
  recover cmd="$CY_BIN/ctl_cyrusdb -C $conf -r"
}
SERVICES {
  $services
}
EVENTS {
  checkpoint cmd="$CY_BIN/ctl_cyrusdb -C $conf -c" period=30
}
DAEMON {
$daemon
}
EOF
}

# write_sasldb NAME: the users (backends and frontend) and the admin, in the realm of the
# node's servername. Rebuilt only when they change, into a new file swapped in whole.
write_sasldb() {
    local name="$1" dir realm sum entry user
    dir="$(node_dir "$name")"
    realm="$(servername "$name")"
    local entries=()
    [[ "$name" == mupdate ]] || entries=("${USERS[@]}")
    sum="$(printf '%s\n' "${entries[@]}" "$ADMIN@$realm:$ADMIN_PASSWORD" | sha256sum | cut -d' ' -f1)"
    [[ -f "$dir/sasldb2" && "$(cat "$dir/sasldb2.users" 2>/dev/null)" == "$sum" ]] && return 0
    rm -f "$dir/sasldb2.tmp"
    for entry in "${entries[@]}"; do
        user="${entry%%:*}"
        printf '%s' "${entry#*:}" |
            saslpasswd2 -p -c -f "$dir/sasldb2.tmp" -u "${user#*@}" "${user%%@*}" >>"$(node_log "$name")" 2>&1 ||
            die "$name" "$(node_log "$name")" "saslpasswd2 failed for $user"
    done
    printf '%s' "$ADMIN_PASSWORD" |
        saslpasswd2 -p -c -f "$dir/sasldb2.tmp" -u "$realm" "$ADMIN" >>"$(node_log "$name")" 2>&1 ||
        die "$name" "$(node_log "$name")" "saslpasswd2 failed for $ADMIN"
    chown mail:mail "$dir/sasldb2.tmp"
    chmod 600 "$dir/sasldb2.tmp"
    mv "$dir/sasldb2.tmp" "$dir/sasldb2"
    echo "$sum" >"$dir/sasldb2.users"
}

# configure NAME: write its files; CHANGED=1 when imapd.conf or cyrus.conf changed.
configure() {
    local name="$1" dir file
    dir="$(node_dir "$name")"
    # config/socket: each imapd binds its IDLE notification socket there
    mkdir -p "$dir/config/socket" "$dir/spool" "$dir/run"
    chown mail:mail "$dir/config" "$dir/config/socket" "$dir/spool" "$dir/run"
    chmod 750 "$dir/config" "$dir/spool"
    touch "$(node_log "$name")"
    chown mail:mail "$(node_log "$name")"
    CHANGED=0
    for file in imapd.conf cyrus.conf; do
        if [[ "$file" == imapd.conf ]]; then
            write_imapd_conf "$name" "$dir/$file.tmp"
        else
            write_cyrus_conf "$name" "$dir/$file.tmp"
        fi
        # imapd.conf holds the admin password: readable by the daemons (group mail) only
        chown root:mail "$dir/$file.tmp"
        chmod 640 "$dir/$file.tmp"
        cmp -s "$dir/$file.tmp" "$dir/$file" || CHANGED=1
        mv "$dir/$file.tmp" "$dir/$file"
    done
    write_sasldb "$name"
    if ((CHANGED)); then
        (cd "$dir" && runuser -u mail -- "${cy_env[@]}" "$CY_BIN/cyr_info" -C "$dir/imapd.conf" \
            -M "$dir/cyrus.conf" conf-lint) >>"$(node_log "$name")" 2>&1 ||
            die "$name" "$(node_log "$name")" "cyr_info conf-lint rejects $dir/imapd.conf"
    fi
}

node_port() {
    case "$1" in
        mupdate) echo "$MUPDATE_PORT" ;;
        frontend) echo "$FRONTEND_PORT $FRONTEND_MUPDATE_PORT" ;;
        backend1) echo "$BACKEND1_PORT" ;;
        backend2) echo "$BACKEND2_PORT" ;;
    esac
}

# node_ok NAME: its master runs and every port of it greets ("* OK" for IMAP; mupdate
# starts its greeting with the "* AUTH" line).
node_ok() {
    local port
    node_alive "$1" || return 1
    for port in $(node_port "$1"); do
        if [[ "$port" == "$MUPDATE_PORT" || "$port" == "$FRONTEND_MUPDATE_PORT" ]]; then
            banner_ok "$port" "* " || return 1
        else
            banner_ok "$port" "* OK" || return 1
        fi
    done
}

# start NAME: start its master unless it runs; STARTED=1 when it was started now. A
# running node whose config changed is restarted: mupdate reads its config only at start.
start() {
    local name="$1" dir port
    dir="$(node_dir "$name")"
    configure "$name"
    STARTED=0
    if node_alive "$name"; then
        ((CHANGED)) || return 0
        say "$name" "config changed: restarting"
        stop "$name"
    fi
    for port in $(node_port "$name"); do
        if port_open "$port"; then
            die "$name" "" "port $port is in use by a process murder.sh did not start"
        fi
    done
    rm -f "$(node_pid "$name")"
    (cd "$dir" && runuser -u mail -- "${cy_env[@]}" "$CY_BIN/master" -C "$dir/imapd.conf" \
        -M "$dir/cyrus.conf" -p "$(node_pid "$name")" -d -L "$(node_log "$name")") ||
        die "$name" "$(node_log "$name")" "master failed to start"
    STARTED=1
}

# push NAME: a backend (re)started tells the mupdate master which mailboxes it holds, so the
# master's list is right even after the master lost its own (as the docs advise at start).
push() {
    local dir
    dir="$(node_dir "$1")"
    (cd "$dir" && runuser -u mail -- "${cy_env[@]}" "$CY_BIN/ctl_mboxlist" -C "$dir/imapd.conf" -m) \
        >>"$(node_log "$1")" 2>&1 || die "$1" "$(node_log "$1")" "ctl_mboxlist -m (push to mupdate) failed"
}

# ----------------------------------------------------------------- seed --

# Each user logs in first on their own backend (which creates their folders there and
# reports them to mupdate); then mail and hal's shared folder. A folder that already holds
# mail is left alone.
seed() {
    "$PYTHON" - "$BACKEND1_PORT" "$BACKEND2_PORT" "${USERS[@]}" <<'PY'
import sys
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from imapclient import IMAPClient

backend1, backend2 = int(sys.argv[1]), int(sys.argv[2])
(gina, gina_pw), (hal, hal_pw) = (entry.split(":", 1) for entry in sys.argv[3:5])


def message(to, subject, hours_ago):
    msg = EmailMessage()
    msg["From"] = "Postmaster <postmaster@heron.test>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(time.time() - hours_ago * 3600)
    msg["Message-ID"] = make_msgid(domain="heron.test")
    msg.set_content(f"Hello,\n\n{subject}.\n")
    return msg.as_bytes()


def fill(client, folder, to, subjects):
    if client.select_folder(folder, readonly=True)[b"EXISTS"]:
        return f"{folder} already seeded"
    for hours_ago, subject in enumerate(subjects, start=1):
        client.append(folder, message(to, subject, hours_ago))
    return f"{folder} seeded {len(subjects)}"


lines = []
with IMAPClient("127.0.0.1", port=backend1, ssl=False, timeout=30) as client:
    client.login(gina, gina_pw)
    subjects = ["Welcome to the murder, gina", "Your mailbox lives on backend 1",
                "Notes from the backend 1 meeting"]
    lines.append(f"{gina}: " + fill(client, "INBOX", gina, subjects))
with IMAPClient("127.0.0.1", port=backend2, ssl=False, timeout=30) as client:
    client.login(hal, hal_pw)
    subjects = ["Welcome to the murder, hal", "Your mailbox lives on backend 2",
                "Notes from the backend 2 meeting"]
    lines.append(f"{hal}: " + fill(client, "INBOX", hal, subjects))
    if not client.folder_exists("Projects"):
        client.create_folder("Projects")
    client.setacl("Projects", gina, "lrswipkxte")
    lines.append(f"{hal}: " + fill(client, "Projects", hal,
                                   ["Project plan (shared with gina)", "Budget draft"]))
print("; ".join(lines))
PY
}

# frontend_ok: gina logs in through the frontend and sees hal's shared folder, with its mail
# (which the frontend fetches from backend2). The mupdate master tells a running frontend of
# mailboxes made elsewhere only every 5 s (mupdate.c, update_wait), so the seeding above runs
# before the frontend starts, which loads the whole list at once.
frontend_ok() {
    "$PYTHON" - "$FRONTEND_PORT" "$SHARED_FOLDER" "${USERS[0]}" <<'PY'
import sys

from imapclient import IMAPClient

port, shared, (user, password) = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(":", 1)
with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10) as client:
    client.login(user, password)
    names = [name for _flags, _sep, name in client.list_folders()]
    if shared not in names:
        sys.exit(f"{user} does not see {shared!r} through the frontend; LIST: {names}")
    exists = client.select_folder(shared, readonly=True)[b"EXISTS"]
    if exists < 1:
        sys.exit(f"{shared!r} is empty through the frontend")
PY
}

frontend_ok_logged() { frontend_ok >"$MU/frontend_ok.log" 2>&1; }

write_env() {
    local users="${USERS[*]}"
    (
        umask 077
        cat >"$MU/env.tmp" <<EOF
# Written by deploy/stack/murder.sh. Use: . .stack/murder/env
export MURDER_IMAP_HOST=127.0.0.1
export MURDER_IMAP_PORT=$FRONTEND_PORT
export MURDER_BACKEND1_PORT=$BACKEND1_PORT
export MURDER_BACKEND2_PORT=$BACKEND2_PORT
export MURDER_MUPDATE_PORT=$MUPDATE_PORT
export MURDER_ADMIN_USER=$ADMIN
export MURDER_ADMIN_PASSWORD=$ADMIN_PASSWORD
export MURDER_USERS="$users"
export MURDER_SHARED_FOLDER="$SHARED_FOLDER"
EOF
    )
    mv "$MU/env.tmp" "$MU/env"
}

# -------------------------------------------------------------- up/down --

up() {
    [[ $EUID -eq 0 ]] || { echo "murder.sh: must run as root (Cyrus runs as 'mail')" >&2; exit 2; }
    getent passwd mail >/dev/null || die murder "" "system user 'mail' missing"
    ensure_mupdate
    ensure_secret

    # The master first: a backend's mailbox changes and the frontend's slave need it.
    start mupdate
    wait_until mupdate "$(node_log mupdate)" node_ok mupdate
    local name pushed=()
    for name in backend1 backend2; do
        start "$name"
        if ((STARTED)); then pushed+=("$name"); fi
    done
    for name in backend1 backend2; do
        wait_until "$name" "$(node_log "$name")" node_ok "$name"
    done
    for name in "${pushed[@]}"; do push "$name"; done
    seed >"$MU/seed.log" 2>&1 || die seed "$MU/seed.log" "seeding the backends failed"
    start frontend
    wait_until frontend "$(node_log frontend)" node_ok frontend
    wait_until frontend "$MU/frontend_ok.log" frontend_ok_logged
    write_env
    say murder "frontend IMAP on 127.0.0.1:$FRONTEND_PORT; backends :$BACKEND1_PORT (gina) and :$BACKEND2_PORT (hal); mupdate :$MUPDATE_PORT ($(tail -n 1 "$MU/seed.log"))"
    say env "$MU/env"
}

# stop NAME...: SIGTERM their masters (each takes its children down with it) all at once,
# as each takes about 2 s to shut down; SIGKILL what still runs after 10 s.
stop() {
    local name pid running
    local -A pids=()
    for name in "$@"; do
        if node_alive "$name"; then
            pids[$name]="$(cat "$(node_pid "$name")")"
            kill "${pids[$name]}" 2>/dev/null || true
        else
            rm -f "$(node_pid "$name")"
            say "$name" "not running"
        fi
    done
    for _ in $(seq 1 50); do
        running=0
        for name in "${!pids[@]}"; do
            if kill -0 "${pids[$name]}" 2>/dev/null; then running=1; fi
        done
        ((running)) || break
        sleep 0.2
    done
    for name in "$@"; do
        [[ -n "${pids[$name]:-}" ]] || continue
        pid="${pids[$name]}"
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null || true
            say "$name" "killed (pid $pid did not exit on SIGTERM)"
        else
            say "$name" "stopped"
        fi
        rm -f "$(node_pid "$name")"
    done
}

down() {
    local purge=0 arg
    for arg in "$@"; do
        case "$arg" in
            --purge) purge=1 ;;
            *) echo "murder.sh: unknown argument: $arg" >&2; exit 2 ;;
        esac
    done
    if [[ -d "$MU" ]]; then
        stop "${NODES[@]}"
    else
        say murder "nothing to stop ($MU does not exist)"
    fi
    if ((purge)); then
        rm -rf "$MU"
        say purge "removed $MU"
    fi
}

case "${1:-}" in
    up) up ;;
    down) shift; down "$@" ;;
    *) sed -n '2,6p' "$0"; exit 2 ;;
esac
