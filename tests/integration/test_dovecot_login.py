"""Logging in against the stack's Dovecot, with sessions in the stack's Redis."""
import os

import pytest
import redis
from django.conf import settings
from django.db import connection

from accounts.models import LoginEvent
from tests.helpers import free_port
from tests.integration.conftest import log_in
from webmail.imap.types import ServerConfig

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
ALICE = "alice@heron.test"


def test_alice_logs_in_and_lands_on_her_inbox(client, stack_users):
    response = log_in(client, ALICE, stack_users[ALICE])
    assert response.status_code == 302 and response["Location"] == "/mail/"
    page = client.get("/mail/").content.decode()
    assert "<h1>Inbox</h1>" in page
    assert page.count('class="message-row') == 50


def test_a_wrong_password_is_refused_with_a_message(client, stack_users):
    response = log_in(client, ALICE, "not-" + stack_users[ALICE])
    assert "Wrong email address or password." in response.content.decode()
    assert client.get("/mail/").status_code == 302


def test_a_dead_imap_server_is_named_on_the_login_page(client, stack_users, use_imap_server):
    use_imap_server(ServerConfig("127.0.0.1", free_port(), "none"))
    response = log_in(client, ALICE, stack_users[ALICE])
    assert response.status_code == 200
    assert "mail server cannot be reached" in response.content.decode()


def test_a_login_the_server_refers_elsewhere_says_so(client):
    """The stack's first Dovecot answers moved@heron.test's right password with a login
    referral (RFC 2221) to the second. Heron sends no password where a server points it,
    so it follows none, but says what happened (an operator then adds a Route), without
    the referral's address; a wrong password is still a wrong password."""

    user, password = os.environ["STACK_MOVED_USER"].split(":", 1)
    response = log_in(client, user, password)
    text = response.content.decode()
    assert response.status_code == 200
    assert "your mailbox is kept on another server" in text
    assert "Wrong email address or password." not in text and "127.0.0.1" not in text
    wrong = log_in(client, user, "not-" + password).content.decode()
    assert "Wrong email address or password." in wrong


def test_the_session_store_in_redis_holds_no_password(client, stack_users):
    password = stack_users[ALICE]
    log_in(client, ALICE, password)
    client.get("/mail/")
    store = redis.Redis.from_url(settings.REDIS_URL)
    session_keys = store.keys("heron-s*")
    assert session_keys, "the session should live in Redis"
    for key in store.scan_iter("*"):
        if store.type(key) == b"string":
            assert password.encode() not in store.get(key)


def test_login_events_are_written_to_postgresql(client, stack_users):
    assert connection.vendor == "postgresql"
    log_in(client, ALICE, "wrong")
    log_in(client, ALICE, stack_users[ALICE])
    assert list(LoginEvent.objects.order_by("created").values_list("outcome", flat=True)) == [
        "bad_credentials", "success"]


def test_failures_are_counted_in_the_shared_cache(client, stack_users, settings):
    for _ in range(settings.LOGIN_FAILURES_BEFORE_DELAY):
        log_in(client, ALICE, "wrong")
    store = redis.Redis.from_url(settings.REDIS_URL)
    assert list(store.scan_iter("heron:*login-tries:*:user:*"))
    response = log_in(client, ALICE, stack_users[ALICE])
    assert "Too many failed logins" in response.content.decode()


def test_logout_closes_the_imap_connection(client, stack_users):
    from webmail import mail

    log_in(client, ALICE, stack_users[ALICE])
    client.get("/mail/")
    assert mail.POOL.size() == 1
    client.post("/accounts/logout/")
    assert mail.POOL.size() == 0
