#!/usr/bin/env bash
# Stop the local cluster that deploy/cluster/up.sh started: the nginx balancer first,
# then the frontends (gunicorn finishes requests in flight on SIGTERM) and the events
# processes. The service
# stack keeps running; CLUSTER_URL and CLUSTER_FRONTENDS leave .stack/env.
#
#     bash deploy/cluster/down.sh
set -euo pipefail

# shellcheck source=deploy/cluster/lib.sh
. "$(pwd)/deploy/cluster/lib.sh"

if [[ ! -d "$CLUSTER" ]]; then
    say cluster "not running"
    exit 0
fi
stop_pid nginx "$NGINX_PID" nginx
# In parallel: each may take a moment to finish its requests in flight.
for n in "${FRONTENDS[@]}"; do
    stop_frontend "$n" &
    stop_events "$n" &
done
wait
remove_env
