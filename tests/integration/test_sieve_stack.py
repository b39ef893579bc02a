"""The stack's Sieve, end to end on Dovecot (Pigeonhole) and on Cyrus (timsieved, lmtpd).

Scripts are put over ManageSieve with sievelib directly; mail goes in through the stack's
SMTP server for that IMAP server, is delivered over LMTP with the script applied, and is
looked up over IMAP. Each test puts back alice's scripts as it found them.
"""
import os
import re
import smtplib
import time
import uuid
import warnings
from contextlib import ExitStack
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sievelib.managesieve import Client

from tests.integration.conftest import stack_account

pytestmark = pytest.mark.integration

ALICE, BOB = "alice@heron.test", "bob@heron.test"
TEST_PREFIX = "heron-test-"  # the names of the scripts these tests put
DELIVERY_SECONDS = 20
# What Heron's rules need from both servers (SIEVE.md).
NEEDED = {"fileinto", "copy", "imap4flags", "reject", "vacation", "date", "relational",
          "regex", "body", "variables", "include", "envelope", "mailbox"}


@dataclass(frozen=True)
class MailServer:
    kind: str
    sieve_port: int
    smtp_port: int


def _port(name, kind):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: the stack has no {kind} Sieve parts (run make services)")
    return int(value)


@pytest.fixture(params=["dovecot", "cyrus"])
def server(request, stack_users):
    if request.param == "dovecot":
        return MailServer("dovecot", _port("HERON_STACK_SIEVE_PORT", "Dovecot"),
                          _port("SMTP_PORT", "Dovecot"))
    return MailServer("cyrus", _port("HERON_STACK_CYRUS_SIEVE_PORT", "Cyrus"),
                      _port("HERON_STACK_CYRUS_SMTP_PORT", "Cyrus"))


def sieve_login(server, user, password):
    client = Client("127.0.0.1", server.sieve_port)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no TLS on the loopback stack
        assert client.connect(user, password, starttls=False, authmech="PLAIN"), client.errmsg
    return client


class Scripts:
    """A ManageSieve session that remembers the scripts it put, to remove them later."""

    def __init__(self, client):
        self.client = client
        self.put_names = []

    def put(self, name, text):
        """Put the script and make it the active one."""
        assert self.client.putscript(name, text), self.client.errmsg
        self.put_names.append(name)
        assert self.client.setactive(name), self.client.errmsg


@pytest.fixture
def alice_sieve(server, stack_users):
    """alice's ManageSieve session; the scripts the test put are deleted afterwards, and
    the script active before it is active again (none: none is)."""
    client = sieve_login(server, ALICE, stack_users[ALICE])
    active_before, _ = client.listscripts()
    scripts = Scripts(client)
    yield scripts
    assert client.setactive(active_before or ""), client.errmsg
    _, inactive = client.listscripts()
    # also one a failed test put by surprise (a broken script the server took)
    for name in set(scripts.put_names) | {n for n in inactive if n.startswith(TEST_PREFIX)}:
        if name != active_before:
            assert client.deletescript(name), client.errmsg
    client.logout()


@pytest.fixture
def imap(server, stack_users):
    """connect(user): a direct IMAP connection to the server, logged out afterwards."""
    with ExitStack() as opened:
        yield lambda user: opened.enter_context(
            stack_account(server.kind, stack_users, user).connect())


@pytest.fixture
def alice_folder(imap):
    """A new top-level folder of alice's, deleted afterwards."""
    conn = imap(ALICE)
    name = f"Sieve-{uuid.uuid4().hex[:10]}"
    conn.create_folder(name)
    yield name
    conn.delete_folder(name)


