#!/usr/bin/env bash
# The email test corpus of CPython (test/test_email/data), which tests/integration/
# test_hostile_mail.py opens message by message. A Python built from source has it in
# its standard library; Debian's moves it to the libpython3.11-testsuite package. Where
# the interpreter lacks it, that package is downloaded (not installed: it would pull a
# newer python3.11 onto the system) and unpacked into .stack/email-corpus.
set -euo pipefail
PY="${PYTHON:-.venv/bin/python}"
OUT=.stack/email-corpus
stdlib="$("$PY" -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')"
if compgen -G "$stdlib/test/test_email/data/*.txt" >/dev/null \
        || compgen -G "$OUT/*.txt" >/dev/null; then
    exit 0
fi
echo "email-corpus: downloading libpython3.11-testsuite for CPython's email test corpus"
mkdir -p "$OUT"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# as root: apt's _apt sandbox user cannot write into the temporary directory
download() { (cd "$tmp" && apt-get -o APT::Sandbox::User=root download libpython3.11-testsuite); }
if ! download >"$tmp/apt.log" 2>&1; then
    apt-get -o DPkg::Lock::Timeout=120 update >>"$tmp/apt.log" 2>&1 || true
    download >>"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; exit 1; }
fi
dpkg -x "$tmp"/libpython3.11-testsuite_*.deb "$tmp/root"
cp -r "$(compgen -G "$tmp/root/usr/lib/python3*/test/test_email/data" | head -1)/." "$OUT/"
echo "email-corpus: $(ls "$OUT" | wc -l) files in $OUT"
