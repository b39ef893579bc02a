"""The service login: a worker acts for a user who may be logged out, with a login of its own
(SASL PLAIN with the user as authorization identity), never with the user's password.

IMAP goes through the in-memory server, whose `services` are its master users; SMTP through
the recording server of test_send_as.py."""
import io
import logging
import os
import subprocess
import sys
from base64 import b64decode
from pathlib import Path

import pytest

from accounts.domains import forget_domain
from accounts.models import Domain
from tests.unit.conftest import PASSWORDS, log_in
from tests.unit.test_send_as import smtp_server  # noqa: F401 (a fixture)
from webmail import mail, smtp
from webmail.imap.errors import AuthFailed, UnsafeInput

ROOT = Path(__file__).resolve().parents[2]
ALICE = "alice@heron.test"
SERVICE, SERVICE_PASSWORD = "heron-service", "service-secret-9c1e"


@pytest.fixture
def service(settings, fake_server, django_user_model):
    """The service login configured, and known to the fake server as a master user; alice
    a Heron user (she logged in once)."""
    settings.HERON_SERVICE_USER, settings.HERON_SERVICE_PASSWORD = SERVICE, SERVICE_PASSWORD
    fake_server.services[SERVICE] = SERVICE_PASSWORD
    django_user_model.objects.create_user(ALICE, email=ALICE)  # as her IMAP login made her
    yield fake_server
    mail.POOL.clear()


# Settings


def _start_up(**env):
    """Import the settings in a fresh process with env; (exit status, stdout + stderr)."""
    clean = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import "
         "settings as s; print(repr(s.HERON_SERVICE_USER), len(s.HERON_SERVICE_PASSWORD))"],
        cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "webmail.settings", **env},
        capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


def test_without_a_service_login_the_features_that_need_it_are_off(settings):
    settings.HERON_SERVICE_USER = settings.HERON_SERVICE_PASSWORD = ""
    assert mail.service_available() is False
    with pytest.raises(AuthFailed, match="HERON_SERVICE_USER"):
        mail.service_account(ALICE)
    assert _start_up() == (0, "'' 0\n")


def test_a_service_user_without_its_password_stops_start_up_with_the_names():
    status, output = _start_up(HERON_SERVICE_USER=SERVICE)
    assert status != 0
    assert "HERON_SERVICE_PASSWORD must be set when HERON_SERVICE_USER is" in output
    status, output = _start_up(HERON_SERVICE_USER=SERVICE, HERON_SERVICE_PASSWORD="pw-4e1a")
    assert (status, output) == (0, "'heron-service' 7\n")


# The account a worker speaks with


@pytest.mark.django_db
def test_the_service_account_acts_for_the_user_with_the_service_login(service, settings):
    account = mail.service_account(ALICE)
    assert (account.username, account.act_as, account.owner) == (SERVICE, ALICE, ALICE)
    assert account.password == SERVICE_PASSWORD and SERVICE_PASSWORD not in repr(account)
    assert account.servers.imap.port == settings.IMAP_PORT  # the user's (the defaults here)
    browser = mail.Account(ALICE, "pw", account.servers)
    assert (browser.act_as, browser.owner) == (None, ALICE)


@pytest.mark.django_db
def test_heron_acts_only_for_its_own_active_users(service, django_user_model):
    # No such mail account; carol's exists, but she never logged in to Heron; then alice,
    # who did, once an operator deactivated her.
    for username in ("nobody@heron.test", "carol@heron.test"):
        with pytest.raises(AuthFailed, match="not an active Heron user"):
            mail.service_account(username)
    django_user_model.objects.filter(username=ALICE).update(is_active=False)
    with pytest.raises(AuthFailed, match="not an active Heron user"):
        with mail.service_mail(ALICE):
            pass
    assert service.logins == 0, "nothing reached the server"


@pytest.mark.django_db
def test_no_one_is_acted_for_in_a_disabled_domain(service):
    Domain.objects.create(name="heron.test", imap_host="h", smtp_host="h", active=False)
    forget_domain("heron.test")
    with pytest.raises(AuthFailed, match="disabled"):
        mail.service_account(ALICE)


@pytest.mark.django_db
def test_service_mail_opens_the_users_mailbox_without_her_password(service):
    with mail.service_mail(ALICE) as session:
        assert (session.username, session.acted_by) == (ALICE, SERVICE)
        assert session.page("INBOX").total == 120
    assert service.logins == 1
    with mail.service_mail(ALICE) as again:
        assert again is session, "pooled for the next job of the same user"
    assert service.logins == 1


@pytest.mark.django_db
def test_a_service_session_is_never_a_browser_sessions(service, client):
    log_in(client)
    client.get("/mail/")
    with mail.service_mail(ALICE) as worker:
        pass
    [browser] = [s for s in service.sessions if s.acted_by is None]
    assert worker is not browser and mail.POOL.size() == 2
    client.post("/accounts/logout/")
    assert browser.closed and not worker.closed, "a logout leaves the worker's session"
    with mail.service_mail(ALICE) as again:
        assert again is worker


@pytest.mark.django_db
def test_a_wrong_service_password_is_refused_and_never_shown(service, settings, caplog):
    caplog.set_level(logging.DEBUG)
    settings.HERON_SERVICE_PASSWORD = "wrong-but-secret-3"
    with pytest.raises(AuthFailed) as refused:
        with mail.service_mail(ALICE):
            pass
    shown = f"{refused.value} {refused.value.user_message} {caplog.text}"
    assert "wrong-but-secret-3" not in shown and SERVICE_PASSWORD not in shown


