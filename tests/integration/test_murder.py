"""Heron in front of a Cyrus discrete Murder (deploy/stack/murder.sh): one frontend F that
proxies to two backends, gina's mailboxes on B1, hal's on B2 with his folder Projects shared
with gina. Heron talks only to F (a Route row for each user), as it would at a large site.

What users rely on: each reads their own mail whoever's backend holds it; gina opens hal's
shared folder, and a message she moves between her INBOX and it (two backends: F's MOVE
only copies there, Heron finishes it) is in exactly one folder afterwards; a folder she
creates lands on her backend; when the admin moves her whole mailbox to the other backend
(XFER) her open Heron goes on with the same messages, after at most one "try again" page.

The module starts the Murder once (idempotent, quick when it runs already) and leaves it
running, as the rest of the stack is left for the next run: deploy/stack/down.sh does not
know it, so `bash deploy/stack/murder.sh down` stops it.
"""
import shlex
import socket
import subprocess
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from django.test import Client
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from accounts.models import Route
from tests.integration.conftest import log_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
ROOT = Path(__file__).resolve().parents[2]
GINA, HAL = "gina@heron.test", "hal@heron.test"
JSON = {"HTTP_ACCEPT": "application/json"}
UNAVAILABLE = "The mail server cannot be reached right now."
# After an XFER, F answers "Mailbox does not exist" for about two seconds.
BACK_WITHIN = 15


