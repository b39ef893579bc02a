"""A frontend with DEBUG off refuses to start on the public development SECRET_KEY."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from webmail.checks import STARTUP, refuse_unsafe_start

ROOT = Path(__file__).resolve().parents[2]
REAL_KEY = "a-real-key-of-this-site-" + "q" * 40


def _startup_errors():
    return [found.id for found in checks.run_checks(tags=[STARTUP]) if found.is_serious()]


def test_debug_off_with_the_development_key_is_an_error():
    with override_settings(DEBUG=False, SECRET_KEY=settings.DEV_SECRET_KEY):
        assert _startup_errors() == ["heron.E001"]


def test_debug_off_with_the_development_key_is_an_error_of_manage_py_check():
    with override_settings(DEBUG=False, SECRET_KEY=settings.DEV_SECRET_KEY):
        assert "heron.E001" in [found.id for found in checks.run_checks()]


@pytest.mark.parametrize("debug, key", [(True, None), (False, REAL_KEY), (True, REAL_KEY)])
def test_development_or_a_real_key_passes(debug, key):
    with override_settings(DEBUG=debug, SECRET_KEY=key or settings.DEV_SECRET_KEY):
        assert _startup_errors() == []
        refuse_unsafe_start()


def test_a_wsgi_server_is_refused_with_the_reason():
    with override_settings(DEBUG=False, SECRET_KEY=settings.DEV_SECRET_KEY):
        with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is the public development"):
            refuse_unsafe_start()


def test_manage_py_check_refuses_the_development_key_with_debug_off():
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**env, "DEBUG": "0"})
    assert done.returncode != 0 and "heron.E001" in done.stderr


def test_a_malformed_allowed_senders_list_stops_start_up(settings):
    from accounts.checks import allowed_senders_are_addresses_or_patterns

    settings.HERON_ALLOWED_SENDERS = ["sales@example.org", "*@example.org"]
    assert allowed_senders_are_addresses_or_patterns() == []
    settings.HERON_ALLOWED_SENDERS = ["not a pattern"]
    [error] = allowed_senders_are_addresses_or_patterns()
    assert error.id == "heron.E002" and "HERON_ALLOWED_SENDERS" in error.msg
