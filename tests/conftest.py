import pytest

from webmail import mail
from webmail.db_router import _down_until


@pytest.fixture(autouse=True)
def _fresh_state(settings):
    """Every test starts with an empty cache, an empty IMAP pool and all replicas up."""
    from django.core.cache import caches

    for alias in settings.CACHES:
        caches[alias].clear()
    mail.POOL.clear()
    _down_until.clear()
    yield
    mail.POOL.clear()
