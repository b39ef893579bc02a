#!/usr/bin/env bash
# Start Heron's local service stack (PostgreSQL primary + replica, Redis,
# moto S3, Dovecot IMAP/LMTP with Sieve and ManageSieve (Pigeonhole), SMTP
# submission delivering over LMTP, Cyrus IMAP/LMTP with its ManageSieve daemon
# and an SMTP server of its own, a second Dovecot for a second mail domain (and
# a heron.test user), nginx's mail module as an IMAP proxy in front of both
# Dovecots, and Radicale for CardDAV). Run from the repo root:
#
#     bash deploy/stack/up.sh
#
# Idempotent: parts that are already running are left alone. All state lives
# in .stack/ (one folder per part); `bash deploy/stack/down.sh` stops it all.
set -euo pipefail

ROOT="$(pwd)"
if [[ ! -f "$ROOT/deploy/stack/up.sh" ]]; then
    echo "up.sh: run me from the repository root (bash deploy/stack/up.sh)" >&2
    exit 2
fi
STACK="$ROOT/.stack"
HERE="$ROOT/deploy/stack"
PYTHON="${PYTHON:-.venv/bin/python}"
TIMEOUT="${STACK_TIMEOUT:-30}"

PG_VERSION=15
PGBIN="/usr/lib/postgresql/$PG_VERSION/bin"
PG_PRIMARY_PORT=55432
PG_REPLICA_PORT=55433
PG_SLOT=heron_replica
REDIS_PORT=56379
S3_PORT=59000
S3_BUCKET=heron-attachments
IMAP_PORT=51143
LMTP_PORT=51024
SMTP_PORT=51587
# ManageSieve (RFC 5804) of Dovecot's Pigeonhole; Sieve runs at LMTP delivery.
SIEVE_PORT=54190
CYRUS_PORT=51145
# Cyrus's ManageSieve (timsieved), its LMTP (lmtpd, Sieve at delivery), and an SMTP
# server like the one above that delivers into it.
CYRUS_SIEVE_PORT=54191
CYRUS_LMTP_PORT=51025
CYRUS_SMTP_PORT=51588
MAIL_DOMAIN=heron.test
USERS=("alice@heron.test:alice-pw-1" "bob@heron.test:bob-pw-1" "carol@heron.test:carol-pw-1")
# A second Dovecot serving a second mail domain (see "dovecot2" below).
DOVECOT2_PORT=51243
MAIL_DOMAIN2=other.test
USERS2=("dana@other.test:dana-pw-1" "erin@other.test:erin-pw-1")
# Users of $MAIL_DOMAIN whose mailbox lives on the second Dovecot: Heron reaches them through
# the IMAP proxy (deploy/stack/mailproxy.sh), which asks Heron where each login lives.
USERS_ON2=("frank@heron.test:frank-pw-1")
# Only tests/cluster/test_imap_slots.py logs in as this one, so it alone counts the
# connections Dovecot sees for it (under the second Dovecot's default limit of 10).
BOUNDED_USER2="busy@other.test:busy-pw-1"
# Known to the first Dovecot only as moved away (see "passwd-file" below).
MOVED_USER="moved@heron.test:moved-pw-1"
# The service login that workers use to act for a user who may be logged out (SASL PLAIN
# with the user as authorization identity): a master user on both Dovecots, a proxyserver
# on Cyrus. Its password is made once per stack (see "service login" below).
SERVICE_USER=heron-service

if [[ $EUID -ne 0 ]]; then
    echo "up.sh: must run as root (PostgreSQL runs as 'postgres', mail as 'mail')" >&2
    exit 2
fi
if [[ ! -x "$PYTHON" ]] && ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "up.sh: Python '$PYTHON' not found (set PYTHON=...)" >&2
    exit 2
fi

# ---------------------------------------------------------------- helpers --

HELPERS_NAME=up.sh
# shellcheck source=deploy/stack/helpers.sh
. "$HERE/helpers.sh"

# ------------------------------------------------------- system packages --

