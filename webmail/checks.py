"""System checks that stop a frontend from starting in an unsafe state.

`manage.py check`, runserver, migrate and every management command run them; gunicorn runs
none, so webmail/wsgi.py calls refuse_unsafe_start() when it loads the application.
"""
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

STARTUP = "heron-startup"


def secret_key_is_not_the_development_one(app_configs=None, **kwargs):
    # The development key is in the source: anyone could sign a session cookie or a pin
    # with it. With DEBUG on the site is a developer's own; with it off it may be public.
    if settings.DEBUG or settings.SECRET_KEY != settings.DEV_SECRET_KEY:
        return []
    return [checks.Error(
        "SECRET_KEY is the public development key, and DEBUG is off.",
        hint="Set SECRET_KEY to a long random value of your own (python -c 'import secrets; "
             "print(secrets.token_urlsafe(50))'), or DEBUG=1 for development on this machine.",
        id="heron.E001")]


def refuse_unsafe_start():
    """Raise ImproperlyConfigured naming each failed start-up check; for WSGI servers."""
    errors = [found for found in checks.run_checks(tags=[STARTUP]) if found.is_serious()]
    if errors:
        raise ImproperlyConfigured("; ".join(f"{found.msg} {found.hint}" for found in errors))
