"""Folder management (create, rename, delete, subscribe, empty) and the quota, through the
in-memory mail server."""
import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.test import Client

from tests.unit.conftest import log_in
from webmail.imap.types import Quota

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


def test_a_folder_without_a_name_is_not_created(alice, fake_server):
    response = alice.post("/mail/folders/create/", {"name": "  "})
    assert notices(response) == ["Give the new folder a name."]
    assert len(names(fake_server)) == 5


def test_a_folder_that_exists_already_is_refused_clearly(alice, fake_server):
    response = alice.post("/mail/folders/create/", {"name": "Projects"})
    assert response.status_code == 302 and "already exists" in notices(response)[-1]


def test_it_renames_a_folder_with_its_subfolders_and_mail(alice, fake_server):
    response = alice.post("/mail/folders/rename/", {"mailbox": "Projects", "name": "Work"})
    assert notices(response) == ["Renamed Projects to Work."]
    assert "Work/Heron" in names(fake_server) and "Projects" not in names(fake_server)
    assert sorted(fake_server.folder(ALICE, "Work").messages) == [700, 701]


def test_it_deletes_a_folder_with_its_subfolders(alice, fake_server):
    response = alice.post("/mail/folders/delete/", {"mailbox": "Projects"})
    assert notices(response) == ["Deleted the folder Projects and the mail in it."]
    assert names(fake_server) == ["INBOX", "Sent", "Trash"]


def test_the_inbox_cannot_be_deleted(alice, fake_server):
    response = alice.post("/mail/folders/delete/", {"mailbox": "INBOX"})
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
    carol.post("/mail/folders/delete/", {"mailbox": "Projects"})
    carol.post("/mail/folders/empty/", {"mailbox": "Trash"})
    assert names(fake_server) == ["INBOX", "Projects", "Projects/Heron", "Sent", "Trash"]
    assert names(fake_server, "carol@heron.test") == ["INBOX"]

