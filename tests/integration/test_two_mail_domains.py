"""One Heron, two mail domains on two Dovecot servers: each user reaches only their own.

heron.test is served by the stack's first Dovecot (Heron's default servers); other.test by
the second one (deploy/stack/up.sh, "dovecot2"), chosen through a Domain row as an
operator would add it in admin.
"""
import os

import pytest
from django.test import Client

from accounts.domains import forget_domain
from accounts.models import Domain
from tests.integration.conftest import log_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
ALICE = "alice@heron.test"
DANA = "dana@other.test"
OTHER_SUBJECTS = {"Welcome to other.test", "Your other.test mailbox is ready",
                  "Notes from the other.test team meeting"}


@pytest.fixture(scope="session")
def other_users():
    raw = os.environ.get("STACK_USERS2", "")
    users = dict(item.split(":", 1) for item in raw.split() if ":" in item)
    if not users or not os.environ.get("DOVECOT2_IMAP_PORT"):
        pytest.fail("The stack has no second Dovecot (DOVECOT2_IMAP_PORT, STACK_USERS2 unset): "
                    "run `bash deploy/stack/up.sh`, then `set -a; . .stack/env; set +a`.")
    return users


def other_test_domain(**changes):
    """The Domain row sending other.test logins to the second Dovecot."""
    fields = {
        "name": "other.test",
        "imap_host": os.environ["DOVECOT2_IMAP_HOST"],
        "imap_port": int(os.environ["DOVECOT2_IMAP_PORT"]),
        "imap_security": os.environ.get("DOVECOT2_IMAP_SECURITY", "none"),
        # The stack has one SMTP server; sending is not what these tests are about.
        "smtp_host": os.environ["SMTP_HOST"],
        "smtp_port": int(os.environ["SMTP_PORT"]),
        "smtp_security": "none",
        **changes,
    }
    domain = Domain.objects.create(**fields)
    forget_domain("other.test")
    return domain


@pytest.fixture
def other_test(other_users):
    yield other_test_domain()
    forget_domain("other.test")  # the row goes with the test's transaction


def logged_in(username, password):
    client = Client()
    response = log_in(client, username, password)
    assert response.status_code == 302, response.content.decode()[-2000:]
    return client


def inbox(client):
    found = client.get("/api/messages/", {"mailbox": "INBOX"}).json()
    return found["total"], [message["subject"] for message in found["messages"]]


def test_each_user_sees_the_inbox_of_their_own_server(other_test, other_users, stack_users):
    dana = logged_in(DANA, other_users[DANA])
    alice = logged_in(ALICE, stack_users[ALICE])

    total, subjects = inbox(dana)
    assert (total, set(subjects)) == (3, OTHER_SUBJECTS)
    total, subjects = inbox(alice)
    assert total > 50 and not OTHER_SUBJECTS & set(subjects)

    page = dana.get("/mail/").content.decode()
    assert "Welcome to other.test" in page
    assert "Welcome to other.test" not in alice.get("/mail/").content.decode()


def test_each_user_sees_the_folders_of_their_own_server(other_test, other_users, stack_users):
    dana = logged_in(DANA, other_users[DANA])
    alice = logged_in(ALICE, stack_users[ALICE])
    dana_folders = {box["name"] for box in dana.get("/api/mailboxes/").json()["mailboxes"]}
    alice_folders = {box["name"] for box in alice.get("/api/mailboxes/").json()["mailboxes"]}
    assert "Projects" in alice_folders and "Projects" not in dana_folders
    assert {"INBOX", "Drafts", "Sent", "Trash"} <= dana_folders


def test_a_message_of_the_other_server_is_not_found(other_test, other_users, stack_users):
    dana = logged_in(DANA, other_users[DANA])
    alice = logged_in(ALICE, stack_users[ALICE])
    newest = alice.get("/api/messages/", {"mailbox": "INBOX"}).json()["messages"][0]
    assert newest["uid"] > 3  # dana's server holds UIDs 1-3 only

    assert alice.get(newest["url"]).status_code == 200
    assert dana.get(newest["url"]).status_code == 404


def test_a_password_counts_only_on_the_server_of_its_domain(other_test, other_users,
                                                             stack_users):
    refused = "Wrong email address or password."
    # alice's password, and dana's, each against the other domain's server.
    for username, password in [("alice@other.test", stack_users[ALICE]),
                               ("dana@heron.test", other_users[DANA]),
                               (DANA, stack_users[ALICE])]:
        response = log_in(Client(), username, password)
        assert response.status_code == 200 and refused in response.content.decode(), username


def test_without_its_domain_row_other_test_goes_to_the_default_server(other_users):
    forget_domain("other.test")
    response = log_in(Client(), DANA, other_users[DANA])
    assert "Wrong email address or password." in response.content.decode()


def test_an_inactive_domain_cannot_log_in(other_users):
    other_test_domain(active=False)
    try:
        response = log_in(Client(), DANA, other_users[DANA])
        assert "Wrong email address or password." in response.content.decode()
    finally:
        forget_domain("other.test")


def test_the_same_uid_opens_each_users_own_message(other_test, other_users, stack_users):
    alice = logged_in(ALICE, stack_users[ALICE])
    dana = logged_in(DANA, other_users[DANA])
    alice_first = alice.get("/mail/message/1/body/", {"mailbox": "INBOX"})
    dana_first = dana.get("/mail/message/1/body/", {"mailbox": "INBOX"})
    assert alice_first.status_code == dana_first.status_code == 200
    assert "This message lives on the other.test server." in dana_first.content.decode()
    assert "other.test" not in alice_first.content.decode()


def test_a_pooled_connection_survives_a_restart_of_the_mail_server(other_test, other_users):
    """Restarting the second Dovecot (which no other test uses meanwhile) drops the pooled
    connection; the next page re-makes it and answers, with no error and no new login."""
    import socket
    import subprocess
    import time
    from pathlib import Path

    dana = logged_in(DANA, other_users[DANA])
    before = dana.get("/api/messages/")
    assert before.status_code == 200
    conf = Path(__file__).resolve().parents[2] / ".stack" / "dovecot2" / "dovecot.conf"
    port = int(os.environ["DOVECOT2_IMAP_PORT"])

    def answering():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                return probe.recv(64).startswith(b"* OK")
        except OSError:
            return False

    subprocess.run(["dovecot", "-c", str(conf), "stop"], check=True, timeout=30)
    deadline = time.monotonic() + 20
    while answering() and time.monotonic() < deadline:
        time.sleep(0.1)
    subprocess.run(["dovecot", "-c", str(conf)], check=True, timeout=30)
    while not answering() and time.monotonic() < deadline + 20:
        time.sleep(0.1)
    after = dana.get("/api/messages/")
    assert after.status_code == 200
    assert ({m["subject"] for m in after.json()["messages"]}
            == {m["subject"] for m in before.json()["messages"]})
