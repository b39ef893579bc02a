"""Filters and vacation made in Heron, run by the stack's Dovecot (Pigeonhole), mail
delivered through its SMTP and LMTP (tests/integration/filters_contract.py)."""
import socket
import time

import pytest
from django.core.cache import cache

from tests.integration.conftest import log_in
from tests.integration.filters_contract import CAROL, FiltersContract, Stack, port

pytestmark = [pytest.mark.integration]


class TestFiltersOnDovecot(FiltersContract):
    @pytest.fixture
    def stack(self):
        return Stack(port("IMAP_PORT"), port("HERON_STACK_SIEVE_PORT"), port("SMTP_PORT"))


@pytest.fixture
def silent_server():
    """A port that takes connections and never says a word: a hung ManageSieve server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


def test_a_hung_filter_server_gives_a_clear_page_in_bounded_time(
        silent_server, settings, client, stack_users, db):
    settings.MANAGESIEVE_HOST, settings.MANAGESIEVE_PORT = "127.0.0.1", silent_server
    settings.HERON_SIEVE_TIMEOUT = 2
    cache.clear()
    assert log_in(client, CAROL, stack_users[CAROL]).status_code == 302
    started = time.monotonic()
    response = client.get("/mail/filters/")
    assert response.status_code == 503
    assert "filter server" in response.content.decode()
    # The budget is the whole operation's, not each read's: well under twice it.
    assert time.monotonic() - started < 4


def test_make_runs_demo_server_says_filters_are_not_available(
        demo_server, use_imap_server, settings, client, db):
    settings.MANAGESIEVE_PORT = 0  # as deploy/run.sh sets it for the demo server
    use_imap_server(demo_server)
    assert log_in(client, "demo@heron.demo", "demopass").status_code == 302
    for url in ("/mail/filters/", "/mail/filters/vacation/", "/mail/filters/new/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Filters are not available on this server." in response.content.decode()
    assert "Filters and vacation" in client.get("/mail/").content.decode()
