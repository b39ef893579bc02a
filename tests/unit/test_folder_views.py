"""Folder management (create, rename, delete, subscribe, empty) and the quota, through the
in-memory mail server."""
import html

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.test import Client

from tests.unit.conftest import log_in
from webmail import folder_changes
from webmail.imap.errors import ServerRefused
from webmail.imap.types import Mailbox, Quota

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"


@pytest.fixture(autouse=True)
def no_kept_quota():
    """quota_for() keeps an account's quota in the shared cache: none from another test."""
    cache.delete(f"quota:{ALICE}")
    yield
    cache.delete(f"quota:{ALICE}")


def notices(response):
    return [str(notice) for notice in get_messages(response.wsgi_request)]


def names(server, user=ALICE):
    return sorted(server.account(user).folders)


def test_the_folders_page_lists_folders_subscriptions_and_the_quota(alice, fake_server):
    fake_server.accounts[ALICE]["quota"] = Quota(used_kb=512, limit_kb=1024)
    fake_server.account(ALICE).subscribed.discard("Projects")
    page = alice.get("/mail/folders/").content.decode()
    assert "Projects/Heron" in page and "(50%)" in page
    assert 'aria-label="Subscribe to Projects"' in page
    assert 'aria-label="Unsubscribe from Projects/Heron"' in page


def test_it_creates_a_folder_inside_another(alice, fake_server):
    response = alice.post("/mail/folders/create/", {"name": " Plans ", "parent": "Projects"})
    assert response.status_code == 302 and response["Location"] == "/mail/folders/"
    assert notices(response) == ["Created the folder Projects/Plans."]
    assert "Projects/Plans" in names(fake_server)
    assert "Projects/Plans" in fake_server.account(ALICE).subscribed


def problem_of(response, id_="new-folder-problem"):
    """The error shown next to the field, on the folders page itself."""
    page = response.content.decode()
    return html.unescape(page.split(f'id="{id_}" role="alert">')[1].split("</p>")[0]).strip()


def test_a_folder_without_a_name_is_not_created(alice, fake_server):
    response = alice.post("/mail/folders/create/", {"name": "  "})
    assert response.status_code == 400 and problem_of(response) == "Give the new folder a name."
    assert len(names(fake_server)) == 5


@pytest.mark.parametrize("name, parent, problem", [
    ("Projects", "", 'A folder named "Projects" already exists.'),
    (" Heron ", "Projects", 'A folder named "Projects/Heron" already exists.'),
    ("inbox", "", 'A folder named "inbox" already exists.'),
    ("A/B", "", 'Folder names cannot contain "/".'),
])
def test_a_taken_or_impossible_name_keeps_the_page_and_what_was_typed(
        alice, fake_server, name, parent, problem):
    response = alice.post("/mail/folders/create/", {"name": name, "parent": parent})
    assert response.status_code == 400 and problem_of(response) == problem
    page = response.content.decode()
    assert f'id="new-folder-name" name="name" required maxlength="200" value="{name}"' in page
    assert "<h1>Folders</h1>" in page and "[ALREADYEXISTS]" not in page
    assert names(fake_server) == ["INBOX", "Projects", "Projects/Heron", "Sent", "Trash"]


def test_a_name_the_server_still_refuses_is_said_in_words(alice, fake_server, monkeypatch):
    # Another client made the folder after the list was read: the server's code is
    # translated, its raw text is not shown.
    from tests.fakes.session import FakeMailSession

    def made_meanwhile(self, name, parent=""):
        raise ServerRefused("create failed: [ALREADYEXISTS] Mailbox already exists "
                            "(0.001 + 0.000 secs).")

    monkeypatch.setattr(FakeMailSession, "create_folder", made_meanwhile)
    response = alice.post("/mail/folders/create/", {"name": "Plans"})
    assert problem_of(response) == 'A folder named "Plans" already exists.'
    assert "0.001" not in response.content.decode()


