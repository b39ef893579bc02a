#!/usr/bin/env bash
# `make messages`: gather every translatable string of the templates, the Python code and
# static/js into locale/<lang>/LC_MESSAGES/django.po and djangojs.po for each language
# Heron ships, then compile the catalogs. Translators fill in the .po files; the tests in
# tests/unit/test_locales.py say what is missing. Needs gettext (deploy/setup-venv.sh).
set -euo pipefail
PY="${PYTHON:-.venv/bin/python}"
# Every language of settings.LANGUAGES but English, the source, in gettext's spelling.
LOCALES=(de fr es pt_BR ar)
IGNORE=(--ignore=.venv --ignore=.stack --ignore=tests --ignore=node_modules
        --ignore=staticfiles --ignore=bench --ignore=media --ignore=.run)
locale_args=()
for code in "${LOCALES[@]}"; do locale_args+=(--locale="$code"); done

"$PY" manage.py makemessages "${locale_args[@]}" "${IGNORE[@]}" --domain=django \
    --add-location=file --no-obsolete
"$PY" manage.py makemessages "${locale_args[@]}" "${IGNORE[@]}" --domain=djangojs \
    --add-location=file --no-obsolete
"$PY" deploy/po_header.py locale/*/LC_MESSAGES/*.po
"$PY" manage.py compilemessages "${locale_args[@]}" --ignore=.venv --ignore=.stack
