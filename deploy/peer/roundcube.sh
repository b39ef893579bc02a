#!/usr/bin/env bash
# Roundcube, Heron's best-known peer, on the stack's Dovecot, for the side-by-side bench
# (bench/peer_bench.py). Run from the repository root, as root, after deploy/stack/up.sh:
#
#     bash deploy/peer/roundcube.sh up      # install if missing, start; prints its URL
#     bash deploy/peer/roundcube.sh down    # stop what `up` started
#     bash deploy/peer/roundcube.sh status
#
# Debian's own packages (roundcube-core 1.6 with its SQLite backend, PHP-FPM, memcached,
# php-memcached), without Apache: the stack's nginx binary serves it with a config of its
# own on 127.0.0.1:58301, PHP-FPM listens on a unix socket, memcached on 127.0.0.1:58303.
# Roundcube's best caching as its own docs describe it: the IMAP index cache in memcached,
# the messages cache (the index, headers and bodies, kept in sync with CONDSTORE/QRESYNC) in
# its database, both for 10 days; sessions in memcached; PHP's opcache on (Debian's
# default). The list is sorted like Heron's (date, newest first, 50 a page).
#
# Nothing outside .stack/peer/ is written except by apt: the Debian config in /etc/roundcube
# stays untouched (ROUNDCUBE_CONFIG_DIR points Roundcube at .stack/peer/config), no daemon
# is started by the packages' scripts (a policy-rc.d denies it during the install when the
# system has none), and dbconfig-common is told to leave databases alone.
set -euo pipefail

ROOT="$(pwd)"
if [[ ! -f "$ROOT/deploy/peer/roundcube.sh" ]]; then
    echo "roundcube.sh: run me from the repository root" >&2
    exit 2
fi
HTTP_PORT="${PEER_HTTP_PORT:-58301}"
MEMCACHED_PORT="${PEER_MEMCACHED_PORT:-58303}"
PHP_VERSION=8.2
PHP_FPM="/usr/sbin/php-fpm$PHP_VERSION"
RC_HOME=/var/lib/roundcube          # Debian's install path: public_html/ is the web root
RC_SHARE=/usr/share/roundcube
PACKAGES=(roundcube-core roundcube-sqlite3 "php$PHP_VERSION-fpm" "php$PHP_VERSION-cli"
          "php$PHP_VERSION-intl" "php$PHP_VERSION-mbstring" "php$PHP_VERSION-xml"
          "php$PHP_VERSION-sqlite3" "php$PHP_VERSION-memcached" memcached)

# pid_matches, stop_pid (SIGTERM, then SIGKILL to the process group), say, die,
# wait_until, port_open; STACK.
# shellcheck source=deploy/cluster/lib.sh
. "$ROOT/deploy/cluster/lib.sh"
HELPERS_NAME=peer
STACK="$(mkdir -p "$STACK" && cd "$STACK" && pwd -P)"
PEER="$STACK/peer"
NGINX_DIR="$PEER/nginx"

installed() { [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]; }

