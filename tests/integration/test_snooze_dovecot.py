"""Snooze on the stack's Dovecot: a message of alice snoozed through Heron waits in the
"Snoozed" folder, as any other mail program sees it over plain IMAP, and is not in the
Inbox; at its time the wake (snooze.wake, what the queue job runs, given the time) brings it
back unread, on top of Heron's list, with its note; a conversation goes and comes back
whole; a message another client removed from Snoozed meanwhile closes the row quietly. And
a real worker process wakes one at its time.

The messages are alice's, made for each test with their own Message-IDs and dated years
back (far down the Inbox but for the snooze), and removed afterwards; a Snoozed folder the
test had to create is deleted again."""
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tests.integration import mailfactory as mf
from tests.integration.conftest import log_in
from webmail import mail, snooze
from webmail.models import Snooze

pytestmark = [pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]
ALICE = "alice@heron.test"
State = Snooze.State


@pytest.fixture
def imap(direct_imap):
    """alice's own connection, as another mail program; what the test made is removed."""
    conn = direct_imap(ALICE)
    had_snoozed = conn.folder_exists("Snoozed")
    made = []

    def append(subject, days=-2000, flags=(), **fields):
        message_id = f"<snooze-{uuid.uuid4().hex}@test.heron>"
        conn.append("INBOX", mf.message(subject=subject, days=days, message_id=message_id,
                                        to="Alice <alice@heron.test>", **fields).as_bytes(),
                    flags)
        made.append(message_id)
        return message_id

    conn.append_message = append
    yield conn
    mail.POOL.clear()  # (Dovecot keeps a folder selected elsewhere from being deleted cleanly)
    for folder in ("INBOX", "Snoozed"):
        if not conn.folder_exists(folder):
            continue
        conn.select_folder(folder)
        for message_id in made:
            found = conn.search(["HEADER", "Message-ID", message_id])
            if found:
                conn.delete_messages(found)
                conn.uid_expunge(found)
    if not had_snoozed and conn.folder_exists("Snoozed"):
        conn.select_folder("Snoozed")
        if not conn.search(["ALL"]):
            conn.unselect_folder()
            conn.delete_folder("Snoozed")


@pytest.fixture
def heron(client, stack_users, service_login, db):
    assert log_in(client, ALICE, stack_users[ALICE]).status_code == 302
    return client


def uids_of(conn, folder, message_id):
    if not conn.folder_exists(folder):
        return []
    conn.select_folder(folder, readonly=True)
    return conn.search(["HEADER", "Message-ID", message_id])


def uid_in_inbox(heron, conn, message_id):
    [uid] = uids_of(conn, "INBOX", message_id)
    return uid


def snooze_in_heron(heron, uids, **fields):
    response = heron.post("/mail/snooze/", {
        "mailbox": "INBOX", "uids": uids, "next": "/mail/?mailbox=INBOX",
        "until": (timezone.now() + timedelta(hours=1)).isoformat(), **fields})
    assert response.status_code == 302, response.content[:300]
    page = heron.get(response["Location"]).content.decode()
    assert "Snoozed " in page and " until " in page
    return Snooze.objects.order_by("-snoozed_at").first()


def first_rows(heron, count):
    page = heron.get("/mail/", {"mailbox": "INBOX"}).content.decode()
    return re.findall(r'<tr class="message-row([^"]*)" data-uid="(\d+)"', page)[:count], page


