#!/usr/bin/env bash
# Creates the virtualenv and installs Heron's pinned dependencies into it.
set -euo pipefail
venv="${1:-.venv}"
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "Installing python3-venv"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv python3-dev >/dev/null \
            || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv python3-dev >/dev/null; }
    else
        echo "python3-venv is missing: run 'sudo apt-get install python3-venv'" >&2
        exit 1
    fi
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -r requirements-dev.txt
bash "$(dirname "$0")/compile-messages.sh"
echo "Virtualenv ready in $venv"