ensure_packages() {
    local missing=() pkg policy=/usr/sbin/policy-rc.d made_policy=""
    for pkg in "${PACKAGES[@]}"; do installed "$pkg" || missing+=("$pkg"); done
    ((${#missing[@]} == 0)) && return 0
    mkdir -p "$PEER"
    say packages "installing: ${missing[*]} (log: $PEER/apt.log)"
    export DEBIAN_FRONTEND=noninteractive
    printf '%s\n' "roundcube-core roundcube/dbconfig-install boolean false" \
        "roundcube-core roundcube/reconfigure-webserver multiselect" \
        "roundcube-core roundcube/restart-webserver boolean false" | debconf-set-selections
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
    fi
    # PHP-FPM first: it then satisfies the "php" package, which would otherwise pull
    # Apache's PHP module (and Apache) in.
    local first=() rest=()
    for pkg in "${missing[@]}"; do
        if [[ "$pkg" == roundcube-* ]]; then rest+=("$pkg"); else first+=("$pkg"); fi
    done
    local status=0
    apt_step "${first[@]}" && apt_step "${rest[@]}" || status=$?
    [[ -z "$made_policy" ]] || rm -f "$policy"
    ((status == 0)) || die packages "$PEER/apt.log" "apt-get install failed"
}

# apt_step PACKAGE...: install (none given: nothing), with one `apt-get update` on failure.
apt_step() {
    (($# > 0)) || return 0
    local apt=(apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends "$@")
    "${apt[@]}" >>"$PEER/apt.log" 2>&1 && return 0
    apt-get -o DPkg::Lock::Timeout=120 update >>"$PEER/apt.log" 2>&1 || true
    "${apt[@]}" >>"$PEER/apt.log" 2>&1
}

# . .stack/env for the IMAP server Roundcube logs in to.
stack_env() {
    [[ -f "$STACK/env" ]] || die peer "" "$STACK/env is missing: start the stack first (make services)"
    # shellcheck disable=SC1091
    . "$STACK/env"
    case "${IMAP_SECURITY:-none}" in
        ssl) IMAP_URL="ssl://$IMAP_HOST:$IMAP_PORT" ;;
        starttls) IMAP_URL="tls://$IMAP_HOST:$IMAP_PORT" ;;
        *) IMAP_URL="$IMAP_HOST:$IMAP_PORT" ;;
    esac
}

write_config() {
    mkdir -p "$PEER/config" "$PEER/db" "$PEER/temp" "$PEER/logs" "$NGINX_DIR/temp"
    [[ -s "$PEER/des_key" ]] || (umask 077 && head -c 18 /dev/urandom | base64 >"$PEER/des_key")
    # Debian's defaults and MIME map, read where the package keeps them.
    ln -sfn /etc/roundcube/defaults.inc.php "$PEER/config/defaults.inc.php"
    ln -sfn /etc/roundcube/mimetypes.php "$PEER/config/mimetypes.php"
    cat >"$PEER/config/config.inc.php" <<EOF
<?php
// Written by deploy/peer/roundcube.sh: Roundcube's best cache configuration on the stack.
\$config = [];
\$config['db_dsnw'] = 'sqlite:///$PEER/db/roundcube.db?mode=0640';
\$config['imap_host'] = '$IMAP_URL';
\$config['smtp_host'] = '$SMTP_HOST:$SMTP_PORT';
\$config['des_key'] = '$(cat "$PEER/des_key")';
\$config['log_dir'] = '$PEER/logs/';
\$config['temp_dir'] = '$PEER/temp/';
\$config['plugins'] = [];
\$config['skin'] = 'elastic';
\$config['enable_spellcheck'] = false;
\$config['memcache_hosts'] = ['127.0.0.1:$MEMCACHED_PORT'];
\$config['memcache_max_allowed_packet'] = '8M';
\$config['imap_cache'] = 'memcached';
\$config['imap_cache_ttl'] = '10d';
\$config['messages_cache'] = true;
\$config['messages_cache_ttl'] = '10d';
\$config['session_storage'] = 'memcached';
\$config['session_lifetime'] = 60;
\$config['message_sort_col'] = 'date';
\$config['message_sort_order'] = 'DESC';
\$config['mail_pagesize'] = 50;
EOF
    cat >"$PEER/php-fpm.conf" <<EOF
[global]
pid = $PEER/php-fpm.pid
error_log = $PEER/php-fpm.log
daemonize = yes

[roundcube]
user = www-data
group = www-data
listen = $PEER/php-fpm.sock
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm = static
pm.max_children = 2
clear_env = yes
env[ROUNDCUBE_CONFIG_DIR] = $PEER/config
php_admin_value[error_log] = $PEER/logs/php.log
php_admin_flag[log_errors] = on
php_admin_value[memory_limit] = 256M
php_admin_value[upload_max_filesize] = 25M
php_admin_value[post_max_size] = 30M
EOF
    cat >"$PEER/nginx.conf" <<EOF
# Written by deploy/peer/roundcube.sh: Roundcube through PHP-FPM, loopback only.
user www-data www-data;
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $NGINX_DIR/temp/body;
    proxy_temp_path $NGINX_DIR/temp/proxy;
    fastcgi_temp_path $NGINX_DIR/temp/fastcgi;
    uwsgi_temp_path $NGINX_DIR/temp/uwsgi;
    scgi_temp_path $NGINX_DIR/temp/scgi;
    client_max_body_size 30m;
    server {
        listen 127.0.0.1:$HTTP_PORT;
        root $RC_HOME/public_html;
        index index.php;
        location / { try_files \$uri \$uri/ /index.php\$is_args\$args; }
        location ~ \.php\$ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            fastcgi_pass unix:$PEER/php-fpm.sock;
        }
    }
}
EOF
    chown -R www-data:www-data "$PEER/db" "$PEER/temp" "$PEER/logs"
    chmod 750 "$PEER/config"
    chown root:www-data "$PEER/config" "$PEER/config/config.inc.php"
    chmod 640 "$PEER/config/config.inc.php"
}

