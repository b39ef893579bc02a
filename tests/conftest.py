import pytest

from webmail import mail
from webmail.db_router import _down_until


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
    for alias in settings.CACHES:
        caches[alias].clear()
    mail.POOL.clear()
    _down_until.clear()
    yield
    mail.POOL.clear()
