"""The folder tree, the inbox pages and the JSON API, against an in-memory mail server."""
import re

import pytest

from tests.unit.conftest import log_in

pytestmark = pytest.mark.django_db


def rows(html):
    return re.findall(r'data-uid="(\d+)"', html)


def test_the_inbox_shows_fifty_messages_newest_first(alice):
    page = alice.get("/mail/").content.decode()
    uids = [int(uid) for uid in rows(page)]
    assert uids == list(range(120, 70, -1))
    assert "Page 1 of 3" in page
    assert "120 messages" in page


def test_paging_walks_the_whole_folder_without_overlap(alice):
    seen = []
    for number in (1, 2, 3):
        seen += rows(alice.get(f"/mail/?page={number}").content.decode())
    assert len(seen) == 120 and len(set(seen)) == 120
    assert len(rows(alice.get("/mail/?page=3").content.decode())) == 20
    assert rows(alice.get("/mail/?page=99").content.decode()) == rows(
        alice.get("/mail/?page=3").content.decode())


def test_rows_carry_unread_flag_and_attachment_marks(alice):
    page = alice.get("/mail/").content.decode()
    row_120 = page.split('data-uid="120"')[1].split("</tr>")[0]
    assert 'aria-label="Unread"' in row_120 and 'aria-label="Has attachments"' in row_120
    row_119 = page.split('data-uid="119"')[1].split("</tr>")[0]
    assert 'aria-label="Unread"' not in row_119


def test_the_folder_tree_puts_special_folders_first_and_nests_the_rest(alice):
    page = alice.get("/mail/").content.decode()
    names = re.findall(r'<span class="folder-name">([^<]+)</span>', page)
    assert names == ["Inbox", "Sent", "Trash", "Projects", "Heron"]
    assert 'class="folder depth-1' in page


def test_another_folder_opens_by_name(alice):
    page = alice.get("/mail/", {"mailbox": "Projects/Heron"}).content.decode()
    assert rows(page) == ["803", "802", "801", "800"]


def test_a_missing_folder_is_a_clear_404(alice):
    response = alice.get("/mail/", {"mailbox": "Nope"})
    assert response.status_code == 404
    assert "That folder does not exist." in response.content.decode()


def test_the_mail_page_needs_login_and_get(client, alice):
    client.logout()
    assert client.get("/mail/").status_code == 302
    log_in(client)
    assert client.post("/mail/").status_code == 405


def test_a_dead_server_after_login_gives_a_clear_503(alice, fake_server):
    fake_server.down = True
    response = alice.get("/mail/")
    assert response.status_code == 503
    assert "cannot be reached" in response.content.decode()
    api = alice.get("/api/messages/")
    assert api.status_code == 503 and "cannot be reached" in api.json()["error"]


def test_the_api_answers_401_json_when_logged_out(client, db):
    for url in ("/api/mailboxes/", "/api/messages/"):
        response = client.get(url)
        assert response.status_code == 401
        assert response.json() == {"error": "not authenticated"}


def test_the_api_lists_mailboxes(alice):
    data = alice.get("/api/mailboxes/").json()["mailboxes"]
    inbox = data[0]
    assert inbox == {"name": "INBOX", "display_name": "Inbox", "role": "inbox", "unread": 40,
                     "total": 120, "parent": None, "selectable": True}
    assert [box["name"] for box in data] == ["INBOX", "Sent", "Trash", "Projects",
                                             "Projects/Heron"]


def test_the_api_pages_messages_with_links_to_the_ui(alice):
    data = alice.get("/api/messages/", {"mailbox": "INBOX", "page": 2}).json()
    assert (data["page"], data["pages"], data["total"]) == (2, 3, 120)
    first = data["messages"][0]
    assert set(first) == {"uid", "subject", "from", "date", "flags", "size", "has_attachments",
                          "url", "mailbox", "thread_size"}
    assert first["uid"] == 70 and first["url"] == "/mail/message/70/?mailbox=INBOX&at=50"
    assert alice.get(first["url"]).status_code == 200
    assert alice.post("/api/messages/").status_code == 405


def test_carol_cannot_reach_alices_folders(alice, client, fake_server):
    from django.test import Client

    carol = Client()
    log_in(carol, "carol@heron.test")
    assert carol.get("/api/messages/", {"mailbox": "Projects"}).status_code == 404
    assert [m["uid"] for m in carol.get("/api/messages/").json()["messages"]] == [901, 900]


def test_every_page_reports_its_imap_cost(alice):
    timing = alice.get("/mail/")["Server-Timing"]
    found = re.fullmatch(
        r'imap;desc="\d+ IMAP commands";dur=([\d.]+), app;desc="server";dur=([\d.]+), '
        r'cpu;desc="CPU";dur=([\d.]+)', timing)
    assert found and float(found.group(1)) <= float(found.group(2))
    assert 0 < float(found.group(3))


def test_a_message_opens_from_its_url(alice):
    page = alice.get("/mail/message/120/", {"mailbox": "INBOX"}).content.decode()
    assert "Body of Message 120" in page
    assert alice.get("/mail/message/9999/", {"mailbox": "INBOX"}).status_code == 404