init_db() {
    [[ -s "$PEER/db/roundcube.db" ]] && return 0
    say roundcube "creating its SQLite database"
    # The package's own schema (Debian ships no bin/initdb.sh), through PHP's SQLite driver.
    runuser -u www-data -- php -r '$db = new PDO("sqlite:" . $argv[1]);
        $db->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
        $db->exec(file_get_contents($argv[2]));' \
        "$PEER/db/roundcube.db" "$RC_SHARE/SQL/sqlite.initial.sql" >"$PEER/initdb.log" 2>&1 ||
        { rm -f "$PEER/db/roundcube.db"; die roundcube "$PEER/initdb.log" "creating the database failed"; }
}

http_ok() { curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$HTTP_PORT/"; }

up() {
    ensure_packages
    stack_env
    write_config
    init_db
    if ! pid_matches "$PEER/memcached.pid" memcached; then
        port_open "$MEMCACHED_PORT" && die memcached "" "port $MEMCACHED_PORT is in use"
        (exec setsid nohup memcached -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -u memcache \
            -m 512 -I 8m) >"$PEER/memcached.log" 2>&1 </dev/null &
        echo $! >"$PEER/memcached.pid"
    fi
    wait_until memcached "$PEER/memcached.log" port_open "$MEMCACHED_PORT"
    say memcached "on 127.0.0.1:$MEMCACHED_PORT"
    if pid_matches "$PEER/php-fpm.pid" php-fpm; then
        kill -USR2 "$(cat "$PEER/php-fpm.pid")"  # reload: the config may have changed
    else
        rm -f "$PEER/php-fpm.sock"
        "$PHP_FPM" --fpm-config "$PEER/php-fpm.conf" >>"$PEER/php-fpm.log" 2>&1 ||
            die php-fpm "$PEER/php-fpm.log" "php-fpm did not start"
    fi
    wait_until php-fpm "$PEER/php-fpm.log" test -S "$PEER/php-fpm.sock"
    say php-fpm "on $PEER/php-fpm.sock"
    if pid_matches "$NGINX_DIR/nginx.pid" nginx; then
        nginx -p "$NGINX_DIR/" -c "$PEER/nginx.conf" -e "$NGINX_DIR/error.log" -s reload \
            2>>"$NGINX_DIR/error.log"
    else
        port_open "$HTTP_PORT" && die nginx "" "port $HTTP_PORT is in use"
        nginx -p "$NGINX_DIR/" -c "$PEER/nginx.conf" -e "$NGINX_DIR/error.log" ||
            die nginx "$NGINX_DIR/error.log" "nginx did not start"
    fi
    wait_until roundcube "$PEER/logs/errors.log" http_ok
    say roundcube "ready on http://127.0.0.1:$HTTP_PORT/ (IMAP $IMAP_URL)"
}

down() {
    stop_pid nginx "$NGINX_DIR/nginx.pid" nginx
    stop_pid php-fpm "$PEER/php-fpm.pid" php-fpm
    stop_pid memcached "$PEER/memcached.pid" memcached
}

status() {
    local part pidfile pattern bad=0
    for part in "nginx:$NGINX_DIR/nginx.pid:nginx" "php-fpm:$PEER/php-fpm.pid:php-fpm" \
        "memcached:$PEER/memcached.pid:memcached"; do
        IFS=: read -r part pidfile pattern <<<"$part"
        if pid_matches "$pidfile" "$pattern"; then say "$part" "running"; else say "$part" "stopped"; bad=1; fi
    done
    return $bad
}

if [[ $EUID -ne 0 ]]; then
    echo "roundcube.sh: must run as root (apt, and PHP-FPM's workers run as www-data)" >&2
    exit 2
fi
case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) sed -n '2,8p' "$0"; exit 2 ;;
esac