@pytest.mark.parametrize("detail, words", [
    ("[NONEXISTENT] no", 'There is no folder named "X" any more'),
    ("[NOPERM] Permission denied", 'You are not allowed to rename the folder "X".'),
    ("[OVERQUOTA] Quota exceeded", "Your mailbox is full."),
    ("[LIMIT] Too many mailboxes", "allows no more folders"),
    ("[CANNOT] Invalid mailbox name", 'cannot have a folder named "X"'),
    ("[INUSE] Mailbox in use", "in use right now"),
    ("Internal error occurred. Refer to server log (0.001 + 0.000 secs)",
     'The mail server refused to rename the folder "X".'),
])
def test_the_servers_refusal_codes_are_put_in_words(detail, words):
    text = folder_changes.refusal(ServerRefused(f"rename failed: {detail}"), "X", "rename")
    assert words in text and "secs" not in text and "[" not in text


def test_renaming_to_a_taken_name_keeps_the_page_and_the_typed_name(alice, fake_server):
    response = alice.post("/mail/folders/rename/", {"mailbox": "Projects/Heron",
                                                    "name": "Heron "})
    assert response.status_code == 302, "its own name: nothing to refuse"
    alice.post("/mail/folders/create/", {"name": "Old", "parent": "Projects"})
    response = alice.post("/mail/folders/rename/", {"mailbox": "Projects/Old", "name": "Heron"})
    assert response.status_code == 400
    assert problem_of(response, "rename-problem") == \
        'A folder named "Projects/Heron" already exists.'
    row = response.content.decode().split('aria-label="New name for Projects/Old"')[0]
    assert row.endswith('<input name="name" value="Heron" ')
    response = alice.post("/mail/folders/rename/", {"mailbox": "Projects/Old", "name": "a/b"})
    assert problem_of(response, "rename-problem") == 'Folder names cannot contain "/".'
    assert "Projects/Old" in names(fake_server)


def test_it_renames_a_folder_with_its_subfolders_and_mail(alice, fake_server):
    response = alice.post("/mail/folders/rename/", {"mailbox": "Projects", "name": "Work"})
    assert notices(response) == ["Renamed Projects to Work."]
    assert "Work/Heron" in names(fake_server) and "Projects" not in names(fake_server)
    assert sorted(fake_server.folder(ALICE, "Work").messages) == [700, 701]


def test_deleting_a_folder_asks_first_naming_its_subfolders(alice, fake_server):
    alice.post("/mail/folders/create/", {"name": "A", "parent": "Projects"})
    response = alice.post("/mail/folders/delete/", {"mailbox": "Projects"})
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert ('Delete "Projects" and its 2 subfolders (Projects/A, Projects/Heron) with all '
            "their mail?") in page
    assert '<input type="hidden" name="confirm" value="1">' in page
    assert '<input type="hidden" name="mailbox" value="Projects">' in page
    assert 'href="/mail/folders/">Cancel</a>' in page
    assert "Projects/Heron" in names(fake_server), "nothing deleted before the answer"


def test_a_folder_without_subfolders_is_asked_about_alone(alice, fake_server):
    response = alice.post("/mail/folders/delete/", {"mailbox": "Projects/Heron"})
    assert 'Delete "Projects/Heron" with all its mail?' in html.unescape(
        response.content.decode())


def test_it_deletes_a_folder_with_its_subfolders_once_confirmed(alice, fake_server):
    response = alice.post("/mail/folders/delete/", {"mailbox": "Projects", "confirm": "1"})
    assert notices(response) == ["Deleted the folder Projects, its 1 subfolder and the mail "
                                 "in them."]
    assert names(fake_server) == ["INBOX", "Sent", "Trash"]


def test_the_folders_page_has_no_delete_that_skips_the_question(alice):
    page = alice.get("/mail/folders/").content.decode()
    form = page.split('action="/mail/folders/delete/"')[1].split("</form>")[0]
    assert 'name="confirm"' not in form


