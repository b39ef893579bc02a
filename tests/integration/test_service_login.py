"""The service login against the real stack: a worker acts for a user who may be logged
out, with the stack's service login (HERON_SERVICE_USER, a Dovecot master user and a Cyrus
proxyserver) and the user as SASL PLAIN's authorization identity, never her password.
The stack's SMTP server checks such a login against Dovecot and sends as the user."""
import os
import re
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.integration.test_compose_flow import delivered
from tests.integration.test_demo_smtp import demo_inbox, demo_smtp  # noqa: F401 (fixtures)
from tests.integration.test_two_mail_domains import other_test, other_users  # noqa: F401
from webmail import mail, smtp
from webmail.imap.errors import AuthFailed
from webmail.imap.session import MailSession
from webmail.imap.types import ServerConfig

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
ALICE, BOB, DANA = "alice@heron.test", "bob@heron.test", "dana@other.test"
WRONG = "wrong-service-secret-51d2"
SMTP_LOG = Path(__file__).resolve().parents[2] / ".stack" / "smtp" / "smtp.log"


@pytest.fixture(scope="session")
def service_login():
    user, password = (os.environ.get("HERON_SERVICE_USER"),
                      os.environ.get("HERON_SERVICE_PASSWORD"))
    if not user or not password:
        pytest.fail("The stack has no service login (HERON_SERVICE_USER unset): run "
                    "`bash deploy/stack/up.sh`, then `set -a; . .stack/env; set +a`.")
    return user, password


@pytest.fixture
def service(settings, service_login, django_user_model):
    """The service login in the settings; alice and dana are Heron users (they logged in
    once), whom a worker may act for."""
    settings.HERON_SERVICE_USER, settings.HERON_SERVICE_PASSWORD = service_login
    for user in (ALICE, DANA):
        django_user_model.objects.create_user(user, email=user)
    yield service_login
    mail.POOL.clear()


@pytest.fixture
def smtp_config():
    return ServerConfig(os.environ["SMTP_HOST"], int(os.environ["SMTP_PORT"]), "none")


@pytest.fixture
def subject(direct_imap):
    """A subject unique to the test; its messages in bob's INBOX are removed afterwards."""
    word = f"service {uuid.uuid4().hex[:12]}"
    yield word
    conn = direct_imap(BOB)
    conn.select_folder("INBOX")
    found = conn.search(["SUBJECT", word])
    if found:
        conn.delete_messages(found)
        conn.expunge()


def note(subject, to=BOB, sender=ALICE):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content("Sent by a worker, for its user.\n")
    return msg.as_bytes()


# IMAP


def test_the_service_login_lists_alices_inbox_on_dovecot(service, direct_imap):
    with mail.service_mail(ALICE) as session:
        names = [box.name for box in session.list_mailboxes()]
        # Oldest first: the seeded mail, which other tests on the stack leave alone.
        page = session.page("INBOX", reverse=False)
    assert "INBOX" in names and "Sent" in names
    direct = direct_imap(ALICE)
    direct.select_folder("INBOX", readonly=True)
    uids = [m.uid for m in page.messages]
    assert uids and set(uids) <= set(direct.search(["ALL"]))


def test_the_service_login_opens_danas_mail_on_the_other_dovecot(service, other_test):
    with mail.service_mail(DANA) as session:
        page = session.page("INBOX")
    assert page.total == 3
    assert any(m.subject == "Welcome to other.test" for m in page.messages)


def test_a_wrong_service_password_is_refused(service, settings, caplog):
    settings.HERON_SERVICE_PASSWORD = WRONG
    # The pool's sessions log in at their first command.
    with pytest.raises(AuthFailed) as refused:
        with mail.service_mail(ALICE) as session:
            session.list_mailboxes()
    shown = f"{refused.value} {refused.value.user_message} {caplog.text}"
    assert WRONG not in shown and service[1] not in shown


def test_a_user_who_does_not_exist_is_refused(service, dovecot):
    # By Dovecot (a master passdb with pass = yes looks the user up) ...
    with pytest.raises(AuthFailed):
        MailSession(dovecot).login(*service, act_as="nobody@heron.test")
    # ... and before it by Heron, which acts only for its own users (Cyrus would let the
    # name in and make it a mailbox).
    with pytest.raises(AuthFailed, match="not an active Heron user"):
        with mail.service_mail("nobody@heron.test"):
            pass