@pytest.fixture(scope="module")
def murder():
    """The Murder's settings (.stack/murder/env) as a dict, the Murder up."""
    done = subprocess.run(["bash", "deploy/stack/murder.sh", "up"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"murder.sh up failed: {done.stderr[-2000:]}"
    settings = {}
    for line in (ROOT / ".stack" / "murder" / "env").read_text().splitlines():
        if line.startswith("export "):
            name, _sep, value = line[len("export "):].partition("=")
            settings[name] = shlex.split(value)[0] if value else ""
    settings["users"] = dict(item.split(":", 1) for item in settings["MURDER_USERS"].split())
    return settings


@pytest.fixture
def routed(murder):
    """gina and hal routed to F."""
    for user in (GINA, HAL):
        Route.objects.create(pattern=user, imap_host=murder["MURDER_IMAP_HOST"],
                             imap_port=int(murder["MURDER_IMAP_PORT"]), imap_security="none",
                             sieve_port=0)
    return murder


def port(murder, node):
    return int(murder[{"F": "MURDER_IMAP_PORT", "B1": "MURDER_BACKEND1_PORT",
                       "B2": "MURDER_BACKEND2_PORT"}[node]])


def imap(murder, node, user=None):
    """A logged-in imapclient connection to F, B1 or B2, as user (else the admin)."""
    client = IMAPClient(murder["MURDER_IMAP_HOST"], port=port(murder, node), ssl=False,
                        timeout=15)
    if user is None:
        client.login(murder["MURDER_ADMIN_USER"], murder["MURDER_ADMIN_PASSWORD"])
    else:
        client.login(user, murder["users"][user])
    return client


def heron(murder, user):
    client = Client()
    response = log_in(client, user, murder["users"][user])
    assert response.status_code == 302, response.content.decode()[-1500:]
    return client


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code != 500, response.content.decode()[-1500:]
    return response


def shown(client, mailbox="INBOX"):
    """{subject: message} of a folder's first page, from Heron's JSON API."""
    response = get(client, "/api/messages/", mailbox=mailbox)
    assert response.status_code == 200, response.content.decode()[-500:]
    return {m["subject"]: m for m in response.json()["messages"]}


def listed(client, mailbox="INBOX"):
    """{subject: UID} of a folder's first page."""
    return {subject: m["uid"] for subject, m in shown(client, mailbox).items()}


def folder_names(client):
    response = get(client, "/api/mailboxes/")
    assert response.status_code == 200, response.content.decode()[-500:]
    return {folder["name"] for folder in response.json()["mailboxes"]}


def message(user, subject):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Murder test <test@heron.test>", user, subject
    msg["Message-ID"] = make_msgid(domain="heron.test")
    msg.set_content(f"{subject}.\n")
    return msg.as_bytes()


def found(murder, node, user, folder, subject):
    """UIDs of messages (\\Deleted or not) with the subject in a folder, asked of the
    backend itself, not of F."""
    client = imap(murder, node, user)
    try:
        client.select_folder(folder, readonly=True)
        return client.search(["SUBJECT", subject])
    finally:
        client.logout()


def remove(murder, node, user, folder, subject):
    client = imap(murder, node, user)
    try:
        client.select_folder(folder)
        uids = client.search(["SUBJECT", subject])
        if uids:
            client.delete_messages(uids)
            client.uid_expunge(uids)
    finally:
        client.logout()


def admin_command(murder, node, command):
    """One command as the admin on a node, on a plain socket (imaplib knows no XFER);
    the tagged answer's line."""
    with socket.create_connection((murder["MURDER_IMAP_HOST"], port(murder, node)),
                                  timeout=30) as sock:
        lines = sock.makefile("rb")
        lines.readline()  # the greeting

        def run(tag, text):
            sock.sendall(f"{tag} {text}\r\n".encode())
            while not (line := lines.readline()).startswith(tag.encode() + b" "):
                assert line, f"the connection closed during {text.split()[0]}"
            return line.decode().strip()

        user, password = murder["MURDER_ADMIN_USER"], murder["MURDER_ADMIN_PASSWORD"]
        assert " OK" in run("a1", f'LOGIN "{user}" "{password}"')
        return run("a2", command)


def xfer_gina(murder, source, target):
    answer = admin_command(murder, source, f'XFER "user/{GINA}" '
                                           f'"127.0.0.1:{port(murder, target)}"')
    assert answer.startswith("a2 OK"), answer


def served_again(murder):
    """Wait (bounded) until F opens gina's INBOX again after an XFER."""
    deadline = time.monotonic() + BACK_WITHIN
    while True:
        client = imap(murder, "F", GINA)
        try:
            client.select_folder("INBOX", readonly=True)
            return
        except IMAPClientError:
            assert time.monotonic() < deadline, f"F did not serve {GINA} within {BACK_WITHIN} s"
        finally:
            client.logout()
        time.sleep(0.1)


def test_users_on_both_backends_read_their_inbox_through_the_frontend(routed):
    for user, subject in [(GINA, "Your mailbox lives on backend 1"),
                          (HAL, "Your mailbox lives on backend 2")]:
        client = heron(routed, user)
        assert subject in listed(client)
        page = get(client, "/mail/")
        assert page.status_code == 200 and subject in page.content.decode()
        uid = listed(client)[subject]
        body = get(client, f"/mail/message/{uid}/body/", mailbox="INBOX")
        assert body.status_code == 200 and subject in body.content.decode()


def test_gina_opens_the_folder_hal_shares_from_the_other_backend(routed):
    gina, shared = heron(routed, GINA), routed["MURDER_SHARED_FOLDER"]
    assert shared in folder_names(gina)
    assert {"Project plan (shared with gina)", "Budget draft"} <= set(listed(gina, shared))
    page = get(gina, "/mail/", mailbox=shared)
    assert page.status_code == 200 and "Budget draft" in page.content.decode()


def test_a_message_moved_between_backends_is_in_exactly_one_folder(routed):
    gina, shared = heron(routed, GINA), routed["MURDER_SHARED_FOLDER"]
    subject = f"Murder move {uuid.uuid4().hex[:10]}"
    client = imap(routed, "F", GINA)
    client.append("INBOX", message(GINA, subject))
    client.logout()
    try:
        for source, target in [("INBOX", shared), (shared, "INBOX")]:
            moved = gina.post("/mail/actions/", {
                "action": "move", "mailbox": source, "uids": [listed(gina, source)[subject]],
                "target": target}, **JSON)
            assert moved.status_code == 200, moved.content.decode()[-500:]
            in_inbox = found(routed, "B1", GINA, "INBOX", subject)
            in_shared = found(routed, "B2", GINA, shared, subject)
            assert (len(in_inbox), len(in_shared)) == ((0, 1) if target == shared else (1, 0))
            assert subject in listed(gina, target) and subject not in listed(gina, source)
    finally:
        remove(routed, "B1", GINA, "INBOX", subject)
        remove(routed, "B2", GINA, shared, subject)


def test_a_folder_gina_creates_lands_on_her_backend(routed):
    gina, name = heron(routed, GINA), f"Murder-{uuid.uuid4().hex[:8]}"
    created = gina.post("/mail/folders/create/", {"name": name, "parent": ""})
    assert created.status_code == 302, created.content.decode()[-1500:]
    try:
        assert name in folder_names(gina)
        admin = imap(routed, "B1")
        try:
            on_b1 = {folder for _flags, _sep, folder in admin.list_folders("", "*")}
        finally:
            admin.logout()
        assert f"user/gina/{name}@heron.test" in on_b1
    finally:
        client = imap(routed, "F", GINA)
        client.delete_folder(name)
        client.logout()


def test_gina_moved_to_the_other_backend_keeps_her_mail_in_heron(routed):
    gina = heron(routed, GINA)
    before = listed(gina)  # her page is open: a pooled connection, a filled cache
    assert len(before) >= 3 and get(gina, "/mail/").status_code == 200
    subject, flagged = f"Arrived on backend 2 {uuid.uuid4().hex[:10]}", min(before.values())
    xfer_gina(routed, "B1", "B2")
    try:
        # At once, F says of every folder of hers that it does not exist: a page is either
        # right already or says "try again", never "that folder does not exist".
        first = get(gina, "/mail/")
        assert first.status_code in (200, 503), first.status_code
        if first.status_code == 503:
            assert UNAVAILABLE in first.content.decode()
        served_again(routed)
        assert listed(gina) == before and get(gina, "/mail/").status_code == 200
        client = imap(routed, "B2", GINA)  # on her new backend itself
        client.append("INBOX", message(GINA, subject))
        client.select_folder("INBOX")
        client.add_flags([flagged], [b"\\Flagged"])
        client.logout()
        after = shown(gina)
        assert {name: after[name]["uid"] for name in before} == before
        assert after[subject]["uid"] > max(before.values())
        # The summaries Heron kept from B1 hold (same UIDVALIDITY); the flags are B2's.
        assert [name for name, m in after.items() if "\\Flagged" in m["flags"]] == [
            name for name, uid in before.items() if uid == flagged]
    finally:
        xfer_gina(routed, "B2", "B1")
        served_again(routed)
        remove(routed, "B1", GINA, "INBOX", subject)
        client = imap(routed, "F", GINA)
        client.select_folder("INBOX")
        client.remove_flags([flagged], [b"\\Flagged"])
        client.logout()
    assert listed(gina) == before
