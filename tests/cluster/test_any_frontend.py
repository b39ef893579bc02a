"""Any request may land on any frontend: a session, a compose and its uploads belong to
no single one of them, and losing one costs the user nothing."""
import hashlib
import os
import re
import time
from email import message_from_bytes, policy

import pytest

from tests.cluster.conftest import ALICE, BOB, kill_frontend, service, set_undo

pytestmark = pytest.mark.cluster


def inbox(person):
    response = person.get("/api/messages/")
    assert response.status_code == 200, response.text[:300]
    return response.json()["messages"]


def test_logging_in_on_one_frontend_lets_the_user_read_on_every_other(
        all_frontends, browser, stack_users):
    alice = browser()
    alice.log_in(ALICE, stack_users[ALICE])
    logged_in_on = alice.frontends[-1]
    listings = [inbox(alice) for _ in all_frontends]
    readers = alice.frontends[-len(all_frontends):]

    assert sorted(readers) == all_frontends, "each read landed on another frontend"
    assert readers[0] != logged_in_on, "the first read was not on the login's frontend"
    assert all(listing and listing == listings[0] for listing in listings), (
        "every frontend shows the same inbox")


def test_an_upload_on_one_frontend_is_sent_whole_from_another(
        all_frontends, alice, direct_imap, token):
    set_undo(alice, 0)
    page = alice.get("/mail/compose/")
    assert page.status_code == 200, page.text[:300]
    draft = re.search(r'name="draft" value="([0-9a-f]{32})"', page.text).group(1)
    identity = re.search(r'<option value="(\d+)"[^>]*selected', page.text).group(1)
    data = os.urandom(2_500_000)

    stored = alice.post("/attachments/upload/", {"draft": draft},
                        headers={"Accept": "application/json"},
                        files={"file": ("survey.bin", data, "application/octet-stream")})
    assert stored.status_code == 200, stored.text[:300]
    uploaded_on = alice.frontends[-1]
    sent = alice.post("/mail/compose/send/", {
        "draft": draft, "version": "0", "identity": identity, "to": BOB,
        "subject": f"Survey {token}", "body": "The survey, from another frontend.",
        "format": "text"})
    assert sent.status_code == 302, sent.text[:500]
    assert alice.frontends[-1] != uploaded_on, "the send landed on another frontend"

    bob = direct_imap(BOB)
    try:
        found = _delivered(bob, token)
        message = message_from_bytes(bob.fetch(found, ["RFC822"])[found[0]][b"RFC822"],
                                     policy=policy.default)
        [attachment] = list(message.iter_attachments())
        assert attachment.get_filename() == "survey.bin"
        assert hashlib.sha256(attachment.get_content()).hexdigest() == (
            hashlib.sha256(data).hexdigest()), "Bob got the file unchanged"
    finally:
        _remove(bob, "INBOX", token)
        _remove(direct_imap(ALICE), "Sent", token)


def test_a_user_carries_on_when_their_frontend_dies(all_frontends, alice):
    before = inbox(alice)
    victim = alice.frontends[-1]
    kill_frontend(victim)
    try:
        for _ in range(2 * len(all_frontends)):
            assert inbox(alice) == before, "still logged in, same inbox"
            page = alice.get("/mail/")
            assert page.status_code == 200, f"{page.status_code}: {page.text[:300]}"
        survivors = set(alice.frontends[-4 * len(all_frontends):])
        assert victim not in survivors
        assert len(survivors) == len(all_frontends) - 1, "the others share the load"
    finally:
        service("start", victim)


def _delivered(conn, token, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        conn.select_folder("INBOX", readonly=True)
        found = conn.search(["SUBJECT", token])
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail("the message did not reach Bob's INBOX")
        time.sleep(0.2)


def _remove(conn, folder, token):
    conn.select_folder(folder)
    found = conn.search(["SUBJECT", token])
    if found:
        conn.delete_messages(found)
        conn.expunge()
