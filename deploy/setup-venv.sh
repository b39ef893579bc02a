#!/usr/bin/env bash
# Creates the virtualenv and installs Heron's pinned dependencies into it.
set -euo pipefail
venv="${1:-.venv}"
# The interpreter: PYTHON when set; else Debian's own Python 3.11 where it is installed,
# the one a Debian host runs Heron on (docs/deploy.md): linked statically, with
# profile-guided and link-time optimisation. It is chosen even where another python3
# comes first on PATH: a pyenv build without them took 10 % more CPU for a warm open
# (1.24 against 1.13 ms). Else the first python3 on PATH.
python="${PYTHON:-}"
if [ -z "$python" ]; then
    if [ -x /usr/bin/python3.11 ]; then python=/usr/bin/python3.11; else python=python3; fi
fi
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "Installing python3-venv"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv python3-dev >/dev/null \
            || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv python3-dev >/dev/null; }
    else
        echo "python3-venv is missing: run 'sudo apt-get install python3-venv'" >&2
        exit 1
    fi
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -r requirements-dev.txt
bash "$(dirname "$0")/compile-messages.sh"
echo "Virtualenv ready in $venv"
