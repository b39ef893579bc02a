"""The per-process IMAP session pool: reuse, idle expiry, bounds, no sharing between keys."""
import pytest

from tests.helpers import FakeMailServer
from webmail.imap.errors import MailboxNotFound, MailServerUnavailable
from webmail.imap.pool import SessionPool
from webmail.imap.types import ServerConfig

CONFIG = ServerConfig("127.0.0.1", 1, "none")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def server():
    return FakeMailServer({
        "alice": {"password": "a", "folders": {"INBOX": []}},
        "carol": {"password": "c", "folders": {"INBOX": []}},
    })


@pytest.fixture
def clock():
    return Clock()


def pool_for(server, clock, **kwargs):
    return SessionPool(factory=server.factory, clock=clock, **kwargs)


def test_a_second_request_reuses_the_logged_in_connection(server, clock):
    pool = pool_for(server, clock)
    with pool.session("s1:alice", CONFIG, "alice", "a") as first:
        pass
    with pool.session("s1:alice", CONFIG, "alice", "a") as second:
        pass
    assert first is second
    assert server.logins == 1


def test_a_user_whose_server_changed_gets_a_connection_to_the_new_one(server, clock):
    pool = pool_for(server, clock)
    with pool.session("s1:alice", CONFIG, "alice", "a") as first:
        pass
    moved = ServerConfig("127.0.0.2", 1, "none")
    with pool.session("s1:alice", moved, "alice", "a") as second:
        assert second is not first and second.config == moved
    assert not first.connected


def test_two_users_never_share_a_connection(server, clock):
    pool = pool_for(server, clock)
    with pool.session("s1:alice", CONFIG, "alice", "a") as alice:
        pass
    with pool.session("s2:carol", CONFIG, "carol", "c") as carol:
        assert carol is not alice
        assert carol.username == "carol"


def test_a_checked_out_connection_is_not_handed_to_a_second_request(server, clock):
    pool = pool_for(server, clock)
    with pool.session("s1:alice", CONFIG, "alice", "a") as first:
        with pool.session("s1:alice", CONFIG, "alice", "a") as concurrent:
            assert concurrent is not first
    assert pool.size() == 2


def test_an_idle_connection_is_closed_and_replaced(server, clock):
    pool = pool_for(server, clock, idle_seconds=60)
    with pool.session("k", CONFIG, "alice", "a") as old:
        pass
    clock.now += 61
    with pool.session("k", CONFIG, "alice", "a") as new:
        pass
    assert new is not old
    assert old.closed


def test_the_pool_is_bounded_and_closes_the_oldest(server, clock):
    pool = pool_for(server, clock, max_size=2)
    sessions = []
    for key in ("a", "b", "c"):
        with pool.session(key, CONFIG, "alice", "a") as session:
            sessions.append(session)
        clock.now += 1
    assert pool.size() == 2
    assert sessions[0].closed and not sessions[2].closed


def test_a_broken_connection_is_dropped_not_pooled(server, clock):
    pool = pool_for(server, clock)
    with pytest.raises(MailServerUnavailable):
        with pool.session("k", CONFIG, "alice", "a") as broken:
            raise MailServerUnavailable("dropped")
    assert broken.closed
    assert pool.size() == 0


def test_a_harmless_mail_error_keeps_the_connection(server, clock):
    pool = pool_for(server, clock)
    with pytest.raises(MailboxNotFound):
        with pool.session("k", CONFIG, "alice", "a"):
            raise MailboxNotFound("nope")
    assert pool.size() == 1


def test_discard_closes_a_users_connections(server, clock):
    pool = pool_for(server, clock)
    with pool.session("k", CONFIG, "alice", "a") as session:
        pass
    pool.discard("k")
    assert session.closed and pool.size() == 0
