import os

import pytest

from accounts import readahead
from contacts import known
from webmail import events, kept_page, mail, recently
from webmail.db_router import _down_until
from webmail.imap import pagememo
from webmail.views import api as api_views


@pytest.fixture(autouse=True)
def _fresh_state(settings):
    """Every test starts with an empty cache, an empty IMAP pool and all replicas up.

    Reads are routed to the primary: under test a replica alias is only a mirror of the
    test database, opened on a second connection that cannot see the test's transaction.
    The router has its own tests, and tests/integration/test_replica.py checks real
    streaming from the stack's primary to its replica.
    """
    from django.core.cache import caches

    settings.DATABASE_REPLICAS = []
    # Without a service login Send sends at once, as every test of sending expects; a test
    # of held messages or snoozing asks for the login (service_login, or sets its own).
    settings.HERON_SERVICE_USER = settings.HERON_SERVICE_PASSWORD = ""
    for alias in settings.CACHES:
        caches[alias].clear()
    mail.POOL.clear()
    _down_until.clear()
    events._told.clear()  # what this process told of presence, as the cache is emptied
    recently.forget_everything()  # and what it marked lately in it
    pagememo.forget_everything()  # and the pages it put together
    kept_page.forget_everything()  # and drew whole
    api_views.forget_kept_answers()  # and encoded
    mail.forget_kept_bodies()  # the bodies it showed
    known.forget_kept_answers()  # and whether their senders are in contacts
    readahead.forget_everything()  # whose sessions it read
    mail.forget_accounts()  # and whose mail it served
    yield
    mail.POOL.clear()


@pytest.fixture
def service_login(settings):
    """Heron logs its workers in with the stack's service login (from .stack/env), which
    turns on Undo send, Send later and Snooze."""
    user, password = (os.environ.get("HERON_SERVICE_USER"),
                      os.environ.get("HERON_SERVICE_PASSWORD"))
    if not user or not password:
        pytest.fail("The stack has no service login: run `make services` again.")
    settings.HERON_SERVICE_USER, settings.HERON_SERVICE_PASSWORD = user, password
    return user, password
