#!/usr/bin/env bash
# Start Heron's local cluster on top of the service stack: three gunicorn frontends
# (frontend-1..3 on 127.0.0.1:58001-58003) and three events processes (events-1..3,
# uvicorn, on 127.0.0.1:58101-58103) behind an nginx round-robin load balancer on
# 127.0.0.1:58080 that also serves /static/ and sends /mail/events to the events processes. Run from the repo root, after
# `make services`:
#
#     bash deploy/cluster/up.sh
#
# Idempotent: migrates, collects static files, starts what is not running, and has
# running frontends load the current code and nginx its regenerated config. Adds
# CLUSTER_URL and CLUSTER_FRONTENDS to .stack/env. `bash deploy/cluster/down.sh` stops
# it; so does `make services-down`.
set -euo pipefail

# shellcheck source=deploy/cluster/lib.sh
. "$(pwd)/deploy/cluster/lib.sh"

if [[ $EUID -ne 0 ]]; then
    echo "cluster: must run as root (nginx runs as root, like the rest of the stack)" >&2
    exit 2
fi
command -v nginx >/dev/null 2>&1 || die nginx "" "nginx is not installed (make services installs it)"
[[ -x "$GUNICORN" ]] || die frontends "" "$GUNICORN not found (make setup)"
[[ -x "$UVICORN" ]] || die events "" "$UVICORN not found (make setup)"
[[ -f "$STACK/env" ]] || die cluster "" "$STACK/env is missing: start the stack first (make services)"

mkdir -p "$CLUSTER" "$NGINX_DIR/temp"
ensure_secret_key

# ------------------------------------------------------- database + static --

(
    frontend_env
    "$PYTHON" manage.py migrate --noinput -v0
    "$PYTHON" manage.py collectstatic --noinput -v0
) >"$CLUSTER/manage.log" 2>&1 || die manage "$CLUSTER/manage.log" "migrate or collectstatic failed"
say manage "migrated; static files in $ROOT/staticfiles"

# -------------------------------------------------------------- frontends --

for n in "${FRONTENDS[@]}"; do
    if frontend_alive "$n"; then
        reload_frontend "$n"
    else
        start_frontend "$n"
    fi
done

# --------------------------------------------------------- events processes --
# uvicorn has no graceful reload: a running one is restarted, its streams reconnect.

for n in "${FRONTENDS[@]}"; do
    if events_alive "$n"; then
        stop_events "$n"
    fi
    start_events "$n"
done

# ------------------------------------------------------------------ nginx --

max_bytes="${HERON_MAX_MESSAGE_BYTES:-26214400}"
# Uploads may carry a whole message's attachments plus multipart framing: 5 MiB headroom.
body_mb=$(((max_bytes + 5 * 1048576 + 1048575) / 1048576))

upstreams="" events_upstreams=""
for n in "${FRONTENDS[@]}"; do
    upstreams+="        server 127.0.0.1:$(frontend_port "$n") max_fails=1 fail_timeout=5s;"$'\n'
    events_upstreams+="        server 127.0.0.1:$(events_port "$n") max_fails=1 fail_timeout=5s;"$'\n'
done

cat >"$NGINX_CONF.tmp" <<EOF
# Written by deploy/cluster/up.sh on every run; edit there.
user root root;
worker_processes 1;
daemon on;
pid $NGINX_PID;
error_log $NGINX_DIR/error.log warn;

events {
    worker_connections 512;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    server_tokens off;
    sendfile on;

    log_format heron '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent '
                     'rid=\$request_id upstream=\$upstream_addr rt=\$request_time';
    access_log $NGINX_DIR/access.log heron;

    client_body_temp_path $NGINX_DIR/temp/body;
    proxy_temp_path $NGINX_DIR/temp/proxy;
    fastcgi_temp_path $NGINX_DIR/temp/fastcgi;
    uwsgi_temp_path $NGINX_DIR/temp/uwsgi;
    scgi_temp_path $NGINX_DIR/temp/scgi;

    # As in deploy/nginx.conf: no metrics token from the balancer's clients, so /readyz
    # names a failing dependency only to an address in METRICS_ALLOWED_IPS.
    map \$uri \$heron_authorization {
        /readyz "";
        default \$http_authorization;
    }

    # Round robin: consecutive requests land on different frontends. A frontend that
    # refuses a connection is left out for 5 s, then tried again. Connections to the
    # frontends are kept and reused (gunicorn's gthread workers keep them for 75 s).
    upstream heron_frontends {
$upstreams        keepalive 32;
    }

    # The events processes: any of them serves any user's stream (changes come through
    # Redis), so round robin here too.
    upstream heron_events {
$events_upstreams    }

    server {
        listen 127.0.0.1:$BALANCER_PORT;
        server_name _;
        client_max_body_size ${body_mb}m;

        location /static/ {
            alias $ROOT/staticfiles/;
            expires 1h;
            access_log off;
        }

        # Metrics are scraped from each frontend directly, never through the balancer.
        location = /metrics {
            return 404;
        }

        # The stream of changes (Server-Sent Events) from the events processes: passed on
        # as it comes (no buffering, no cache), idle for long spells (a comment every
        # 15 s, a stream ends after 10 min), over a kept-alive HTTP/1.1 connection.
        location = /mail/events {
            proxy_pass http://heron_events;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Request-ID \$request_id;
            proxy_buffering off;
            proxy_cache off;
            proxy_connect_timeout 2s;
            proxy_read_timeout 1h;
            proxy_next_upstream error timeout;
        }

        location / {
            proxy_pass http://heron_frontends;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header Authorization \$heron_authorization;
            # webmail/middleware.py logs it and returns it as X-Request-ID.
            proxy_set_header X-Request-ID \$request_id;

            # A frontend that is down or hangs: try the next one. Only a request that
            # never reached a frontend, or an idempotent one, is retried (nginx never
            # resends a POST that was sent). Heron's own 502/503 answers are not retried:
            # they report a shared service (mail server, database, Redis, storage) that
            # every frontend would report alike, and counting them as failures would take
            # every frontend out of the group at once.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 2s;
            proxy_send_timeout 120s;
            proxy_read_timeout 120s;
        }
    }
}
EOF
mv "$NGINX_CONF.tmp" "$NGINX_CONF"
nginx_cmd -t -q >"$CLUSTER/nginx-test.log" 2>&1 || die nginx "$CLUSTER/nginx-test.log" "nginx rejects $NGINX_CONF"

if nginx_alive; then
    nginx_cmd -s reload >>"$NGINX_DIR/error.log" 2>&1 || die nginx "$NGINX_DIR/error.log" "reload failed"
else
    port_open "$BALANCER_PORT" && die nginx "" "port $BALANCER_PORT is in use by a process the cluster did not start"
    rm -f "$NGINX_PID"
    nginx_cmd >>"$NGINX_DIR/error.log" 2>&1 || die nginx "$NGINX_DIR/error.log" "nginx failed to start"
fi
wait_until nginx "$NGINX_DIR/error.log" http_ok "http://127.0.0.1:$BALANCER_PORT/healthz"
say nginx "balancing on http://127.0.0.1:$BALANCER_PORT (config $NGINX_CONF)"

write_env
say env "CLUSTER_URL and CLUSTER_FRONTENDS in $STACK/env"

# Two task-queue workers share the queue (the stack started the first); restarted, like
# the frontends are reloaded, so that they run the code as it is now.
bash "$ROOT/deploy/workers.sh" restart 2
# Two change watchers share the active users by a hash of their login, restarted so that they
# run the code as it is now.
bash "$ROOT/deploy/watchers.sh" restart 2