def test_a_user_cannot_act_for_another(dovecot, stack_users):
    with pytest.raises(AuthFailed):
        MailSession(dovecot).login(BOB, stack_users[BOB], act_as=ALICE)


def test_a_user_of_another_server_is_refused_there(service, dovecot):
    # dana lives on the other Dovecot only: the first one refuses to act for her.
    with pytest.raises(AuthFailed):
        MailSession(dovecot).login(*service, act_as=DANA)


def test_cyrus_lets_the_service_login_act_for_alice(service):
    cyrus = ServerConfig(os.environ["CYRUS_IMAP_HOST"], int(os.environ["CYRUS_IMAP_PORT"]),
                         "none")
    session = MailSession(cyrus)
    session.login(*service, act_as=ALICE)
    try:
        assert session.page("INBOX").total > 0
    finally:
        session.close()
    with pytest.raises(AuthFailed):
        MailSession(cyrus).login(service[0], WRONG, act_as=ALICE)


def test_the_demo_server_lets_its_user_act_for_itself_only(demo_server):
    session = MailSession(demo_server)
    session.login("demo@heron.demo", "demopass", act_as="demo@heron.demo")
    try:
        assert session.page("INBOX").total > 0
    finally:
        session.close()
    with pytest.raises(AuthFailed):
        MailSession(demo_server).login("demo@heron.demo", "demopass", act_as="other@heron.demo")


# SMTP


def test_a_send_acting_for_alice_lands_in_bobs_inbox_from_alice(service, smtp_config, subject,
                                                               direct_imap):
    smtp.send(smtp_config, *service, smtp.Envelope(ALICE, (BOB,)), note(subject), act_as=ALICE)
    conn = direct_imap(BOB)
    [uid] = delivered(conn, "INBOX", "SUBJECT", subject)
    got = message_from_bytes(conn.fetch([uid], ["RFC822"])[uid][b"RFC822"],
                             policy=policy.default)
    assert got["Return-Path"] == f"<{ALICE}>" and got["From"] == ALICE
    assert any(f"(authenticated as {ALICE})" in " ".join(line.split())
               for line in got.get_all("Received"))
    log = SMTP_LOG.read_text()
    assert f"as {service[0]} for {ALICE}" in log and service[1] not in log


def test_smtp_refuses_a_wrong_service_password_and_a_user_acting_for_another(
        service, smtp_config, stack_users):
    envelope = smtp.Envelope(ALICE, (BOB,))
    with pytest.raises(smtp.SmtpAuthFailed):
        smtp.send(smtp_config, service[0], WRONG, envelope, note("never"), act_as=ALICE)
    with pytest.raises(smtp.SmtpAuthFailed):
        smtp.send(smtp_config, BOB, stack_users[BOB], envelope, note("never"), act_as=ALICE)
    assert WRONG not in SMTP_LOG.read_text()


def test_a_slow_recipient_is_answered_late_and_delivered_to_its_base_address(
        service, smtp_config, subject, direct_imap):
    # Tests that stop a worker in the middle of a send use it; its server says it waited.
    logged = SMTP_LOG.stat().st_size
    smtp.send(smtp_config, *service, smtp.Envelope(ALICE, ("bob+slow@heron.test",)),
              note(subject, to="bob+slow@heron.test"), act_as=ALICE)
    with SMTP_LOG.open() as log:
        log.seek(logged)
        assert re.search(r"RCPT bob\+slow@heron\.test answered after \d", log.read())
    conn = direct_imap(BOB)
    [uid] = delivered(conn, "INBOX", "SUBJECT", subject)
    got = message_from_bytes(conn.fetch([uid], ["RFC822"])[uid][b"RFC822"],
                             policy=policy.default)
    assert got["To"] == "bob+slow@heron.test" and got["Delivered-To"] == BOB


def test_the_demo_smtp_server_takes_the_demo_users_service_login(demo_smtp, demo_inbox):
    port, _, log_file = demo_smtp
    subject = f"acting for myself {uuid.uuid4().hex}"
    smtp.send(ServerConfig("127.0.0.1", port, "none"), "demo@heron.demo", "demopass",
              smtp.Envelope("demo@heron.demo", ("demo@heron.demo",)),
              note(subject, to="demo@heron.demo", sender="demo@heron.demo"),
              act_as="demo@heron.demo")
    demo_inbox.select_folder("INBOX")
    assert len(demo_inbox.search(["SUBJECT", subject])) == 1
    assert "demopass" not in log_file.read_text()
