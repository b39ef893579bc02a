"""Folders and inbox pages against the stack's Dovecot (SORT, SPECIAL-USE present)."""
from datetime import datetime

import pytest

from tests.integration.conftest import log_in
from webmail.imap.session import MailSession

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
ALICE = "alice@heron.test"


@pytest.fixture
def alice(client, stack_users):
    assert log_in(client, ALICE, stack_users[ALICE]).status_code == 302
    return client


def test_special_folders_come_first_then_nested_folders_with_non_ascii_names(alice):
    boxes = alice.get("/api/mailboxes/").json()["mailboxes"]
    roles = [box["role"] for box in boxes[:6]]
    assert roles == ["inbox", "drafts", "sent", "junk", "trash", "archive"]
    by_name = {box["name"]: box for box in boxes}
    assert by_name["Projects/Heron"]["parent"] == "Projects"
    assert by_name["Projects/Heron"]["display_name"] == "Heron"
    assert by_name["Projects/Été 2026"]["display_name"] == "Été 2026"
    assert "Reçus" in by_name
    page = alice.get("/mail/").content.decode()
    assert "Été 2026" in page and "Reçus" in page


def test_unread_counts_match_the_server(alice, direct_imap):
    server = direct_imap(ALICE)
    boxes = {box["name"]: box for box in alice.get("/api/mailboxes/").json()["mailboxes"]}
    for name in ("INBOX", "Projects/Heron", "Reçus"):
        status = server.folder_status(name, ["MESSAGES", "UNSEEN"])
        assert (boxes[name]["unread"], boxes[name]["total"]) == (
            status[b"UNSEEN"], status[b"MESSAGES"])


def test_a_non_ascii_folder_travels_as_modified_utf7_and_shows_decoded(alice, direct_imap):
    server = direct_imap(ALICE)
    name = "Größe/日本"
    if server.folder_exists(name):
        server.delete_folder(name)
    server.create_folder("Größe")
    server.create_folder(name)
    server.folder_encode = False
    wire_names = [raw for _flags, _delim, raw in server.list_folders()]
    server.folder_encode = True
    assert b"Gr&APYA3w-e/&ZeVnLA-" in wire_names
    try:
        boxes = {box["name"]: box for box in alice.get("/api/mailboxes/").json()["mailboxes"]}
        assert boxes[name]["display_name"] == "日本"
        assert alice.get("/api/messages/", {"mailbox": name}).json()["total"] == 0
    finally:
        server.delete_folder(name)
        server.delete_folder("Größe")


def test_the_inbox_pages_fifty_at_a_time_newest_first(alice, direct_imap):
    total = direct_imap(ALICE).folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"]
    pages = -(-total // 50)
    seen, dates = [], []
    for number in range(1, pages + 1):
        data = alice.get("/api/messages/", {"mailbox": "INBOX", "page": number}).json()
        assert (data["page"], data["pages"], data["total"]) == (number, pages, total)
        assert len(data["messages"]) == (50 if number < pages else total - 50 * (pages - 1))
        seen += [m["uid"] for m in data["messages"]]
        dates += [datetime.fromisoformat(m["date"]) for m in data["messages"]]
    assert len(set(seen)) == total
    assert dates == sorted(dates, reverse=True)


def test_encoded_word_subjects_and_names_are_decoded(alice):
    subjects, names = set(), set()
    for number in (1, 2, 3):
        for m in alice.get("/api/messages/", {"page": number}).json()["messages"]:
            subjects.add(m["subject"])
            names.add(m["from"]["name"])
    assert not any("=?" in text for text in subjects | names)
    assert any("Grüße aus Köln" in subject for subject in subjects)
    assert any("日本語" in subject for subject in subjects)
    assert any(any(ord(ch) > 127 for ch in name) for name in names)


def test_attachment_and_flag_marks_follow_the_server(alice, direct_imap):
    server = direct_imap(ALICE)
    server.select_folder("INBOX", readonly=True)
    flagged = set(server.search(["FLAGGED"]))
    listed = []
    for number in (1, 2, 3):
        listed += alice.get("/api/messages/", {"page": number}).json()["messages"]
    assert {m["uid"] for m in listed if "\\Flagged" in m["flags"]} == flagged
    assert any(m["has_attachments"] for m in listed)
    assert not all(m["has_attachments"] for m in listed)


def test_a_message_url_opens_the_message(alice):
    first = alice.get("/api/messages/").json()["messages"][0]
    page = alice.get(first["url"])
    assert page.status_code == 200
    assert first["subject"] in page.content.decode()


def test_a_warm_inbox_page_costs_one_imap_command(alice):
    alice.get("/mail/")
    timing = alice.get("/api/messages/")["Server-Timing"]
    commands = int(timing.split('"')[1].split()[0])
    # No connect, no LOGIN, no SORT, no FETCH: the SELECT that revalidates the cached
    # sorted list, summaries and (with CONDSTORE) flags.
    assert commands == 1


def test_the_layer_uses_server_sort_on_dovecot(dovecot, stack_users):
    session = MailSession(dovecot)
    session.login(ALICE, stack_users[ALICE])
    try:
        assert session.has("SORT")
        by_server = session.sorted_uids("INBOX", "from", reverse=False)
        assert len(by_server) == len(set(by_server)) > 50
    finally:
        session.close()