def test_a_snoozed_message_waits_in_snoozed_and_comes_back_unread_on_top(heron, imap):
    message_id = imap.append_message("Snooze me", flags=[b"\\Seen"])
    uid = uid_in_inbox(heron, imap, message_id)
    imap.select_folder("INBOX", readonly=True)
    arrived = imap.fetch([uid], ["INTERNALDATE"])[uid][b"INTERNALDATE"]

    row = snooze_in_heron(heron, [uid])
    assert uids_of(imap, "INBOX", message_id) == []
    [waiting] = uids_of(imap, "Snoozed", message_id)
    assert row.messages[0]["at"] == waiting and row.state == State.WAITING

    assert snooze.wake(row.pk, "test-worker", now=row.wake_at + timedelta(seconds=1)) == (
        State.WOKEN)
    assert uids_of(imap, "Snoozed", message_id) == []
    [back] = uids_of(imap, "INBOX", message_id)
    row.refresh_from_db()
    assert row.messages[0]["back"] == back and row.back_in == "INBOX"
    answer = imap.fetch([back], ["FLAGS", "INTERNALDATE"])[back]
    assert b"\\Seen" not in answer[b"FLAGS"]
    assert answer[b"INTERNALDATE"] == arrived  # MOVE keeps it as it was: Heron places it

    [(classes, top)], page = first_rows(heron, 1)
    assert int(top) == back and "unread" in classes and "woken" in classes
    assert "Snoozed on" in page
    shown = heron.get(f"/mail/message/{back}/", {"mailbox": "INBOX"}).content.decode()
    assert "Snoozed on <time" in shown


def test_a_conversation_of_two_snoozes_and_wakes_together(heron, imap):
    first = imap.append_message("Plans for spring", days=-2001)
    reply = imap.append_message("Re: Plans for spring", in_reply_to=first, references=first)
    row = snooze_in_heron(heron, [uid_in_inbox(heron, imap, reply)], conversations="on")
    assert sorted(item["id"] for item in row.messages) == sorted([first, reply])
    for message_id in (first, reply):
        assert uids_of(imap, "INBOX", message_id) == []
        assert len(uids_of(imap, "Snoozed", message_id)) == 1

    assert snooze.wake(row.pk, "test-worker", now=row.wake_at) == State.WOKEN
    imap.select_folder("INBOX", readonly=True)
    for message_id in (first, reply):
        [back] = uids_of(imap, "INBOX", message_id)
        imap.select_folder("INBOX", readonly=True)
        assert b"\\Seen" not in imap.get_flags([back])[back]
        assert uids_of(imap, "Snoozed", message_id) == []
    rows, _page = first_rows(heron, 2)
    row.refresh_from_db()
    assert {int(uid) for _classes, uid in rows} == {item["back"] for item in row.messages}


def test_a_message_removed_from_snoozed_by_another_client_closes_the_row_quietly(heron,
                                                                                   imap):
    message_id = imap.append_message("Gone meanwhile")
    row = snooze_in_heron(heron, [uid_in_inbox(heron, imap, message_id)])
    [waiting] = uids_of(imap, "Snoozed", message_id)
    imap.select_folder("Snoozed")
    imap.delete_messages([waiting])
    imap.uid_expunge([waiting])

    assert snooze.wake(row.pk, "test-worker", now=row.wake_at) == State.GONE
    row.refresh_from_db()
    assert row.last_error == "" and row.messages[0].get("gone")
    assert uids_of(imap, "INBOX", message_id) == []
    assert "Gone meanwhile" not in heron.get("/mail/snoozed/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_wakes_it_at_its_time(client, stack_users, service_login, imap,
                                               tmp_path):
    assert log_in(client, ALICE, stack_users[ALICE]).status_code == 302
    message_id = imap.append_message("Back in a moment")
    uid = uid_in_inbox(client, imap, message_id)
    response = client.post("/mail/snooze/", {
        "mailbox": "INBOX", "uids": [uid],
        "until": (timezone.now() + timedelta(seconds=3)).isoformat()})
    assert response.status_code == 302
    database = connection.settings_dict
    env = dict(os.environ, DEBUG="1", HERON_QUEUE_TICK_SECONDS="1", DATABASE_URL=(
        f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}"))
    env.pop("DATABASE_REPLICA_URLS", None)  # the replica has the stack's data, not ours
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "heron_worker", "--interval", "0.2"], cwd=ROOT,
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 30
            # The worker puts the message back, then records the snooze as woken: wait for
            # both, or the worker may be stopped between the two steps.
            while not (uids_of(imap, "INBOX", message_id)
                       and Snooze.objects.get().state == State.WOKEN):
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
                time.sleep(0.2)
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
    assert Snooze.objects.get().state == State.WOKEN
