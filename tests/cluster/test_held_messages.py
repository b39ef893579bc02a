"""Undo send and Send later on the cluster: a held message belongs to no frontend and no
worker. Undo works from another frontend than the one that sent; a message scheduled on a
frontend killed right after is sent on time; a worker killed in the middle of a send
leaves no duplicate and no loss (deploy/workers.sh runs two, with a short lease)."""
import os
import re
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from tests.cluster.conftest import (
    ALICE,
    BOB,
    ROOT,
    eventually,
    kill_frontend,
    service,
    set_undo,
)

pytestmark = pytest.mark.cluster
HELD = re.compile(r"/mail/outbox/([0-9a-f-]{36})/undo/")


@pytest.fixture
def undo_off(alice):
    """Alice sends at once during the test (other cluster tests expect that too)."""
    yield alice
    set_undo(alice, 0)


def compose(person):
    page = person.get("/mail/compose/")
    assert page.status_code == 200, page.text[:300]
    return {"draft": re.search(r'name="draft" value="([0-9a-f]{32})"', page.text).group(1),
            "identity": re.search(r'<option value="(\d+)"[^>]*selected', page.text).group(1),
            "version": "0", "format": "text", "cc": "", "bcc": ""}


def count(conn, token, folder="INBOX"):
    conn.select_folder(folder, readonly=True)
    return len(conn.search(["SUBJECT", token]))


def remove(conn, folder, token):
    conn.select_folder(folder)
    found = conn.search(["SUBJECT", token])
    if found:
        conn.delete_messages(found)
        conn.expunge()


