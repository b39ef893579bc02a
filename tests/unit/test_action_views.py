"""Organising selected messages (read, flag, move, delete, archive, junk) and undo, through
the in-memory mail server."""
import html
import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tests.unit.conftest import log_in

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"
JSON = {"HTTP_ACCEPT": "application/json"}


def act(client, action, uids, mailbox="INBOX", headers=None, **extra):
    return client.post("/mail/actions/", {"action": action, "uids": uids, "mailbox": mailbox,
                                          **extra}, **(headers or {}))


def notices(response):
    return [str(notice) for notice in get_messages(response.wsgi_request)]


def flags(server, folder, uid):
    return server.folder(ALICE, folder).messages[uid].flags


def uids_in(server, folder):
    return sorted(server.folder(ALICE, folder).messages)


@pytest.mark.parametrize("action, flag, on", [
    ("read", "\\Seen", True), ("unread", "\\Seen", False),
    ("flag", "\\Flagged", True), ("unflag", "\\Flagged", False)])
def test_it_marks_selected_messages(alice, fake_server, action, flag, on):
    for uid in (3, 4):  # each starts the other way
        flags(fake_server, "INBOX", uid).discard(flag) if on else flags(
            fake_server, "INBOX", uid).add(flag)
    response = act(alice, action, [3, 4], next="/mail/?page=2")
    assert response.status_code == 302 and response["Location"] == "/mail/?page=2"
    assert all((flag in flags(fake_server, "INBOX", uid)) == on for uid in (3, 4))
    assert "2 messages" in notices(response)[-1]


def test_it_moves_selected_messages_to_another_folder(alice, fake_server):
    response = act(alice, "move", [1, 2], target="Projects")
    assert notices(response) == ["Moved 2 messages to Projects"]
    assert 1 not in uids_in(fake_server, "INBOX") and 2 not in uids_in(fake_server, "INBOX")
    assert len(uids_in(fake_server, "Projects")) == 4


def test_it_copies_selected_messages_and_keeps_the_originals(alice, fake_server):
    response = act(alice, "copy", [7], target="Projects")
    assert notices(response) == ["Copied 1 message to Projects"]
    assert 7 in uids_in(fake_server, "INBOX") and len(uids_in(fake_server, "Projects")) == 3


def test_it_moves_deleted_messages_to_trash(alice, fake_server):
    response = act(alice, "delete", [5])
    assert notices(response) == ["Moved 1 message to Trash"]
    assert len(uids_in(fake_server, "Trash")) == 1 and 5 not in uids_in(fake_server, "INBOX")


def test_deleting_in_trash_asks_first_and_changes_nothing_until_confirmed(alice, fake_server):
    act(alice, "delete", [5, 6, 7])
    trashed = uids_in(fake_server, "Trash")
    response = act(alice, "delete", trashed, mailbox="Trash", next="/mail/?mailbox=Trash")
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "<h1>Delete 3 messages forever?</h1>" in page and "This cannot be undone." in page
    form = page.split('action="/mail/actions/"')[1].split("</form>")[0]
    assert '<input type="hidden" name="confirm" value="1">' in form
    assert all(f'<input type="hidden" name="uids" value="{uid}">' in form for uid in trashed)
    assert '<input type="hidden" name="action" value="delete">' in form
    assert 'Delete forever</button>' in form
    assert 'href="/mail/?mailbox=Trash">Cancel</a>' in form
    assert uids_in(fake_server, "Trash") == trashed


def test_it_deletes_for_good_what_is_deleted_in_trash_once_confirmed(alice, fake_server):
    act(alice, "delete", [5, 6])
    response = act(alice, "delete", uids_in(fake_server, "Trash"), mailbox="Trash",
                   confirm="1")
    assert notices(response)[-1] == "Deleted 2 messages"
    assert uids_in(fake_server, "Trash") == []


def test_a_script_gets_the_question_as_json_and_nothing_is_deleted(alice, fake_server):
    act(alice, "delete", [5])
    response = act(alice, "delete", uids_in(fake_server, "Trash"), mailbox="Trash",
                   headers=JSON)
    assert response.status_code == 409
    assert response.json() == {"error": "Delete 1 message forever? This cannot be undone.",
                               "confirm": "Delete 1 message forever?"}
    assert len(uids_in(fake_server, "Trash")) == 1


def test_the_message_panes_delete_in_trash_is_asked_about_too(alice, fake_server):
    act(alice, "delete", [5])
    [uid] = uids_in(fake_server, "Trash")
    pane = alice.get(f"/mail/message/{uid}/", {"mailbox": "Trash"}).content.decode()
    # The pane's own form with its delete button (its markup is the pane's own business).
    form = next(f.split("</form>")[0] for f in pane.split("<form")[1:]
                if 'action="/mail/actions/"' in f.split(">")[0] and 'value="delete"' in f)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    response = alice.post("/mail/actions/", {**fields, "action": "delete"})
    assert "Delete 1 message forever?" in response.content.decode()
    assert uids_in(fake_server, "Trash") == [uid]


def test_deleting_elsewhere_moves_to_trash_without_asking(alice, fake_server):
    response = act(alice, "delete", [700], mailbox="Projects")
    assert notices(response) == ["Moved 1 message to Trash"]


def test_without_a_trash_folder_every_delete_asks_first(alice, fake_server):
    del fake_server.account(ALICE).folders["Trash"]
    response = act(alice, "delete", [5])
    assert "Delete 1 message forever?" in response.content.decode()
    assert 5 in uids_in(fake_server, "INBOX")


