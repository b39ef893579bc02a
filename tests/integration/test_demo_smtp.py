"""The demo SMTP server of `make run` (deploy/demo_smtp.py) next to the demo IMAP server."""
import smtplib
import subprocess
import sys
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.helpers import free_port

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "demo_smtp.py"
WRONG_PASSWORD = "wrong-secret-7f3a"


@pytest.fixture(scope="module")
def demo_smtp(demo_server, tmp_path_factory):
    """The demo SMTP server on a free port, with its outbox and log in a temporary folder.

    Yields (port, outbox folder, log file)."""
    folder = tmp_path_factory.mktemp("demo-smtp")
    outbox, log_file = folder / "outbox", folder / "demo-smtp.log"
    port = free_port()
    with open(log_file, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), "--port", str(port), "--imap-port",
             str(demo_server.port), "--outbox", str(outbox)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                smtplib.SMTP("127.0.0.1", port, timeout=2).quit()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the demo SMTP server did not start:\n" + log_file.read_text())
                time.sleep(0.1)
        yield port, outbox, log_file
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def demo_inbox(demo_server):
    """A direct connection to the demo INBOX; messages a test sends there are removed after
    it, since the demo IMAP server is shared by the whole session."""
    client = IMAPClient(demo_server.host, port=demo_server.port, ssl=False, timeout=10)
    client.login("demo@heron.demo", "demopass")
    client.select_folder("INBOX")
    before = set(client.search(["ALL"]))
    yield client
    client.select_folder("INBOX")
    added = sorted(set(client.search(["ALL"])) - before)
    if added:
        client.delete_messages(added)
        client.expunge()
    client.logout()


def message(to, subject):
    msg = EmailMessage()
    msg["From"] = "demo@heron.demo"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Sent through the demo SMTP server.\n")
    return msg


def send(port, msg, password="demopass"):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.login("demo@heron.demo", password)
        return smtp.send_message(msg)


def test_mail_to_the_demo_user_lands_in_their_inbox(demo_smtp, demo_inbox):
    port, outbox, _ = demo_smtp
    subject = f"to myself {uuid.uuid4().hex}"
    assert send(port, message("demo@heron.demo", subject)) == {}
    demo_inbox.select_folder("INBOX")
    uids = demo_inbox.search(["SUBJECT", subject])
    assert len(uids) == 1
    raw = demo_inbox.fetch(uids, ["RFC822"])[uids[0]][b"RFC822"]
    assert b"Sent through the demo SMTP server." in raw
    assert not any(subject in path.read_text() for path in outbox.glob("*.eml"))


def test_mail_to_the_demo_user_at_any_domain_is_theirs(demo_smtp, demo_inbox):
    port, _, _ = demo_smtp
    subject = f"to my address {uuid.uuid4().hex}"
    send(port, message("demo@example.org", subject))
    demo_inbox.select_folder("INBOX")
    assert len(demo_inbox.search(["SUBJECT", subject])) == 1


def test_mail_to_anyone_else_is_kept_in_the_outbox(demo_smtp, demo_inbox):
    port, outbox, log_file = demo_smtp
    subject = f"to someone {uuid.uuid4().hex}"
    assert send(port, message("someone@example.com", subject)) == {}
    kept = [path for path in outbox.glob("*.eml") if subject in path.read_text()]
    assert len(kept) == 1
    assert "X-Envelope-To: someone@example.com" in kept[0].read_text()
    assert str(kept[0]) in log_file.read_text()
    demo_inbox.select_folder("INBOX")
    assert demo_inbox.search(["SUBJECT", subject]) == []


def test_a_wrong_password_is_refused(demo_smtp):
    port, _, _ = demo_smtp
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        send(port, message("demo@heron.demo", "never sent"), password=WRONG_PASSWORD)
    assert refused.value.smtp_code == 535


def test_mail_without_logging_in_is_refused(demo_smtp):
    port, _, _ = demo_smtp
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.send_message(message("demo@heron.demo", "never sent"))
    assert refused.value.smtp_code == 530


def test_passwords_never_reach_its_log(demo_smtp, demo_inbox):
    port, _, log_file = demo_smtp
    send(port, message("demo@heron.demo", f"logged {uuid.uuid4().hex}"))
    with pytest.raises(smtplib.SMTPAuthenticationError):
        send(port, message("demo@heron.demo", "never sent"), password=WRONG_PASSWORD)
    log = log_file.read_text()
    assert "AUTH" in log
    assert "demopass" not in log
    assert WRONG_PASSWORD not in log
