"""Heron behind nginx's IMAP proxy, which asks Heron's routing table where each login lives.

The module starts its own nginx mail proxy (deploy/stack/mailproxy.sh) once, with auth_http
pointed at this test run's live server, in front of the stack's two Dovecots: alice's mail
is on the first (her domain's server), frank's on the second (a Route row). Heron connects
to the proxy for both (IMAP_PROXY_HOST), as desktop clients would.
"""
import os
import re
import secrets
import subprocess
import time
from pathlib import Path

import pytest
from django.test import Client
from imapclient import IMAPClient

from accounts.models import Route
from tests.helpers import free_port
from tests.integration.conftest import log_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
ALICE, FRANK = "alice@heron.test", "frank@heron.test"
FRANK_SUBJECTS = {"Welcome to heron.test", "Your heron.test mailbox is ready",
                  "Notes from the heron.test team meeting"}


def _script(*args):
    subprocess.run(["bash", "deploy/stack/mailproxy.sh", *args], cwd=ROOT, check=True,
                   capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def proxy(live_server):
    """(port, secret) of an nginx mail proxy asking this run's live server."""
    if not os.environ.get("STACK_USERS_ON2"):
        pytest.fail("The stack has no user on the second Dovecot (STACK_USERS_ON2 unset): "
                    "run `bash deploy/stack/up.sh`, then `set -a; . .stack/env; set +a`.")
    state = ROOT / ".stack" / "mailproxy-test"
    state.mkdir(parents=True, exist_ok=True)
    secret = state / "secret"
    secret.write_text(secrets.token_urlsafe(24) + "\n")
    secret.chmod(0o600)
    port = free_port()
    _script("up", "--dir", str(state), "--port", str(port), "--secret-file", str(secret),
            "--auth-url", f"{live_server.url}/mail-proxy/auth")
    yield port, secret.read_text().strip()
    _script("down", "--dir", str(state))


@pytest.fixture
def behind_proxy(proxy, settings):
    port, secret = proxy
    settings.IMAP_PROXY_HOST, settings.IMAP_PROXY_PORT = "127.0.0.1", port
    settings.IMAP_PROXY_SECURITY = "none"
    settings.HERON_MAIL_PROXY_SECRET = secret
    Route.objects.create(pattern=FRANK, imap_host=os.environ["DOVECOT2_IMAP_HOST"],
                         imap_port=int(os.environ["DOVECOT2_IMAP_PORT"]), imap_security="none",
                         sieve_port=0)
    return port


@pytest.fixture(scope="module")
def frank_password():
    return dict(item.split(":", 1) for item in os.environ["STACK_USERS_ON2"].split())[FRANK]


def logged_in(user, password):
    client = Client()
    response = log_in(client, user, password)
    assert response.status_code == 302, response.content.decode()[-1500:]
    return client


def inbox(client, mailbox="INBOX"):
    found = client.get("/api/messages/", {"mailbox": mailbox}).json()
    return {message["subject"]: message["uid"] for message in found["messages"]}


def test_users_on_both_servers_read_their_own_mail_through_the_proxy(
        behind_proxy, stack_users, frank_password):
    frank = logged_in(FRANK, frank_password)
    alice = logged_in(ALICE, stack_users[ALICE])
    assert FRANK_SUBJECTS <= set(inbox(frank))
    assert not FRANK_SUBJECTS & set(inbox(alice)) and len(inbox(alice)) > 10
    page = frank.get("/mail/")
    assert page.status_code == 200 and "Welcome to heron.test" in page.content.decode()
    uid = inbox(frank)["Welcome to heron.test"]
    body = frank.get(f"/mail/message/{uid}/body/", {"mailbox": "INBOX"})
    assert "This message lives on the heron.test server." in body.content.decode()


def test_a_moved_message_moves_on_the_users_own_server(behind_proxy, frank_password):
    frank = logged_in(FRANK, frank_password)
    uid = inbox(frank)["Your heron.test mailbox is ready"]
    moved = frank.post("/mail/actions/", {"action": "move", "mailbox": "INBOX", "uids": [uid],
                                          "target": "Trash"}, HTTP_ACCEPT="application/json")
    assert moved.status_code == 200, moved.content[:500]
    assert "Your heron.test mailbox is ready" in inbox(frank, "Trash")
    assert "Your heron.test mailbox is ready" not in inbox(frank)
    with IMAPClient(os.environ["DOVECOT2_IMAP_HOST"],
                    port=int(os.environ["DOVECOT2_IMAP_PORT"]), ssl=False, timeout=10) as conn:
        conn.login(FRANK, frank_password)
        conn.select_folder("Trash")
        assert conn.search(["SUBJECT", "mailbox is ready"])
        conn.move(conn.search(["SUBJECT", "mailbox is ready"]), "INBOX")
    assert "Your heron.test mailbox is ready" in inbox(frank)


def test_a_user_behind_the_proxy_sends_and_the_mail_arrives(behind_proxy, frank_password,
                                                            direct_imap):
    frank = logged_in(FRANK, frank_password)
    page = frank.get("/mail/compose/").content.decode()
    draft = re.search(r'name="draft"[^>]*value="([^"]*)"', page).group(1)
    identity = re.search(r'<option value="(\d+)"[^>]*selected', page).group(1)
    token = secrets.token_hex(6)
    sent = frank.post("/mail/compose/send/", {
        "draft": draft, "identity": identity, "to": ALICE, "subject": f"Via proxy {token}",
        "body": "Sent from the second server.", "format": "text"}, follow=True)
    assert "Message sent." in sent.content.decode()
    alice = direct_imap(ALICE)
    deadline = time.monotonic() + 15
    while True:
        alice.select_folder("INBOX", readonly=True)
        if alice.search(["SUBJECT", token]) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    found = alice.search(["SUBJECT", token])
    assert found
    assert f"Via proxy {token}" in inbox(frank, "Sent")
    alice.select_folder("INBOX")
    alice.delete_messages(found)
    alice.expunge()


def test_a_wrong_password_is_refused_with_the_servers_answer(behind_proxy, stack_users):
    for user, password in [(FRANK, stack_users[ALICE]), (ALICE, "not-her-password")]:
        response = log_in(Client(), user, password)
        assert response.status_code == 200
        assert "Wrong email address or password." in response.content.decode(), user


def test_a_server_the_proxy_cannot_reach_is_unavailable_not_a_wrong_password(
        behind_proxy, frank_password):
    route = Route.objects.get(pattern=FRANK)
    route.imap_port = free_port()  # nothing listens there
    route.save()
    response = log_in(Client(), FRANK, frank_password)
    assert "The mail server cannot be reached right now." in response.content.decode()


def test_the_proxy_asks_heron_and_heron_answers_only_with_the_secret(
        behind_proxy, frank_password, settings):
    settings.HERON_MAIL_PROXY_SECRET = "not-what-nginx-sends"
    response = log_in(Client(), FRANK, frank_password)
    assert "The mail server cannot be reached right now." in response.content.decode()