@pytest.mark.parametrize("mailbox, label", [("Trash", "Delete forever"), ("INBOX", "Delete")])
def test_the_toolbar_says_when_delete_is_for_good(alice, fake_server, mailbox, label):
    act(alice, "delete", [5])
    page = alice.get("/mail/", {"mailbox": mailbox}).content.decode()
    toolbar = page.split('class="toolbar"')[1].split("</div>")[0]
    assert re.search(rf'value="delete" type="submit" aria-label="[^"]*">{label}</button>',
                     toolbar)


def test_it_moves_selected_messages_to_archive_made_when_missing(alice, fake_server):
    response = act(alice, "archive", [10, 11])
    assert notices(response) == ["Moved 2 messages to Archive"]
    assert len(uids_in(fake_server, "Archive")) == 2


def test_junk_is_flagged_and_moved_and_not_junk_comes_back_to_the_inbox(alice, fake_server):
    act(alice, "junk", [12])
    [uid] = uids_in(fake_server, "Junk")
    assert "$Junk" in flags(fake_server, "Junk", uid)
    response = act(alice, "notjunk", [uid], mailbox="Junk")
    assert notices(response)[-1] == "Moved 1 message to Inbox"
    assert uids_in(fake_server, "Junk") == [] and "$NotJunk" in flags(
        fake_server, "INBOX", max(uids_in(fake_server, "INBOX")))


def test_messages_picked_across_folders_are_moved_together(alice, fake_server):
    response = alice.post("/mail/actions/", {"action": "archive",
                                             "picks": ["1 INBOX", "700 Projects"]})
    assert notices(response) == ["Moved 2 messages to Archive"]
    assert 700 not in uids_in(fake_server, "Projects")


def test_undo_puts_moved_messages_back_once(alice, fake_server):
    act(alice, "move", [1, 2], target="Projects")
    response = alice.post("/mail/actions/undo/")
    assert notices(response)[-1] == "Undone."
    assert len(uids_in(fake_server, "INBOX")) == 120  # back, under new UIDs
    assert len(uids_in(fake_server, "Projects")) == 2
    again = alice.post("/mail/actions/undo/")
    assert notices(again)[-1] == "There is nothing to undo."


def test_undo_of_marking_read_marks_unread_again(alice, fake_server):
    act(alice, "read", [3])
    alice.post("/mail/actions/undo/")
    assert "\\Seen" not in flags(fake_server, "INBOX", 3)


def test_the_action_answers_json_with_its_undo(alice, fake_server):
    data = act(alice, "archive", [9], headers=JSON).json()
    assert data["notice"] == "Moved 1 message to Archive"
    assert data["undo"] == [{"mailbox": "Archive", "action": "move", "target": "INBOX",
                             "uids": uids_in(fake_server, "Archive")}]


@pytest.mark.parametrize("data, problem", [
    ({"action": "read", "mailbox": "INBOX"}, "Select at least one message."),
    ({"action": "move", "mailbox": "INBOX", "uids": [1]}, "Choose a folder to move or copy to."),
    ({"action": "read", "uids": [1]}, "Say which folder the messages are in."),
    ({"action": "shred", "mailbox": "INBOX", "uids": [1]}, "shred"),
    ({"action": "read", "mailbox": "INBOX", "uids": ["x"]}, "x"),
])
def test_bad_input_changes_nothing_and_says_why(alice, fake_server, data, problem):
    response = alice.post("/mail/actions/", data)
    assert response.status_code == 302 and problem in " ".join(notices(response))
    assert "\\Seen" in flags(fake_server, "INBOX", 1)
    assert alice.post("/mail/actions/", data, **JSON).status_code == 400


def test_more_than_five_thousand_messages_at_once_are_refused(alice, fake_server):
    response = act(alice, "unread", list(range(1, 5002)), headers=JSON)
    assert response.status_code == 400
    assert response.json()["error"] == "Select at most 5,000 messages at a time."
    assert "\\Seen" in flags(fake_server, "INBOX", 1)


def test_a_move_to_a_missing_folder_is_refused_clearly(alice, fake_server):
    response = act(alice, "move", [1], target="Nowhere")
    assert response.status_code == 302 and "refused" in notices(response)[0]
    assert 1 in uids_in(fake_server, "INBOX")
    answer = act(alice, "move", [1], target="Nowhere", headers=JSON)
    assert answer.status_code == 409 and "refused" in answer.json()["error"]


def test_a_foreign_next_is_not_followed(alice):
    response = act(alice, "read", [1], next="https://evil.test/")
    assert response["Location"] == "/mail/"


def test_actions_need_post(alice):
    assert alice.get("/mail/actions/").status_code == 405
    assert alice.get("/mail/actions/undo/").status_code == 405


def test_actions_need_login(client, fake_server, db):
    for url in ("/mail/actions/", "/mail/actions/undo/"):
        response = client.post(url, {"action": "read", "mailbox": "INBOX", "uids": [1]})
        assert response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/")
    assert "\\Seen" in flags(fake_server, "INBOX", 1)


def test_carol_gets_404_for_alices_folder_and_changes_none_of_her_mail(alice, fake_server):
    carol = Client()
    log_in(carol, "carol@heron.test")
    response = act(carol, "unread", [700], mailbox="Projects")
    assert response.status_code == 404
    act(carol, "unread", [1])  # a UID of alice's inbox, in carol's own
    assert "\\Seen" in flags(fake_server, "INBOX", 1)
    assert "\\Seen" in flags(fake_server, "Projects", 700)