@pytest.mark.django_db
def test_a_user_the_server_does_not_know_is_refused_there(service, django_user_model):
    django_user_model.objects.create_user("gone@heron.test")  # a Heron user, no longer a mailbox
    with pytest.raises(AuthFailed):
        with mail.service_mail("gone@heron.test"):
            pass


@pytest.mark.django_db
def test_a_browser_login_cannot_name_another_user_to_act_for(service):
    session = service.factory(None)
    with pytest.raises(AuthFailed):
        session.login(ALICE, PASSWORDS[ALICE], act_as="carol@heron.test")


@pytest.mark.parametrize("act_as", ["alice@heron.test\x00heron-service", "a\r\nZ1 NOOP", ""])
def test_a_user_to_act_for_that_could_move_plains_fields_is_refused(act_as):
    from webmail.imap import wall

    with pytest.raises(UnsafeInput):
        wall.login_method(SERVICE, SERVICE_PASSWORD, act_as)
    assert wall.login_method(SERVICE, SERVICE_PASSWORD, ALICE) == "plain"


# SMTP: acting for the user, and where a send is


ENVELOPE = smtp.Envelope(ALICE, ("bob@heron.test",))


def auth_line(server):
    [line] = [c for c in server.commands if c.upper().startswith(b"AUTH")]
    return line


def test_act_as_sends_auth_plain_with_the_user_as_authorization_identity(smtp_server):
    server = smtp_server()
    smtp.send(server.config, SERVICE, SERVICE_PASSWORD, ENVELOPE, b"Subject: x\r\n\r\nhi\r\n",
              act_as=ALICE)
    verb, mechanism, response = auth_line(server).split()
    assert (verb.upper(), mechanism) == (b"AUTH", b"PLAIN")
    assert b64decode(response) == f"{ALICE}\0{SERVICE}\0{SERVICE_PASSWORD}".encode()
    assert server.messages[0]["from"] == b"mail FROM:<alice@heron.test>\r\n"


def test_without_act_as_the_login_is_the_users_own(smtp_server):
    server = smtp_server()
    smtp.send(server.config, ALICE, "pw", ENVELOPE, b"Subject: x\r\n\r\nhi\r\n")
    assert b64decode(auth_line(server).split()[2]) == f"\0{ALICE}\0pw".encode()


@pytest.mark.parametrize("username, act_as", [
    (SERVICE, "alice@heron.test\x00x"), ("heron\x00service", ALICE), (SERVICE, "jürgen@x.test"),
])
def test_a_login_plain_cannot_carry_is_refused_before_auth(smtp_server, username, act_as):
    server = smtp_server()
    with pytest.raises(smtp.SmtpAuthFailed):
        smtp.send(server.config, username, SERVICE_PASSWORD, ENVELOPE, b"x\r\n", act_as=act_as)
    assert not any(c.upper().startswith(b"AUTH") for c in server.commands)
    assert server.messages == []


def big_message():
    return b"Subject: big\r\n\r\n" + b"line of text\r\n" * (3 * smtp.CHUNK // 14)


def test_on_chunk_is_called_after_each_chunk_is_written(smtp_server):
    server = smtp_server()
    message = big_message()
    chunks = list(smtp.data_chunks(io.BytesIO(message)))
    written = []
    smtp.send(server.config, SERVICE, SERVICE_PASSWORD, ENVELOPE, io.BytesIO(message),
              act_as=ALICE, on_chunk=lambda: written.append(len(written)))
    assert len(chunks) > 1 and len(written) == len(chunks)
    assert server.messages[0]["data"] == message


def test_before_end_comes_once_after_the_last_chunk_and_before_the_end(smtp_server):
    server = smtp_server()
    events = []
    smtp.send(server.config, SERVICE, SERVICE_PASSWORD, ENVELOPE, io.BytesIO(big_message()),
              act_as=ALICE, on_chunk=lambda: events.append("chunk"),
              before_end=lambda: events.append(("end", len(server.messages))))
    assert events[-1] == ("end", 0), "called once, after every chunk, before the message"
    assert events.count("chunk") == len(events) - 1 >= 2
    assert len(server.messages) == 1


class LeaseLost(Exception):
    pass


@pytest.mark.parametrize("where", ["on_chunk", "before_end"])
def test_a_callback_that_raises_ends_the_send_with_nothing_sent(smtp_server, where):
    server = smtp_server()

    def lost():
        raise LeaseLost()

    with pytest.raises(LeaseLost):
        smtp.send(server.config, SERVICE, SERVICE_PASSWORD, ENVELOPE, io.BytesIO(big_message()),
                  act_as=ALICE, **{where: lost})
    assert server.messages == [], "the server saw no end of the message"
    smtp.send(server.config, SERVICE, SERVICE_PASSWORD, ENVELOPE, b"Subject: x\r\n\r\nhi\r\n",
              act_as=ALICE)
    assert len(server.messages) == 1, "the next send is not troubled"


def test_the_service_password_never_reaches_the_logs(smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    server = smtp_server()
    smtp.send(server.config, SERVICE, SERVICE_PASSWORD, ENVELOPE, b"Subject: x\r\n\r\nhi\r\n",
              act_as=ALICE)
    assert "sent a message" in caplog.text
    assert SERVICE_PASSWORD not in caplog.text
