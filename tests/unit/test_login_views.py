"""Logging in and out through the views, against an in-memory mail server."""
import logging

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from accounts.models import LoginEvent
from tests.unit.conftest import PASSWORDS, log_in
from webmail import mail

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"


def test_the_login_page_has_labelled_fields(client):
    page = client.get("/accounts/login/").content.decode()
    assert '<label for="id_username">Email address</label>' in page
    assert '<label for="id_password">Password</label>' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_a_good_login_lands_on_the_inbox_and_records_it(client, fake_server):
    response = log_in(client)
    assert response.status_code == 302 and response["Location"] == "/mail/"
    user = get_user_model().objects.get(username=ALICE)
    assert not user.has_usable_password()
    event = LoginEvent.objects.get()
    assert (event.username, event.outcome, event.user, event.client_ip) == (
        ALICE, "success", user, "127.0.0.1")
    assert client.get("/mail/").status_code == 200


def test_login_cycles_the_session_key(client, fake_server):
    client.get("/accounts/login/")
    client.session["probe"] = 1
    before = client.cookies.get(settings.SESSION_COOKIE_NAME)
    log_in(client)
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert before is None or before.value != after


def test_the_vault_key_is_an_httponly_cookie_and_the_session_has_no_password(client, fake_server):
    log_in(client)
    cookie = client.cookies[settings.VAULT_COOKIE_NAME]
    assert cookie["httponly"]
    assert PASSWORDS[ALICE] not in repr(dict(client.session.items()))


def test_a_wrong_password_says_so_and_records_it(client, fake_server):
    response = log_in(client, password="not-her-password")
    assert response.status_code == 200
    assert "Wrong email address or password." in response.content.decode()
    assert LoginEvent.objects.get().outcome == "bad_credentials"
    assert b"not-her-password" not in response.content


def test_a_dead_mail_server_is_named_not_a_500(client, fake_server):
    fake_server.down = True
    response = log_in(client)
    assert response.status_code == 200
    assert "mail server cannot be reached" in response.content.decode()
    assert LoginEvent.objects.get().outcome == "server_unavailable"


def test_repeated_failures_are_refused_for_a_while(client, fake_server, settings):
    for _ in range(settings.LOGIN_FAILURES_BEFORE_DELAY):
        log_in(client, password="wrong")
    response = log_in(client)  # even the right password must wait now
    assert "Too many failed logins" in response.content.decode()
    assert LoginEvent.objects.filter(outcome="throttled").count() == 1
    assert not get_user_model().objects.filter(username=ALICE).exists()


def test_an_imap_login_never_takes_over_a_local_admin_account(client, fake_server):
    get_user_model().objects.create_superuser(ALICE, ALICE, "admin-own-password")
    response = log_in(client)
    assert "Wrong email address or password." in response.content.decode()


def test_logout_is_a_post_that_ends_session_and_connection(alice):
    assert alice.get("/accounts/logout/").status_code == 405
    assert mail.POOL.size() == 1
    response = alice.post("/accounts/logout/")
    assert response.status_code == 302
    assert mail.POOL.size() == 0
    assert alice.cookies[settings.VAULT_COOKIE_NAME].value == ""
    assert alice.get("/mail/").status_code == 302
    assert LoginEvent.objects.filter(outcome="logout").count() == 1


def test_logout_needs_the_csrf_token(fake_server, db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/accounts/logout/").status_code == 403


def test_a_lost_vault_key_asks_for_login_again(alice):
    del alice.cookies[settings.VAULT_COOKIE_NAME]
    response = alice.get("/mail/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_password_never_reaches_the_logs(client, fake_server, caplog):
    caplog.set_level(logging.DEBUG)
    log_in(client, password="wrong-but-secret-1")
    log_in(client)
    client.get("/mail/")
    client.get("/api/messages/")
    assert "wrong-but-secret-1" not in caplog.text
    assert PASSWORDS[ALICE] not in caplog.text


def test_login_events_are_visible_in_admin(client, fake_server, admin_client):
    log_in(client, password="wrong")
    page = admin_client.get("/admin/accounts/loginevent/").content.decode()
    assert ALICE in page and "Wrong address or password" in page


@pytest.mark.parametrize("username", [
    "alice", "alice@", "@heron.test", "alice heron@heron.test", '"a b"@heron.test',
    "alice@heron.test\r\nZ1 DELETE Trash", "alice@heron.test\x00", "a\\b@heron.test",
])
def test_the_user_name_must_be_a_plain_mail_address(client, fake_server, username):
    response = client.post("/accounts/login/", {"username": username, "password": "x"})
    assert response.status_code == 200
    # (Django's own check answers a NUL first: "Null characters are not allowed.")
    assert (b"Enter your full email address" in response.content
            or b"Null characters are not allowed" in response.content)
    assert fake_server.logins == 0 and not LoginEvent.objects.exists()


def test_the_user_name_is_taken_in_lower_case(client, fake_server):
    response = client.post("/accounts/login/", {"username": " Alice@Heron.TEST ",
                                                "password": PASSWORDS[ALICE]})
    assert response.status_code == 302
    assert LoginEvent.objects.get().username == ALICE


def test_a_login_that_meets_the_user_made_a_moment_before_is_that_user(
        client, fake_server, monkeypatch):
    """Two first logins of one user at once (two browsers, a retry): the one that finds
    no user and then cannot make it, because the other just did, goes on as that user."""
    from accounts import backends
    made = []
    real_new_session = backends.mail.new_session

    def new_session(config):
        session = real_new_session(config)
        real_login = session.login

        def login(*args, **kwargs):
            real_login(*args, **kwargs)
            # The other login makes the user while this one waits on IMAP.
            other = get_user_model()(username="alice@heron.test", email="alice@heron.test")
            other.set_unusable_password()
            other.save()
            made.append(other)
        session.login = login
        return session

    monkeypatch.setattr(backends.mail, "new_session", new_session)
    response = log_in(client)
    assert response.status_code == 302 and response["Location"] == "/mail/"
    assert list(get_user_model().objects.filter(username="alice@heron.test")) == made
    assert client.get("/mail/").status_code == 200
