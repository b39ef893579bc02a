"""The first read (accounts/readahead.py, webmail/first_read.py): a signed-in GET reads its
session, its user, what every page reads of that user and the state of the folder it names
in one round trip to Redis; what that read held serves its own request only, once; a guess
of the wrong user costs keys, never another user's values."""
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.test import Client

from accounts import readahead
from tests.helpers import reads_of, spy_on_redis
from tests.unit.conftest import log_in
from webmail import mail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_redis():
    """The first read is one MGET over the sessions and the shared cache: it needs both in
    one Redis, as `make test` and every deployment have them."""
    assert readahead._one_server(caches[settings.SESSION_CACHE_ALIAS]), (
        "these tests need REDIS_URL (source .stack/env)")


@pytest.fixture
def commands(monkeypatch):
    return spy_on_redis(monkeypatch)


def session_name(client):
    sessions = caches[settings.SESSION_CACHE_ALIAS]
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return sessions.client.make_key(f"django.contrib.sessions.cache{key}")


def test_a_warm_page_reads_session_user_and_folder_state_in_one_round_trip(
        alice, fake_server, commands, monkeypatch):
    user = get_user_model().objects.get(username="alice@heron.test")
    sessions = []
    real = fake_server.factory
    monkeypatch.setattr(mail.POOL, "factory", lambda *a, **k: sessions.append(
        real(*a, **k)) or sessions[-1])
    mail.POOL.clear()
    path = "/mail/message/120/"
    alice.get(path, {"mailbox": "INBOX"})  # this process learns whose session it is
    commands.clear()
    page = alice.get("/mail/message/700/", {"mailbox": "Projects"})
    assert page.status_code == 200
    mailbox, found = sessions[-1].expected
    assert mailbox == "Projects"
    assert found is not None and set(found) == set(mail.MailSession.expected_keys(
        sessions[-1].account, "Projects")), "the folder's state came with the session"
    first, keys = commands[0]
    assert first == "MGET"
    names = {
        "session": session_name(alice),
        "user": caches["default"].make_key(f"auth-user:v1:{user.pk}"),
        "vouch": next(k for k in keys if ":heron:vouch:" in k),
        "changed": next(k for k in keys if ":heron:changed:" in k),
        "folder state": next(k for k in keys if ":heron:confirmed:" in k),
        "folder list": next(k for k in keys if ":heron:folders:" in k),
        "preferences": next(k for k in keys if "pref" in k),
    }
    for what, name in names.items():
        assert name in keys, what
        assert reads_of(commands, name) == ["MGET"], f"{what} read again"
    assert all(caches["default"].make_key(key) in keys for key in found)


def test_the_first_page_of_a_session_in_this_process_reads_as_before(alice, commands):
    """No guess of the session's user yet (another process served it so far): the
    session alone, then its user, then the folder's state."""
    readahead._users_of.clear()
    assert alice.get("/mail/", {"mailbox": "INBOX"}).status_code == 200
    assert commands[0] == ("GET", [session_name(alice)])


def test_a_post_reads_its_session_alone(alice, commands):
    alice.get("/mail/")
    commands.clear()
    response = alice.post("/mail/actions/", {"mailbox": "INBOX", "uids": ["120"],
                                              "action": "flag"})
    assert response.status_code in (200, 302, 303)
    assert commands[0] == ("GET", [session_name(alice)])


def test_what_the_first_read_held_ends_with_its_request(alice, monkeypatch):
    held = []
    real = readahead._read_with

    def reading(*args):
        value, values = real(*args)
        held.append(dict(values))
        return value, values

    monkeypatch.setattr(readahead, "_read_with", reading)
    alice.get("/mail/message/120/", {"mailbox": "INBOX"})
    alice.get("/mail/message/120/", {"mailbox": "INBOX"})
    assert held and held[-1], "the second page had a first read"
    assert readahead._first.get() is None, "and nothing of it outlived the request"


def test_sessions_on_another_redis_connection_are_read_alone(alice, commands, settings):
    """A sessions cache reached another way (here another socket timeout; in a deployment
    another database or password) is never read on the default cache's connection."""
    caches_setting = {alias: {**conf, "OPTIONS": {**conf.get("OPTIONS", {})}}
                      for alias, conf in settings.CACHES.items()}
    caches_setting[settings.SESSION_CACHE_ALIAS]["OPTIONS"]["SOCKET_TIMEOUT"] = 3
    settings.CACHES = caches_setting
    alice.get("/mail/")
    commands.clear()
    assert alice.get("/mail/", {"mailbox": "INBOX"}).status_code == 200
    assert commands[0] == ("GET", [session_name(alice)])


def test_redis_down_at_the_first_read_is_the_clear_unavailable_page(alice, monkeypatch):
    import redis

    alice.get("/mail/")
    real = redis.Redis.execute_command

    def down(self, *args, **options):
        if str(args[0]).upper() in ("GET", "MGET"):
            raise redis.exceptions.ConnectionError("Redis is down")
        return real(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", down)
    page = alice.get("/mail/", {"mailbox": "INBOX"})
    assert page.status_code == 503
    assert "unavailable" in page.content.decode().lower()


def test_a_wrong_guess_of_the_user_never_shows_another_users_mail(alice, fake_server):
    """Were this process to take Alice's session for Carol's (it cannot: a session key is
    one user's for its life), the read would bring Carol's keys, and Alice's page would
    still be made of Alice's values alone."""
    carol = Client()
    log_in(carol, "carol@heron.test")
    assert "carol@heron.test" in carol.get("/mail/").content.decode()
    carol_pk = get_user_model().objects.get(username="carol@heron.test").pk
    alice.get("/mail/")
    assert readahead._users_of, "the process learnt whose sessions it read"
    for each in list(readahead._users_of):
        readahead._users_of[each] = carol_pk
    assert mail._accounts.get(carol_pk) is not None
    page = alice.get("/mail/", {"mailbox": "INBOX"}).content.decode()
    assert "alice@heron.test" in page and "carol@heron.test" not in page
    listing = alice.get("/api/messages/", {"mailbox": "INBOX"}).json()
    assert listing["total"] == 120 and {m["uid"] for m in listing["messages"]} <= set(
        range(1, 121))