def send(server, stack_users, sender, recipient, subject, body="Hello.\n"):
    """Submit a message with authentication through the server's stack SMTP port."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, recipient, subject
    msg["Message-ID"] = make_msgid(domain="heron.test")
    msg.set_content(body)
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as smtp:
        smtp.login(sender, stack_users[sender])
        smtp.send_message(msg)


def matching(conn, folder, subject):
    """UIDs of the messages in folder whose Subject contains subject."""
    conn.select_folder(folder, readonly=True)
    uids = conn.search(["SUBJECT", subject])
    conn.unselect_folder()
    return uids


def wait_for(conn, folder, subject, count=1):
    """Poll until folder holds at least count messages with subject; return their UIDs."""
    deadline = time.monotonic() + DELIVERY_SECONDS
    while True:
        uids = matching(conn, folder, subject)
        if len(uids) >= count or time.monotonic() > deadline:
            return uids
        time.sleep(0.2)


def test_alice_logs_in_and_lists_her_scripts(server, stack_users):
    client = sieve_login(server, ALICE, stack_users[ALICE])
    try:
        active, others = client.listscripts()
        assert active is None or isinstance(active, str)
        assert isinstance(others, list)
        assert NEEDED <= set(client.get_sieve_capabilities())
    finally:
        client.logout()


def test_a_wrong_password_is_refused(server):
    client = Client("127.0.0.1", server.sieve_port)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert not client.connect(ALICE, "not-alices-password", starttls=False, authmech="PLAIN")


def fileinto_script(folder, token):
    return (f'require ["fileinto"];\n'
            f'if header :contains "subject" "{token}" {{\n'
            f'  fileinto "{folder}";\n'
            f'  stop;\n'
            f'}}\n')


def test_a_fileinto_rule_files_delivered_mail(server, stack_users, alice_sieve, imap, alice_folder):
    token = uuid.uuid4().hex
    alice_sieve.put("heron-test-fileinto", fileinto_script(alice_folder, token))

    other = f"Kept {uuid.uuid4().hex}"
    send(server, stack_users, BOB, ALICE, f"Filed {token}")
    send(server, stack_users, BOB, ALICE, other)

    conn = imap(ALICE)
    assert len(wait_for(conn, alice_folder, f"Filed {token}")) == 1
    assert len(wait_for(conn, "INBOX", other)) == 1
    assert matching(conn, "INBOX", f"Filed {token}") == []
    assert matching(conn, alice_folder, other) == []


def test_vacation_answers_two_messages_from_one_sender_once(server, stack_users, alice_sieve, imap):
    token = uuid.uuid4().hex
    away = f"Away {token}"
    # The servers remember whom they answered per sender and vacation text (not per
    # script): a new text each run, so that an earlier run's reply does not hold this one back.
    alice_sieve.put("heron-test-vacation", (
        'require ["vacation"];\n'
        f'vacation :days 1 :addresses ["{ALICE}"] :subject "{away}"\n'
        f'  "I am away until Monday ({token}).";\n'))
    bob = imap(BOB)
    alice = imap(ALICE)

    send(server, stack_users, BOB, ALICE, f"First {token}")
    assert len(wait_for(bob, "INBOX", away)) == 1, "no vacation reply reached bob"
    send(server, stack_users, BOB, ALICE, f"Second {token}")
    # The second message is certainly delivered (and any reply to it sent) once alice has
    # it; the marker then takes the same path to bob as a reply would, after it.
    assert len(wait_for(alice, "INBOX", f"Second {token}")) == 1
    send(server, stack_users, ALICE, BOB, f"Marker {token}")
    assert len(wait_for(bob, "INBOX", f"Marker {token}")) == 1

    replies = matching(bob, "INBOX", away)
    assert len(replies) == 1
    bob.select_folder("INBOX", readonly=True)
    reply = bob.fetch(replies, ["BODY.PEEK[HEADER.FIELDS (FROM TO)]"])
    headers = next(iter(reply.values()))[b"BODY[HEADER.FIELDS (FROM TO)]"].decode().lower()
    assert ALICE in headers and BOB in headers
    # Vacation keeps the mail: both messages are in alice's INBOX.
    assert len(matching(alice, "INBOX", f"First {token}")) == 1


def test_a_script_with_a_syntax_error_is_refused_and_the_old_one_keeps_working(
        server, stack_users, alice_sieve, imap, alice_folder):
    token = uuid.uuid4().hex
    alice_sieve.put("heron-test-good", fileinto_script(alice_folder, token))
    broken = ('require ["fileinto"];\n'
              'if header :contains "subject" "x" {\n'
              '  fileinto "Elsewhere"\n'
              '}\n')

    client = alice_sieve.client
    assert not client.checkscript(broken)  # CHECKSCRIPT (RFC 5804, 2.12)
    assert re.search(rb"line 4\b", client.errmsg), client.errmsg
    assert not client.putscript("heron-test-broken", broken)
    assert re.search(rb"line 4\b", client.errmsg), client.errmsg
    assert client.checkscript(fileinto_script(alice_folder, token)), client.errmsg
    active, others = client.listscripts()
    assert active == "heron-test-good"
    assert "heron-test-broken" not in others

    send(server, stack_users, BOB, ALICE, f"Still filed {token}")
    assert len(wait_for(imap(ALICE), alice_folder, f"Still filed {token}")) == 1


def test_without_a_login_the_stack_smtp_takes_mail_for_local_users_only(server, imap):
    """What vacation replies need (the null sender, no AUTH) and no more: no relaying."""
    token = uuid.uuid4().hex
    message = f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: Local {token}\r\n\r\nHello.\r\n".encode()
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("", ["someone@example.org"], message)
        assert refused.value.recipients["someone@example.org"][0] == 530
        with pytest.raises(smtplib.SMTPRecipientsRefused) as unknown:
            smtp.sendmail("", ["nobody@heron.test"], message)
        assert unknown.value.recipients["nobody@heron.test"][0] == 550
        smtp.sendmail("", [BOB], message)
    assert len(wait_for(imap(BOB), "INBOX", f"Local {token}")) == 1
