#!/usr/bin/env bash
# Compiles locale/*/LC_MESSAGES/*.po into the .mo files Django reads (they are built, not
# kept in git). Installs Debian's gettext first when msgfmt is missing.
set -euo pipefail
if ! command -v msgfmt >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "Installing gettext"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q gettext >/dev/null \
            || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q gettext >/dev/null; }
    else
        echo "gettext is missing: run 'sudo apt-get install gettext'" >&2
        exit 1
    fi
fi
shopt -s nullglob
for po in locale/*/LC_MESSAGES/*.po; do
    mo="${po%.po}.mo"
    if [ ! -e "$mo" ] || [ "$po" -nt "$mo" ]; then
        msgfmt --check-format -o "$mo" "$po"
    fi
done