def test_the_inbox_cannot_be_deleted(alice, fake_server):
    response = alice.post("/mail/folders/delete/", {"mailbox": "INBOX", "confirm": "1"})
    assert response.status_code == 302 and "Inbox cannot be deleted" in notices(response)[-1]
    assert len(fake_server.folder(ALICE, "INBOX").messages) == 120


@pytest.mark.parametrize("value, subscribed", [("0", False), ("1", True)])
def test_it_subscribes_and_unsubscribes(alice, fake_server, value, subscribed):
    if subscribed:
        fake_server.account(ALICE).subscribed.discard("Sent")
    alice.post("/mail/folders/subscribe/", {"mailbox": "Sent", "subscribed": value})
    assert ("Sent" in fake_server.account(ALICE).subscribed) == subscribed


def test_it_empties_trash_for_good(alice, fake_server):
    alice.post("/mail/actions/", {"action": "delete", "mailbox": "INBOX", "uids": [1, 2, 3]})
    response = alice.post("/mail/folders/empty/", {"mailbox": "Trash"})
    assert response["Location"] == "/mail/?mailbox=Trash"
    assert notices(response)[-1] == "Removed 3 messages from Trash for good."
    assert fake_server.folder(ALICE, "Trash").messages == {}


def test_it_refuses_to_empty_a_folder_that_is_not_trash_or_junk(alice, fake_server):
    response = alice.post("/mail/folders/empty/", {"mailbox": "Projects"})
    assert notices(response) == ["Only Trash and Junk can be emptied."]
    assert len(fake_server.folder(ALICE, "Projects").messages) == 2


@pytest.mark.parametrize("url", ["/mail/folders/create/", "/mail/folders/rename/",
                                 "/mail/folders/delete/", "/mail/folders/subscribe/",
                                 "/mail/folders/empty/"])
def test_folder_changes_need_post_and_login(alice, client, fake_server, url):
    assert alice.get(url, {"mailbox": "Projects"}).status_code == 405
    client.logout()
    response = client.post(url, {"mailbox": "Projects", "name": "X"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "Projects" in names(fake_server)


def test_the_folders_page_needs_get_and_login(alice, client):
    assert alice.post("/mail/folders/").status_code == 405
    client.logout()
    assert client.get("/mail/folders/")["Location"].startswith("/accounts/login/")


def test_carol_sees_and_changes_only_her_own_folders(alice, fake_server):
    carol = Client()
    log_in(carol, "carol@heron.test")
    assert "Projects" not in carol.get("/mail/folders/").content.decode()
    carol.post("/mail/folders/rename/", {"mailbox": "Projects", "name": "Mine"})
    carol.post("/mail/folders/delete/", {"mailbox": "Projects", "confirm": "1"})
    carol.post("/mail/folders/empty/", {"mailbox": "Trash"})
    assert names(fake_server) == ["INBOX", "Projects", "Projects/Heron", "Sent", "Trash"]
    assert names(fake_server, "carol@heron.test") == ["INBOX"]



@pytest.mark.parametrize("leaf, parent, old, problem", [
    ("Plans", "", "", ""),
    ("Plans.2026", "", "", 'Folder names cannot contain ".".'),
    ("Heron", "Projects", "", 'A folder named "Projects.Heron" already exists.'),
    ("Heron", "Projects", "Projects.Heron", ""),
    ("Heron", "", "", ""),
    ("INBOX", "", "", 'A folder named "INBOX" already exists.'),
    ("   ", "", "", "Give the folder a name."),
])
def test_names_are_checked_against_the_list_with_the_servers_separator(leaf, parent, old,
                                                                       problem):
    listed = [Mailbox(name=name, display_name=name.rpartition(".")[2], delimiter=".",
                      role="", depth=name.count("."), selectable=True)
              for name in ("INBOX", "Projects", "Projects.Heron")]
    assert folder_changes.name_problem(listed, ".", leaf, parent, old) == problem