ensure_packages() {
    local missing=()
    [[ -x "$PGBIN/initdb" && -x "$PGBIN/pg_basebackup" ]] || missing+=("postgresql-$PG_VERSION")
    command -v psql >/dev/null 2>&1 || missing+=("postgresql-client-$PG_VERSION")
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
    [[ -x /usr/lib/dovecot/imap ]] || missing+=(dovecot-imapd)
    [[ -x /usr/lib/dovecot/lmtp ]] || missing+=(dovecot-lmtpd)
    # Pigeonhole: Sieve at LMTP delivery, and ManageSieve. They require dovecot-core of their
    # own version, so apt may upgrade the core (and the imapd/lmtpd above) with them.
    [[ -f /usr/lib/dovecot/modules/lib90_sieve_plugin.so ]] || missing+=(dovecot-sieve)
    [[ -x /usr/lib/dovecot/managesieve ]] || missing+=(dovecot-managesieved)
    # Full-text search: a Xapian index per folder, kept at delivery and on APPEND.
    [[ -f /usr/lib/dovecot/modules/lib21_fts_xapian_plugin.so ]] || missing+=(dovecot-fts-xapian)
    command -v nginx >/dev/null 2>&1 || missing+=(nginx)
    # nginx's mail module, for the IMAP proxy (deploy/stack/mailproxy.sh)
    [[ -f /usr/lib/nginx/modules/ngx_mail_module.so ]] || missing+=(libnginx-mod-mail)
    command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
    ((${#missing[@]} == 0)) && return 0
    apt_install "${missing[@]}"
}

# Every server of the stack, and the test suite's, listens on a fixed port in 51000-59999,
# inside the kernel's ephemeral range (32768-60999): a client socket the kernel gave one of
# them (any connection to Redis, IMAP, PostgreSQL) makes a server started later fail to
# bind it ("Address already in use"; seen once each for a test's nginx and the Murder's
# frontend). Reserved, the kernel gives them to no client. Where /proc/sys is read-only
# (some containers) this is left as it is, and said. The servers a test starts for itself
# take 57000-57999 (tests/helpers.py), the bench's 56500-56999 (bench/http_bench.py): a
# bind to port 0 would land just past the block, where the kernel crowds client sockets.
STACK_PORTS="51000-59999"
RESERVED="$(cat /proc/sys/net/ipv4/ip_local_reserved_ports 2>/dev/null || true)"
if [[ "$RESERVED" != *"$STACK_PORTS"* ]]; then
    if ! echo "${RESERVED:+$RESERVED,}$STACK_PORTS" \
            >/proc/sys/net/ipv4/ip_local_reserved_ports 2>/dev/null; then
        say ports "could not reserve $STACK_PORTS from the ephemeral range (read-only /proc/sys)"
    fi
fi

mkdir -p "$STACK"
chmod 755 "$STACK"
# Its real path: a git worktree's .stack may link to the main checkout's, and the servers'
# configs must name the same paths whichever checkout runs this script.
STACK="$(cd "$STACK" && pwd -P)"
# .stack/ holds only generated state: keep it out of git even without a
# matching entry in the repo's .gitignore.
[[ -f "$STACK/.gitignore" ]] || echo '*' >"$STACK/.gitignore"
ensure_packages

# --------------------------------------------------------- service login --

# Made once and kept, like the cluster's SECRET_KEY: the stack's servers and every Heron
# process that reads .stack/env agree on it across runs.
if [[ ! -s "$STACK/service_password" ]]; then
    (umask 077 && "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(24))' \
        >"$STACK/service_password")
fi
SERVICE_PASSWORD="$(cat "$STACK/service_password")"

# write_masters FILE: the passwd-file of a Dovecot's master passdb (the service login only),
# readable by its auth process alone.
write_masters() {
    echo "$SERVICE_USER:{PLAIN}$SERVICE_PASSWORD::::::" >"$1.tmp"
    chown root:dovecot "$1.tmp"
    chmod 640 "$1.tmp"
    mv "$1.tmp" "$1"
}

getent passwd postgres >/dev/null || die postgres "" "system user 'postgres' missing"
getent passwd mail >/dev/null || die dovecot "" "system user 'mail' missing"
getent passwd dovecot >/dev/null || die dovecot "" "system user 'dovecot' missing (dovecot-core not installed?)"

# -------------------------------------------------------------- postgres --

PG_P="$STACK/pg-primary"   # socket dir + log; data in $PG_P/data
PG_R="$STACK/pg-replica"

# Run a command as postgres from a directory it can enter.
as_pg() { (cd "$STACK" && runuser -u postgres -- "$@"); }

if ! runuser -u postgres -- test -x "$STACK"; then
    die postgres "" "user 'postgres' cannot reach $STACK (a parent directory is not world-executable)"
fi

# write_pg_conf DIR PORT: per-node settings in an included file (the replica
# gets a copy of the primary's via pg_basebackup, then its own is written).
write_pg_conf() {
    local dir="$1" port="$2"
    cat >"$dir/data/stack.conf" <<EOF
# Written by deploy/stack/up.sh on every run; edit there.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 100
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
max_slot_wal_keep_size = 1GB
hot_standby = on
hot_standby_feedback = on
log_line_prefix = '%m [%p] %q%u@%d '
EOF
    chown postgres:postgres "$dir/data/stack.conf"
    if ! grep -q "^include_if_exists = 'stack.conf'" "$dir/data/postgresql.conf"; then
        echo "include_if_exists = 'stack.conf'" >>"$dir/data/postgresql.conf"
    fi
}

pg_running() { as_pg "$PGBIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1; }

pg_start() {
    local dir="$1" port="$2" part="$3"
    if pg_running "$dir"; then
        return 0
    fi
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t "$TIMEOUT" start >/dev/null 2>&1 ||
        die "$part" "$dir/postgres.log" "pg_ctl start failed"
    wait_until "$part" "$dir/postgres.log" "$PGBIN/pg_isready" -q -h "$dir" -p "$port" -U postgres -d postgres
}

psql_p() { as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$PG_P" -p "$PG_PRIMARY_PORT" -U postgres "$@"; }
psql_r() { as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$PG_R" -p "$PG_REPLICA_PORT" -U postgres "$@"; }

# Primary.
mkdir -p "$PG_P"
chown postgres:postgres "$PG_P"
chmod 700 "$PG_P"
if [[ ! -f "$PG_P/data/PG_VERSION" ]]; then
    rm -rf "$PG_P/data"
    as_pg "$PGBIN/initdb" -D "$PG_P/data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >"$PG_P/initdb.log" 2>&1 ||
        die pg-primary "$PG_P/initdb.log" "initdb failed"
fi
write_pg_conf "$PG_P" "$PG_PRIMARY_PORT"
pg_start "$PG_P" "$PG_PRIMARY_PORT" pg-primary
psql_p -d postgres <<'SQL' >/dev/null || die pg-primary "$PG_P/postgres.log" "creating role heron failed"
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'heron') THEN
        CREATE ROLE heron LOGIN SUPERUSER PASSWORD 'heron';
    END IF;
END
$$;
SQL
if [[ "$(psql_p -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'heron'")" != 1 ]]; then
    psql_p -d postgres -c "CREATE DATABASE heron OWNER heron" >/dev/null ||
        die pg-primary "$PG_P/postgres.log" "creating database heron failed"
fi
say pg-primary "ready on 127.0.0.1:$PG_PRIMARY_PORT (data $PG_P/data)"

# Replica: pg_basebackup -R from the primary over its unix socket (local
# replication connections are trusted), with a physical replication slot.
mkdir -p "$PG_R"
chown postgres:postgres "$PG_R"
chmod 700 "$PG_R"
if [[ ! -f "$PG_R/data/PG_VERSION" ]]; then
    rm -rf "$PG_R/data" "$PG_R/data.tmp"
    psql_p -d postgres -c \
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$PG_SLOT'" \
        >/dev/null
    as_pg "$PGBIN/pg_basebackup" -h "$PG_P" -p "$PG_PRIMARY_PORT" -U postgres \
        -D "$PG_R/data.tmp" -R -X stream -C -S "$PG_SLOT" -c fast >"$PG_R/basebackup.log" 2>&1 ||
        die pg-replica "$PG_R/basebackup.log" "pg_basebackup failed"
    mv "$PG_R/data.tmp" "$PG_R/data"
fi
write_pg_conf "$PG_R" "$PG_REPLICA_PORT"
pg_start "$PG_R" "$PG_REPLICA_PORT" pg-replica
replica_streaming() {
    [[ "$(psql_r -d postgres -Atc "SELECT pg_is_in_recovery()")" == t ]] &&
        [[ "$(psql_r -d postgres -Atc "SELECT status FROM pg_stat_wal_receiver")" == streaming ]]
}
wait_until pg-replica "$PG_R/postgres.log" replica_streaming
say pg-replica "ready on 127.0.0.1:$PG_REPLICA_PORT (streaming from :$PG_PRIMARY_PORT, slot $PG_SLOT)"

# ----------------------------------------------------------------- redis --

RD="$STACK/redis"
mkdir -p "$RD"
redis_ok() { [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }
if ! redis_ok; then
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
        --dir "$RD" --pidfile "$RD/redis.pid" --logfile "$RD/redis.log" \
        --save "" --appendonly no >/dev/null 2>&1 ||
        die redis "$RD/redis.log" "redis-server failed to start"
    wait_until redis "$RD/redis.log" redis_ok
fi
say redis "ready on 127.0.0.1:$REDIS_PORT"

# -------------------------------------------------------------- moto (S3) --

S3="$STACK/s3"
mkdir -p "$S3"
s3_ok() { pid_alive "$S3/moto.pid" && "$PYTHON" - "$S3_PORT" <<'PY'
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=2).read()
except urllib.error.HTTPError:
    pass  # any HTTP answer means the server is up
PY
}
if ! pid_alive "$S3/moto.pid"; then
    if port_open "$S3_PORT"; then
        die s3 "" "port $S3_PORT is in use by a process up.sh did not start"
    fi
    MOTO="$(dirname "$PYTHON")/moto_server"
    if [[ -x "$MOTO" ]]; then
        moto_cmd=("$MOTO")
    else
        moto_cmd=("$PYTHON" -m moto.server)
    fi
    nohup setsid "${moto_cmd[@]}" -H 127.0.0.1 -p "$S3_PORT" >"$S3/moto.log" 2>&1 </dev/null &
    echo $! >"$S3/moto.pid"
fi
wait_until s3 "$S3/moto.log" s3_ok
# moto keeps everything in memory: (re)create the bucket every time.
"$PYTHON" - "$S3_PORT" "$S3_BUCKET" <<'PY' >>"$S3/moto.log" 2>&1 || die s3 "$S3/moto.log" "creating bucket failed"
import sys, boto3
port, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
    s3.create_bucket(Bucket=bucket)
PY
say s3 "ready on http://127.0.0.1:$S3_PORT (bucket $S3_BUCKET)"

# ---------------------------------------------------------------- dovecot --

DV="$STACK/dovecot"
DV_CONF="$DV/dovecot.conf"
DV_USERS="$DV/users"
mkdir -p "$DV/run" "$DV/state" "$DV/mail" "$DV/home" "$DV/acl"
chown mail:mail "$DV/mail" "$DV/home" "$DV/acl"
MAIL_UID="$(id -u mail)"
MAIL_GID="$(id -g mail)"

# passwd-file: user:password:uid:gid:gecos:home:shell:extra (uid/gid/home
# come from userdb default_fields). Readable by the auth process only.
{
    for entry in "${USERS[@]}"; do
        echo "${entry%%:*}:{PLAIN}${entry#*:}::::::"
    done
    # A mailbox that moved to the second Dovecot: its right password gets a login referral
    # (RFC 2221, "NO [REFERRAL imap://...]"; Dovecot makes it of nologin with host and port)
    # instead of a session, as a server does for an account it no longer holds.
    echo "${MOVED_USER%%:*}:{PLAIN}${MOVED_USER#*:}::::::nologin=y host=127.0.0.1 port=$DOVECOT2_PORT"
} >"$DV_USERS.tmp"
chown root:dovecot "$DV_USERS.tmp"
chmod 640 "$DV_USERS.tmp"
mv "$DV_USERS.tmp" "$DV_USERS"
write_masters "$DV/masters"

# The full-text index for every account (see the plugin block); HERON_STACK_FTS=0 runs
# the stack's first Dovecot without it, as a server without an index answers.
FTS_PLUGINS=" fts fts_xapian"
[[ "${HERON_STACK_FTS:-1}" == 0 ]] && FTS_PLUGINS=""

cat >"$DV_CONF.tmp" <<EOF
# Written by deploy/stack/up.sh on every run; edit there.
# Standalone config: nothing from /etc/dovecot is included.
protocols = imap lmtp sieve
listen = 127.0.0.1
instance_name = heron-stack
base_dir = $DV/run
state_dir = $DV/state
log_path = $DV/dovecot.log
info_log_path = $DV/dovecot.log
debug_log_path = $DV/dovecot.log

ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
login_trusted_networks = 127.0.0.0/8
# answer failed logins at once (default 2 s) so tests of bad passwords stay
# fast; the anvil service below also turns off the growing per-IP penalty
auth_failure_delay = 0
mail_max_userip_connections = 100

# All mail is owned by the 'mail' system user (uid $MAIL_UID).
first_valid_uid = $MAIL_UID
last_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
last_valid_gid = $MAIL_GID
mail_uid = mail
mail_gid = mail
mail_location = maildir:$DV/mail/%d/%n:LAYOUT=fs
# A connection in IDLE or NOTIFY (the change watcher's) hears of a change by inotify, and
# besides looks every this often. NOTIFY's inotify watches are put on the folder list's and
# the INBOX's index logs once, by path: after Dovecot rotates one (.log.2), that connection
# hears of INBOX changes only at this look, the default 30 s (docs/deploy.md; the full-text
# index makes the logs rotate sooner).
mailbox_idle_check_interval = 1 secs

# The service login may act for any user (SASL PLAIN's authorization identity); pass = yes:
# the user must then be found in the passdb below, so no one else's name gets in.
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $DV/masters
  master = yes
  pass = yes
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $DV_USERS
}
userdb {
  driver = passwd-file
  args = username_format=%Lu $DV_USERS
  default_fields = uid=mail gid=mail home=$DV/home/%d/%n
}

namespace inbox {
  inbox = yes
  separator = /
  prefix =
  mailbox INBOX {
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \Archive
    auto = subscribe
  }
}

# Folders users share with each other (RFC 4314 ACLs, set by SETACL from any client): each
# user sees the folders others share with them under Shared/<owner>/ (NAMESPACE's "other
# users"), and only those.
namespace shared {
  type = shared
  separator = /
  prefix = Shared/%%u/
  location = maildir:$DV/mail/%%d/%%n:LAYOUT=fs:INDEXPVT=~/shared/%%u
  subscriptions = no
  list = children
}

mail_plugins = \$mail_plugins quota acl$FTS_PLUGINS
plugin {
  quota = count:User quota
  quota_rule = *:storage=1G
  quota_vsizes = yes

  # ACLs in a dovecot-acl file per folder; who shares with whom in one dictionary, so that
  # the shared namespace lists a user only what was shared with them.
  acl = vfile
  acl_shared_dict = file:$DV/acl/shared-mailboxes.db
  # Rights are the user's own, also when the service login logs in as the user (a master
  # user's login is otherwise checked against the master user's rights: none).
  acl_user = %u

  # Full-text search (docs/deploy.md, "Full-text search"): a Xapian index per folder,
  # kept up to date as mail is delivered (LMTP) or appended (IMAP). This plugin (1.5.5)
  # answers SEARCH HEADER from its index too: it indexes no In-Reply-To, References or
  # X-Heron-Draft header (such a search matches nothing) and Message-ID only as words.
  # Heron's look-ups by those fields check the newest messages themselves
  # (webmail/imap/exact.py), so they hold with it.
  fts = xapian
  # Terms of 3 to 20 characters are indexed as n-grams, so a search finds a part of a
  # word ("invoic" finds "invoices"); a search word shorter than 3 characters matches
  # nothing.
  fts_xapian = partial=3 full=20 verbose=0
  # Index at delivery and on APPEND, not at the first search.
  fts_autoindex = yes
  # The index answers, never a slow scan of every message: if the index cannot, the
  # SEARCH fails rather than read the whole folder.
  fts_enforced = yes
  # Tables attached to mail (CSV, TSV) are indexed cell by cell: fts-xapian indexes every
  # piece of every word, and a line of a table is one long word to it (fts-decode.sh).
  fts_decoder = decode2text

  # Each user's scripts in their home; the active one is the symlink ~/.dovecot.sieve.
  sieve = file:~/sieve;active=~/.dovecot.sieve
  # Pigeonhole's default set (fileinto, reject, envelope, vacation, relational, regex,
  # imap4flags, copy, include, body, variables, mailbox, date, ...), written out so that
  # what the stack offers does not drift with the package.
  sieve_extensions = fileinto reject envelope encoded-character vacation subaddress comparator-i;ascii-numeric relational regex imap4flags copy include body variables enotify environment mailbox date index ihave duplicate mime foreverypart extracttext
  sieve_max_script_size = 1M
  sieve_max_actions = 32
  sieve_max_redirects = 4
}
# Vacation replies, redirects and forwards go out through the stack's SMTP server, which
# takes unauthenticated mail for local recipients from loopback (as an MX would).
submission_host = 127.0.0.1:$SMTP_PORT

service imap-login {
  # no chroot: not every container grants CAP_SYS_CHROOT
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
service managesieve-login {
  chroot =
  inet_listener sieve {
    address = 127.0.0.1
    port = $SIEVE_PORT
  }
}
# no brute-force penalty (growing delays after failed logins) on a dev stack
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-urlauth-login {
  chroot =
}
# Indexing runs in indexer-worker processes; Xapian wants memory while it commits.
service indexer-worker {
  vsz_limit = 2G
}
# The attachment decoder of the full-text index, run as the mail's owner (its directories
# are the mail's, so it can reach the script in the checkout).
service decode2text {
  executable = script $HERE/fts-decode.sh
  user = mail
  unix_listener decode2text {
    mode = 0600
    user = mail
  }
}

protocol imap {
  mail_plugins = \$mail_plugins imap_quota imap_acl
  mail_max_userip_connections = 100
}
protocol lmtp {
  postmaster_address = postmaster@$MAIL_DOMAIN
  hostname = $MAIL_DOMAIN
  mail_plugins = \$mail_plugins sieve
}
protocol sieve {
  mail_max_userip_connections = 100
}
EOF
dv_changed=0
cmp -s "$DV_CONF.tmp" "$DV_CONF" || dv_changed=1
mv "$DV_CONF.tmp" "$DV_CONF"
touch "$DV/dovecot.log"

dovecot_ok() {
    banner_ok "$IMAP_PORT" "* OK" && banner_ok "$LMTP_PORT" "220" && sieve_ok "$SIEVE_PORT"
}
if pid_alive "$DV/run/master.pid"; then
    # Pick up config changes without a restart. Only then: a reload ends every open IMAP
    # session, and up.sh also runs to bring back other services mid-test.
    if ((dv_changed)); then dovecot -c "$DV_CONF" reload >/dev/null 2>&1 || true; fi
else
    if port_open "$IMAP_PORT" || port_open "$LMTP_PORT" || port_open "$SIEVE_PORT"; then
        die dovecot "" "port $IMAP_PORT, $LMTP_PORT or $SIEVE_PORT is in use by a process up.sh did not start"
    fi
    dovecot -c "$DV_CONF" >>"$DV/dovecot.log" 2>&1 || die dovecot "$DV/dovecot.log" "dovecot failed to start"
fi
wait_until dovecot "$DV/dovecot.log" dovecot_ok
say dovecot "IMAP on 127.0.0.1:$IMAP_PORT, LMTP on 127.0.0.1:$LMTP_PORT with Sieve, ManageSieve on 127.0.0.1:$SIEVE_PORT (config $DV_CONF)"

# ------------------------------------------------------------------- seed --

"$PYTHON" "$HERE/seed.py" --host 127.0.0.1 --port "$IMAP_PORT" "${USERS[@]}" >"$DV/seed.log" 2>&1 ||
    die seed "$DV/seed.log" "seeding mail failed"
say seed "$(tail -n 1 "$DV/seed.log")"

# ------------------------------------------------------------------- smtp --

SM="$STACK/smtp"
mkdir -p "$SM"
smtp_ok() { pid_alive "$SM/smtp.pid" && banner_ok "$SMTP_PORT" "220"; }
if ! pid_alive "$SM/smtp.pid"; then
    if port_open "$SMTP_PORT"; then
        die smtp "" "port $SMTP_PORT is in use by a process up.sh did not start"
    fi
    rm -f "$SM/smtp.pid"
    # HERON_STACK_SMTP_SLOW_SECONDS (default 5) is read from this environment at start.
    # The users of USERS_ON2 log in on the second Dovecot (mail to them is not taken).
    nohup setsid "$PYTHON" "$HERE/smtp_server.py" \
        --port "$SMTP_PORT" --imap-port "$IMAP_PORT" --lmtp-port "$LMTP_PORT" \
        --more-imap-port "$DOVECOT2_PORT" \
        --domain "$MAIL_DOMAIN" --passwd-file "$DV_USERS" --pidfile "$SM/smtp.pid" \
        >>"$SM/smtp.log" 2>&1 </dev/null &
fi
wait_until smtp "$SM/smtp.log" smtp_ok
say smtp "submission on 127.0.0.1:$SMTP_PORT (AUTH PLAIN/LOGIN, PLAIN with authzid; delivers to LMTP :$LMTP_PORT)"

# ------------------------------------------------------------------ cyrus --

# A second IMAP server, so the IMAP layer is tested against Cyrus as well as
# Dovecot. Debian's cyrus-imapd conflicts with dovecot-core, so its packages
# are downloaded (kept in $CY/debs) and unpacked into $CY/root rather than
# installed; only their plain library dependencies are installed. It runs as
# 'mail' with its own config, partition and sasldb, on 127.0.0.1:$CYRUS_PORT.
CY="$STACK/cyrus"
CY_ROOT="$CY/root"
CY_BIN="$CY_ROOT/usr/lib/cyrus/bin"
CY_CONF="$CY/imapd.conf"
CY_MASTER_CONF="$CY/cyrus.conf"
CY_LOG="$CY/master.log"
CY_PID="$CY/run/master.pid"
mkdir -p "$CY/debs"

cyrus_debs() { compgen -G "$CY/debs/cyrus-common_*.deb" && compgen -G "$CY/debs/cyrus-imapd_*.deb"; }
# as root: apt's _apt sandbox user cannot write into .stack/
cyrus_download() {
    (cd "$CY/debs.tmp" && apt-get -o APT::Sandbox::User=root download cyrus-common cyrus-imapd)
}

if ! cyrus_debs >/dev/null; then
    say cyrus "downloading cyrus-common and cyrus-imapd (kept in $CY/debs)"
    rm -rf "$CY/debs.tmp"
    mkdir -p "$CY/debs.tmp"
    if ! cyrus_download >"$CY/apt.log" 2>&1; then
        apt-get -o DPkg::Lock::Timeout=120 update >>"$CY/apt.log" 2>&1 || true
        cyrus_download >>"$CY/apt.log" 2>&1 || die cyrus "$CY/apt.log" "apt-get download failed"
    fi
    rm -f "$CY/debs/"*.deb
    mv "$CY/debs.tmp/"*.deb "$CY/debs/"
    rmdir "$CY/debs.tmp"
fi
mapfile -t CY_DEBS < <(cyrus_debs)

# The libraries the daemons link against (the lib* entries of the packages'
# Depends), the sasldb plugin, and saslpasswd2.
cy_missing=()
while read -r pkg; do
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" == installed ]] ||
        cy_missing+=("$pkg")
done < <(
    {
        for deb in "${CY_DEBS[@]}"; do dpkg-deb -f "$deb" Depends; done |
            tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/:any//; s/[[:space:]]//g' | grep '^lib'
        printf '%s\n' libsasl2-modules-db sasl2-bin
    } | sort -u
)
((${#cy_missing[@]} == 0)) || apt_install "${cy_missing[@]}"

# Unpack again whenever the cached packages change (a new Debian revision).
CY_STAMP="$(basename -a "${CY_DEBS[@]}" | tr '\n' ' ')"
if [[ ! -x "$CY_BIN/master" || "$(cat "$CY_ROOT/.unpacked-from" 2>/dev/null)" != "$CY_STAMP" ]]; then
    rm -rf "$CY_ROOT"
    mkdir -p "$CY_ROOT"
    for deb in "${CY_DEBS[@]}"; do
        dpkg-deb -x "$deb" "$CY_ROOT" >>"$CY/apt.log" 2>&1 || die cyrus "$CY/apt.log" "unpacking $deb failed"
    done
    echo "$CY_STAMP" >"$CY_ROOT/.unpacked-from"
fi
# The daemons load libcyrus*.so from the unpacked tree.
CY_LIBDIR="$(compgen -G "$CY_ROOT/usr/lib/*/libcyrus_imap.so.0" | head -n 1 || true)"
[[ -n "$CY_LIBDIR" ]] || die cyrus "" "libcyrus_imap.so.0 not found under $CY_ROOT"
CY_LIBDIR="$(dirname "$CY_LIBDIR")"
cy_env=(env "LD_LIBRARY_PATH=$CY_LIBDIR")
"${cy_env[@]}" ldd "$CY_BIN/master" "$CY_BIN/imapd" >"$CY/ldd.log" 2>&1 || true
if grep -q 'not found' "$CY/ldd.log"; then
    die cyrus "$CY/ldd.log" "the Cyrus binaries miss shared libraries"
fi

# config/socket: each imapd binds its IDLE notification socket there
mkdir -p "$CY/config/socket" "$CY/config/sieve" "$CY/spool" "$CY/run"
chown mail:mail "$CY/config" "$CY/config/socket" "$CY/config/sieve" "$CY/spool" "$CY/run"
chmod 750 "$CY/config" "$CY/spool"

cat >"$CY_CONF.tmp" <<EOF
# Written by deploy/stack/up.sh on every run; edit there.
configdirectory: $CY/config
defaultpartition: default
partition-default: $CY/spool
sievedir: $CY/config/sieve
cyrus_user: mail
cyrus_group: mail
servername: cyrus.$MAIL_DOMAIN

# Logins are full addresses (alice@$MAIL_DOMAIN); folders are separated by
# "/" and sit beside INBOX, as on Dovecot.
virtdomains: userid
unixhierarchysep: yes
altnamespace: yes

allowplaintext: yes
sasl_mech_list: PLAIN LOGIN
# The service login may log in as any user (SASL PLAIN's authorization identity). Unlike
# Dovecot, Cyrus does not check that the user exists, and autocreate then makes a mailbox
# for the name: Heron acts only for its own users (webmail/mail.py service_account).
proxyservers: $SERVICE_USER
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $CY/sasldb2

# A user's first login creates INBOX and the special folders, subscribed and
# with their SPECIAL-USE flag (which Cyrus then names in lower case: \\drafts).
autocreate_quota: 0
autocreate_inbox_folders: Drafts | Sent | Trash | Junk | Archive
autocreate_subscribe_folders: Drafts | Sent | Trash | Junk | Archive
xlist-drafts: Drafts
xlist-sent: Sent
xlist-trash: Trash
xlist-junk: Junk
xlist-archive: Archive

# Sieve: scripts (put over ManageSieve by timsieved) live under sievedir above and run in
# lmtpd at delivery. Vacation replies and redirects go out to the Cyrus SMTP server of the
# stack (see "cyrus-smtp" below), which delivers local mail back into this lmtpd.
sieveusehomedir: no
sieve_maxscriptsize: 1024
sieve_maxscripts: 20
smtp_backend: host
smtp_host: 127.0.0.1:$CYRUS_SMTP_PORT/noauth
postmaster: postmaster@$MAIL_DOMAIN
lmtp_downcase_rcpt: yes
EOF
mv "$CY_CONF.tmp" "$CY_CONF"

cat >"$CY_MASTER_CONF.tmp" <<EOF
# Written by deploy/stack/up.sh on every run; edit there.
START {
  recover cmd="$CY_BIN/ctl_cyrusdb -C $CY_CONF -r"
}
SERVICES {
  imap cmd="$CY_BIN/imapd -C $CY_CONF" listen="127.0.0.1:$CYRUS_PORT" prefork=0 maxchild=100
  # -a: a loopback LMTP client (the stack's SMTP server) needs no LMTP AUTH
  lmtp cmd="$CY_BIN/lmtpd -a -C $CY_CONF" listen="127.0.0.1:$CYRUS_LMTP_PORT" prefork=0 maxchild=20
  sieve cmd="$CY_BIN/timsieved -C $CY_CONF" listen="127.0.0.1:$CYRUS_SIEVE_PORT" prefork=0 maxchild=50
}
EVENTS {
  checkpoint cmd="$CY_BIN/ctl_cyrusdb -C $CY_CONF -c" period=30
}
# idled tells IDLEing imapd processes of a change at once (Heron's change watcher IDLEs
# here: Cyrus has no NOTIFY); without it imapd looks only every imapidlepoll seconds.
DAEMON {
  idled cmd="$CY_BIN/idled -C $CY_CONF"
}
EOF
cy_reload=0
cmp -s "$CY_MASTER_CONF.tmp" "$CY_MASTER_CONF" || cy_reload=1
mv "$CY_MASTER_CONF.tmp" "$CY_MASTER_CONF"

# The sasldb is rebuilt only when the user list changes, into a new file that
# is then swapped in, so a running imapd never reads a half-written database.
CY_USERS_SUM="$(printf '%s\n' "${USERS[@]}" "$SERVICE_USER:$SERVICE_PASSWORD" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$CY/sasldb2" || "$(cat "$CY/sasldb2.users" 2>/dev/null)" != "$CY_USERS_SUM" ]]; then
    rm -f "$CY/sasldb2.tmp"
    for entry in "${USERS[@]}"; do
        user="${entry%%:*}"
        printf '%s' "${entry#*:}" |
            saslpasswd2 -p -c -f "$CY/sasldb2.tmp" -u "${user#*@}" "${user%%@*}" >>"$CY_LOG" 2>&1 ||
            die cyrus "$CY_LOG" "saslpasswd2 failed for $user"
    done
    # A login without a domain is looked up in the realm of Cyrus's servername.
    printf '%s' "$SERVICE_PASSWORD" |
        saslpasswd2 -p -c -f "$CY/sasldb2.tmp" -u "cyrus.$MAIL_DOMAIN" "$SERVICE_USER" >>"$CY_LOG" 2>&1 ||
        die cyrus "$CY_LOG" "saslpasswd2 failed for $SERVICE_USER"
    chown mail:mail "$CY/sasldb2.tmp"
    chmod 600 "$CY/sasldb2.tmp"
    mv "$CY/sasldb2.tmp" "$CY/sasldb2"
    echo "$CY_USERS_SUM" >"$CY/sasldb2.users"
fi

touch "$CY_LOG"
chown mail:mail "$CY_LOG"
(cd "$CY" && runuser -u mail -- "${cy_env[@]}" "$CY_BIN/cyr_info" -C "$CY_CONF" -M "$CY_MASTER_CONF" conf-lint) \
    >>"$CY_LOG" 2>&1 || die cyrus "$CY_LOG" "cyr_info conf-lint rejects $CY_CONF"

# Cyrus logs to syslog only, which this machine may lack: $CY_LOG holds what
# master itself prints, and readiness is checked on the port.
if pid_alive "$CY_PID"; then
    # master re-reads cyrus.conf on SIGHUP; imapd reads imapd.conf per connection
    if ((cy_reload)); then
        kill -HUP "$(cat "$CY_PID")"
    fi
else
    for port in "$CYRUS_PORT" "$CYRUS_LMTP_PORT" "$CYRUS_SIEVE_PORT"; do
        if port_open "$port"; then
            die cyrus "" "port $port is in use by a process up.sh did not start"
        fi
    done
    rm -f "$CY_PID"
    (cd "$CY" && runuser -u mail -- "${cy_env[@]}" \
        "$CY_BIN/master" -C "$CY_CONF" -M "$CY_MASTER_CONF" -p "$CY_PID" -d -L "$CY_LOG") ||
        die cyrus "$CY_LOG" "master failed to start"
fi
cyrus_ok() {
    pid_alive "$CY_PID" && banner_ok "$CYRUS_PORT" "* OK" && banner_ok "$CYRUS_LMTP_PORT" "220" &&
        sieve_ok "$CYRUS_SIEVE_PORT"
}
wait_until cyrus "$CY_LOG" cyrus_ok

"$PYTHON" "$HERE/seed.py" --host 127.0.0.1 --port "$CYRUS_PORT" "${USERS[@]}" >"$CY/seed.log" 2>&1 ||
    die cyrus "$CY/seed.log" "seeding mail failed"
say cyrus "IMAP on 127.0.0.1:$CYRUS_PORT, LMTP on 127.0.0.1:$CYRUS_LMTP_PORT with Sieve, ManageSieve on 127.0.0.1:$CYRUS_SIEVE_PORT (config $CY_CONF; $(tail -n 1 "$CY/seed.log"))"

# ------------------------------------------------------------- cyrus-smtp --

# A second instance of the SMTP server, for the same users, checking logins against Cyrus
# and delivering into Cyrus's LMTP (so Cyrus's Sieve applies). Cyrus sends its vacation
# replies and redirects here too (smtp_host above).
CS="$STACK/cyrus-smtp"
mkdir -p "$CS"
cyrus_smtp_ok() { pid_alive "$CS/smtp.pid" && banner_ok "$CYRUS_SMTP_PORT" "220"; }
if ! pid_alive "$CS/smtp.pid"; then
    if port_open "$CYRUS_SMTP_PORT"; then
        die cyrus-smtp "" "port $CYRUS_SMTP_PORT is in use by a process up.sh did not start"
    fi
    rm -f "$CS/smtp.pid"
    nohup setsid "$PYTHON" "$HERE/smtp_server.py" \
        --port "$CYRUS_SMTP_PORT" --imap-port "$CYRUS_PORT" --lmtp-port "$CYRUS_LMTP_PORT" \
        --domain "$MAIL_DOMAIN" --passwd-file "$DV_USERS" --pidfile "$CS/smtp.pid" \
        >>"$CS/smtp.log" 2>&1 </dev/null &
fi
wait_until cyrus-smtp "$CS/smtp.log" cyrus_smtp_ok
say cyrus-smtp "submission on 127.0.0.1:$CYRUS_SMTP_PORT (logins checked on Cyrus; delivers to Cyrus LMTP :$CYRUS_LMTP_PORT)"

# -------------------------------------------------------------- dovecot2 --

# A second, minimal Dovecot (IMAP only) serving $MAIL_DOMAIN2, so one Heron is
# tested against two mail domains on two servers: its users exist only here,
# and the first Dovecot's users only there. The users of USERS_ON2 ($MAIL_DOMAIN
# users living here) exist only here too. Its own instance name, base_dir,
# state, passwd-file and maildirs, all under $DV2.
DV2="$STACK/dovecot2"
DV2_CONF="$DV2/dovecot.conf"
DV2_USERS="$DV2/users"
mkdir -p "$DV2/run" "$DV2/state" "$DV2/mail" "$DV2/home"
chown mail:mail "$DV2/mail" "$DV2/home"

{
    for entry in "${USERS2[@]}" "$BOUNDED_USER2" "${USERS_ON2[@]}"; do
        echo "${entry%%:*}:{PLAIN}${entry#*:}::::::"
    done
} >"$DV2_USERS.tmp"
chown root:dovecot "$DV2_USERS.tmp"
chmod 640 "$DV2_USERS.tmp"
mv "$DV2_USERS.tmp" "$DV2_USERS"
write_masters "$DV2/masters"

cat >"$DV2_CONF.tmp" <<EOF
# Written by deploy/stack/up.sh on every run; edit there.
# Standalone config: nothing from /etc/dovecot is included.
protocols = imap
listen = 127.0.0.1
instance_name = heron-stack-2
base_dir = $DV2/run
state_dir = $DV2/state
log_path = $DV2/dovecot.log
info_log_path = $DV2/dovecot.log
debug_log_path = $DV2/dovecot.log

ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
login_trusted_networks = 127.0.0.0/8
auth_failure_delay = 0
# Dovecot's default, written out: the cluster test of bounded IMAP connections
# (tests/cluster/test_imap_slots.py) runs against it. The first Dovecot allows 100, as
# every test and agent there shares alice, bob and carol from 127.0.0.1.
mail_max_userip_connections = 10

first_valid_uid = $MAIL_UID
last_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
last_valid_gid = $MAIL_GID
mail_uid = mail
mail_gid = mail
mail_location = maildir:$DV2/mail/%d/%n:LAYOUT=fs

# The same service login as the first Dovecot's (see there).
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $DV2/masters
  master = yes
  pass = yes
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $DV2_USERS
}
userdb {
  driver = passwd-file
  args = username_format=%Lu $DV2_USERS
  default_fields = uid=mail gid=mail home=$DV2/home/%d/%n
}

namespace inbox {
  inbox = yes
  separator = /
  prefix =
  mailbox INBOX {
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
}

service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT2_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-urlauth-login {
  chroot =
}
EOF
dv2_changed=0
cmp -s "$DV2_CONF.tmp" "$DV2_CONF" || dv2_changed=1
mv "$DV2_CONF.tmp" "$DV2_CONF"
touch "$DV2/dovecot.log"

dovecot2_ok() { pid_alive "$DV2/run/master.pid" && banner_ok "$DOVECOT2_PORT" "* OK"; }
if pid_alive "$DV2/run/master.pid"; then
    if ((dv2_changed)); then dovecot -c "$DV2_CONF" reload >/dev/null 2>&1 || true; fi
else
    if port_open "$DOVECOT2_PORT"; then
        die dovecot2 "" "port $DOVECOT2_PORT is in use by a process up.sh did not start"
    fi
    dovecot -c "$DV2_CONF" >>"$DV2/dovecot.log" 2>&1 || die dovecot2 "$DV2/dovecot.log" "dovecot failed to start"
fi
wait_until dovecot2 "$DV2/dovecot.log" dovecot2_ok

# A few messages of its own, none of which the first server has. As in
# seed.py, a user whose INBOX already holds mail is left alone.
"$PYTHON" - "$DOVECOT2_PORT" "${USERS2[@]}" "${USERS_ON2[@]}" <<'PY' >"$DV2/seed.log" 2>&1 || die dovecot2 "$DV2/seed.log" "seeding mail failed"
import sys
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from imapclient import IMAPClient

port, entries = int(sys.argv[1]), sys.argv[2:]
lines = []
for entry in entries:
    user, _, password = entry.partition(":")
    domain = user.rpartition("@")[2]
    subjects = [f"Welcome to {domain}", f"Your {domain} mailbox is ready",
                f"Notes from the {domain} team meeting"]
    with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=30) as client:
        client.login(user, password)
        if client.select_folder("INBOX", readonly=True)[b"EXISTS"]:
            lines.append(f"{user}: already seeded")
            continue
        for hours_ago, subject in enumerate(subjects, start=1):
            msg = EmailMessage()
            msg["From"] = f"Postmaster <postmaster@{domain}>"
            msg["To"] = user
            msg["Subject"] = subject
            msg["Date"] = formatdate(time.time() - hours_ago * 3600)
            msg["Message-ID"] = make_msgid(domain=domain)
            msg.set_content(f"Hello {user},\n\nThis message lives on the {domain} server.\n")
            client.append("INBOX", msg.as_bytes())
        lines.append(f"{user}: seeded {len(subjects)} in INBOX")
print("; ".join(lines))
PY
# The bounded user's folders are made here, by one connection, as a first login would.
# Dovecot makes a folder marked "auto" when it is first opened. On a fresh account, the
# many connections at once of tests/cluster/test_imap_slots.py made two imap processes
# lock the folder-list index in opposite orders; the kernel refused one lock (EDEADLK),
# and Dovecot panicked and dropped that connection, so the page got a 503. Kept apart
# from the seed: it is no one else's account, and it holds no mail.
"$PYTHON" - "$DOVECOT2_PORT" "$BOUNDED_USER2" <<'PY' >"$DV2/bounded.log" 2>&1 || die dovecot2 "$DV2/bounded.log" "opening the bounded user's folders failed"
import sys

from imapclient import IMAPClient

user, _, password = sys.argv[2].partition(":")
with IMAPClient("127.0.0.1", port=int(sys.argv[1]), ssl=False, timeout=30) as client:
    client.login(user, password)
    folders = [name for _, _, name in client.list_folders()]
    for name in folders:
        client.folder_status(name, ["MESSAGES"])
print(f"{user}: {len(folders)} folders opened")
PY
say dovecot2 "IMAP on 127.0.0.1:$DOVECOT2_PORT for $MAIL_DOMAIN2 (config $DV2_CONF; $(tail -n 1 "$DV2/seed.log"))"

# ------------------------------------------------------------- mailproxy --
# nginx's mail module as an IMAP proxy in front of both Dovecots (deploy/stack/mailproxy.sh),
# asking Heron where each login lives (HERON_MAILPROXY_AUTH_URL, else a Heron on :8000).
MAILPROXY_PORT=51144
MAILPROXY_SECRET_FILE="$STACK/mailproxy/secret"
bash "$HERE/mailproxy.sh" up --port "$MAILPROXY_PORT" --secret-file "$MAILPROXY_SECRET_FILE"

# -------------------------------------------------------------------- env --

cat >"$STACK/env.tmp" <<EOF
# Written by deploy/stack/up.sh. Use: . .stack/env
export DATABASE_URL=postgres://heron:heron@127.0.0.1:$PG_PRIMARY_PORT/heron
export DATABASE_REPLICA_URLS=postgres://heron:heron@127.0.0.1:$PG_REPLICA_PORT/heron
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
export S3_BUCKET=$S3_BUCKET
export S3_ENDPOINT_URL=http://127.0.0.1:$S3_PORT
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export S3_REGION=us-east-1
export IMAP_HOST=127.0.0.1
export IMAP_PORT=$IMAP_PORT
export IMAP_SECURITY=none
export SMTP_HOST=127.0.0.1
export SMTP_PORT=$SMTP_PORT
export SMTP_SECURITY=none
export CYRUS_IMAP_HOST=127.0.0.1
export CYRUS_IMAP_PORT=$CYRUS_PORT
export CYRUS_IMAP_SECURITY=none
export HERON_STACK_SIEVE_PORT=$SIEVE_PORT
export MANAGESIEVE_PORT=$SIEVE_PORT
export HERON_STACK_CYRUS_SIEVE_PORT=$CYRUS_SIEVE_PORT
export HERON_STACK_CYRUS_LMTP_PORT=$CYRUS_LMTP_PORT
export HERON_STACK_CYRUS_SMTP_PORT=$CYRUS_SMTP_PORT
export STACK_USERS="${USERS[*]}"
export DOVECOT2_IMAP_HOST=127.0.0.1
export DOVECOT2_IMAP_PORT=$DOVECOT2_PORT
export DOVECOT2_IMAP_SECURITY=none
export DOVECOT2_MAIL_DOMAIN=$MAIL_DOMAIN2
export STACK_USERS2="${USERS2[*]}"
export STACK_BOUNDED_USER2=$BOUNDED_USER2
export STACK_MOVED_USER=$MOVED_USER
export STACK_USERS_ON2="${USERS_ON2[*]}"
export HERON_STACK_MAILPROXY_PORT=$MAILPROXY_PORT
export HERON_STACK_MAILPROXY_SECRET_FILE=$MAILPROXY_SECRET_FILE
export HERON_SERVICE_USER=$SERVICE_USER
export HERON_SERVICE_PASSWORD=$SERVICE_PASSWORD
EOF
mv "$STACK/env.tmp" "$STACK/env"
say env "$STACK/env"

# --------------------------------------------------------------- radicale --
# The CardDAV server with the users above (deploy/stack/radicale.sh): it reads them from the
# env file just written and adds its URL there.
bash "$HERE/radicale.sh" up

# ---------------------------------------------------------------- workers --
# One task-queue worker on the stack's database (deploy/workers.sh); the cluster adds one.
bash "$ROOT/deploy/workers.sh" up 1

# --------------------------------------------------------------- watchers --
# One change watcher (deploy/watchers.sh, webmail/push.py) listening to the mail servers for
# the active users, with the service login; the cluster runs two shards.
bash "$ROOT/deploy/watchers.sh" up 1