def workers(*args):
    done = subprocess.run(["bash", "deploy/workers.sh", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def scheduled(person):
    page = person.get("/mail/outbox/")
    assert page.status_code == 200, page.text[:300]
    return page.text


def state_of(person, token):
    """The state of the held message whose subject holds token, as the Scheduled view
    shows it ("queued", "sending"…), or None when it is not listed (sent, or taken back)."""
    for row in scheduled(person).split('<li class="held-row ')[1:]:
        if token in row:
            return row.split('"', 1)[0].removeprefix("state-")
    return None


def test_undo_on_another_frontend_takes_back_a_send_begun_on_one(
        all_frontends, undo_off, frontend_urls, direct_imap, token):
    alice = undo_off
    set_undo(alice, 8)
    alice.base = frontend_urls[0]
    fields = compose(alice)
    sent = alice.post("/mail/compose/send/", {**fields, "to": BOB,
                                              "subject": f"Oops {token}", "body": "Not yet."})
    assert sent.status_code == 302, sent.text[:500]
    deadline = time.monotonic() + 8
    notice = alice.get("/mail/").text
    held = HELD.search(notice).group(1)
    assert "Sending" in notice

    alice.base = frontend_urls[1]
    undone = alice.post(f"/mail/outbox/{held}/undo/")
    assert undone.status_code == 302, undone.text[:300]
    assert alice.frontends[-3:] == ["frontend-1", "frontend-1", "frontend-2"]
    alice.base = frontend_urls[2]
    reopened = alice.get(undone.headers["Location"])
    assert reopened.status_code == 200 and f"Oops {token}" in reopened.text
    assert "Not yet." in reopened.text and BOB in reopened.text
    try:
        # Past the moment it would have gone, with room for a worker to take it.
        time.sleep(max(0.0, deadline - time.monotonic()) + 4)
        assert count(direct_imap(BOB), token) == 0, "an undone message was not sent"
        assert held not in scheduled(alice) and state_of(alice, token) is None
    finally:
        alice.post("/mail/compose/discard/", {"draft": fields["draft"]})
        remove(direct_imap(BOB), "INBOX", token)


def test_a_message_scheduled_on_a_frontend_killed_at_once_is_sent_on_time(
        all_frontends, undo_off, frontend_urls, direct_imap, token):
    alice = undo_off
    alice.base = frontend_urls[0]
    fields = compose(alice)
    when = datetime.now(timezone.utc) + timedelta(seconds=6)
    later = alice.post("/mail/compose/send-later/", {
        **fields, "to": BOB, "subject": f"Later {token}", "body": "On time.",
        "send_at": when.isoformat(timespec="seconds"), "time_zone": "UTC"})
    assert later.status_code == 302, later.text[:500]
    assert alice.frontends[-1] == "frontend-1"
    kill_frontend("frontend-1")
    try:
        bob = direct_imap(BOB)
        eventually(lambda: count(bob, token), "the scheduled message reaches Bob",
                   timeout=60)
        arrived = datetime.now(timezone.utc)
        assert arrived >= when - timedelta(seconds=1), "not before its time"
        assert arrived - when < timedelta(seconds=60), "within a minute of its time"
        assert count(bob, token) == 1
        eventually(lambda: count(direct_imap(ALICE), token, "Sent"), "filed in Sent")
    finally:
        service("start", "frontend-1")
        remove(direct_imap(BOB), "INBOX", token)
        remove(direct_imap(ALICE), "Sent", token)


def test_a_worker_killed_mid_send_leaves_no_duplicate_and_no_loss(
        all_frontends, undo_off, direct_imap, token):
    """One worker runs; the stack's SMTP server holds RCPT for bob+slow@ a few seconds, and
    the worker is SIGKILLed while it waits. Restarted, the workers send it once."""
    alice = undo_off
    workers("kill", "2")
    try:
        fields = compose(alice)
        when = datetime.now(timezone.utc) + timedelta(seconds=5)
        later = alice.post("/mail/compose/send-later/", {
            **fields, "to": "bob+slow@heron.test", "subject": f"Slow {token}",
            "body": "Half sent.", "send_at": when.isoformat(timespec="seconds"),
            "time_zone": "UTC"})
        assert later.status_code == 302, later.text[:500]
        eventually(lambda: state_of(alice, token) == "sending", "the worker is sending it",
                   timeout=30, interval=0.1)
        workers("kill", "1")
        bob = direct_imap(BOB)
        assert count(bob, token) == 0
    finally:
        workers("up", "2")
    eventually(lambda: state_of(alice, token) is None, "sent after the restart", timeout=60)
    try:
        assert count(bob, token) == 1, "no duplicate, no loss"
        assert count(direct_imap(ALICE), token, "Sent") == 1
    finally:
        remove(bob, "INBOX", token)
        remove(direct_imap(ALICE), "Sent", token)


def make_due_together(owner, token):
    """Move the hundred scheduled messages, and their delivery jobs, to now in one
    transaction on the primary: every one falls due at the same instant, however long it
    took to schedule them (a fixed margin raced the scheduling on a slow machine)."""
    with psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=5) as conn:
        ids = [str(row[0]) for row in conn.execute(
            "UPDATE webmail_heldmessage AS h SET send_at = now() FROM auth_user AS u"
            " WHERE h.owner_id = u.id AND u.username = %s AND h.subject LIKE %s"
            " AND h.state = 'queued' RETURNING h.id", [owner, f"Hundred {token} %"])]
        conn.execute(
            "UPDATE django_tasks_database_dbtaskresult SET run_after = now()"
            " WHERE status = 'READY' AND task_path = 'webmail.delivery.deliver_job'"
            " AND args_kwargs->'args'->>0 = ANY(%s)", [ids])
    return len(ids)


def test_two_workers_and_a_hundred_due_messages_give_a_hundred_deliveries(
        all_frontends, undo_off, direct_imap, token):
    """A hundred messages scheduled through the balancer, then all due at the same moment:
    the cluster's two workers share them, and Dovecot counts each delivery once."""
    alice = undo_off
    fields = compose(alice)
    when = datetime.now(timezone.utc) + timedelta(hours=1)
    for n in range(100):
        later = alice.post("/mail/compose/send-later/", {
            **fields, "draft": uuid.uuid4().hex, "to": BOB, "subject": f"Hundred {token} {n}",
            "body": f"Number {n}.", "send_at": when.isoformat(timespec="seconds"),
            "time_zone": "UTC"})
        assert later.status_code == 302, later.text[:500]
    bob = direct_imap(BOB)
    assert count(bob, token) == 0, "none sent before its time"
    try:
        assert make_due_together(ALICE, token) == 100
        eventually(lambda: count(bob, token) >= 100, "a hundred deliveries", timeout=180,
                   interval=1)
        eventually(lambda: state_of(alice, token) is None, "none left in Scheduled",
                   timeout=60)
        assert count(bob, token) == 100, "each delivered once"
        assert count(direct_imap(ALICE), token, "Sent") == 100
    finally:
        remove(bob, "INBOX", token)
        remove(direct_imap(ALICE), "Sent", token)
