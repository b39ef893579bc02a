"""Other users' and shared folders in sections of their own, subscriptions, and rights."""
import pytest
from django.test import Client

from tests.helpers import FakeMailServer, make_summaries
from tests.unit.conftest import log_in
from webmail import mail
from webmail.imap import parse
from webmail.imap.types import Mailbox

CYRUS = [("Other Users/", "other"), ("Shared Folders/", "shared")]


def listing(*names, flags=None):
    flags = flags or {}
    return [(flags.get(name, ()), b"/", name) for name in names]


def tree(*names, **kwargs):
    flags = kwargs.pop("flags", None)
    return parse.build_mailboxes(listing(*names, flags=flags), {}, **kwargs)


def test_other_users_and_shared_folders_come_after_the_users_own_in_their_sections():
    found = tree("Shared Folders/team", "Other Users/hal/Projects", "Work", "INBOX", "Sent",
                 "Other Users/hal/Projects/2026", "Other Users/ann/Notes",
                 flags={"Sent": (b"\\Sent",)}, namespaces=CYRUS)
    assert [(f.section, f.name, f.display_name, f.depth) for f in found] == [
        ("", "INBOX", "Inbox", 0), ("", "Sent", "Sent", 0), ("", "Work", "Work", 0),
        ("other", "Other Users/ann/Notes", "ann/Notes", 0),
        ("other", "Other Users/hal/Projects", "hal/Projects", 0),
        ("other", "Other Users/hal/Projects/2026", "2026", 1),
        ("shared", "Shared Folders/team", "team", 0)]


def test_another_users_sent_folder_is_not_the_users_sent_folder():
    found = tree("INBOX", "Other Users/hal/Sent", namespaces=CYRUS,
                 flags={"Other Users/hal/Sent": (b"\\Sent",)})
    assert {f.name: f.role for f in found} == {"INBOX": "inbox", "Other Users/hal/Sent": ""}


def test_a_sections_own_root_is_a_heading_not_a_folder():
    found = tree("INBOX", "Other Users", "Other Users/hal", "Other Users/hal/Projects",
                 flags={"Other Users": (b"\\Noselect",)}, namespaces=CYRUS)
    assert [f.name for f in found] == ["INBOX", "Other Users/hal", "Other Users/hal/Projects"]
    assert found[1].display_name == "hal" and found[2].depth == 1


def test_an_owner_node_left_without_shared_folders_is_left_out():
    dovecot = [("Shared/", "other")]
    found = tree("INBOX", "Shared", "Shared/alice@heron.test", "Shared/bob@heron.test",
                 "Shared/bob@heron.test/Plans", namespaces=dovecot,
                 flags={"Shared": (b"\\NonExistent",),
                        "Shared/alice@heron.test": (b"\\NonExistent",),
                        "Shared/bob@heron.test": (b"\\NonExistent",)})
    assert [(f.name, f.display_name, f.selectable) for f in found] == [
        ("INBOX", "Inbox", True), ("Shared/bob@heron.test", "bob@heron.test", False),
        ("Shared/bob@heron.test/Plans", "Plans", True)]


def test_a_drop_box_without_the_read_right_takes_mail_but_cannot_be_opened():
    found = tree("INBOX", "Other Users/hal/Drop", namespaces=CYRUS,
                 rights={"Other Users/hal/Drop": "li"})
    drop = found[-1]
    assert drop.name == "Other Users/hal/Drop" and drop.selectable and drop.may_insert
    assert not drop.may_open and found[0].may_open


def test_the_folders_holding_the_open_one_show_though_unsubscribed():
    from webmail.templatetags.heron import hidden_folders
    found = tree("INBOX", "Old", "Old/2019", "Old/2019/March", "Other",
                 subscribed={"INBOX"})
    current = next(f for f in found if f.name == "Old/2019")
    assert hidden_folders(found, current) == {"Old/2019/March", "Other"}
    assert hidden_folders(found) == {"Old", "Old/2019", "Old/2019/March", "Other"}


def test_without_namespaces_every_folder_is_the_users_own():
    found = tree("INBOX", "Other Users/hal/Projects")
    assert {f.section for f in found} == {""}


def test_a_folder_holding_a_subscribed_one_counts_as_subscribed():
    found = tree("INBOX", "Projects", "Projects/Heron", "Old", subscribed={"INBOX",
                                                                          "Projects/Heron"})
    assert {f.name: f.subscribed for f in found} == {
        "INBOX": True, "Projects": True, "Projects/Heron": True, "Old": False}
    assert all(f.subscribed for f in tree("INBOX", "Old"))  # the server did not say


@pytest.mark.parametrize("rights,remove,read,flag,insert,create,delete", [
    (None, True, True, True, True, True, True),
    ("lr", False, False, False, False, False, False),
    ("lrs", False, True, False, False, False, False),
    ("lrswi", False, True, True, True, False, False),
    ("lrswipkxte", True, True, True, True, True, True),
    ("lrswicd", True, True, True, True, True, True),  # RFC 2086: d = t e x, c = k
    # RFC 4314 adds d and c as virtual rights when any of t/e/x or k is granted: they
    # stand for nothing more.
    ("lrstd", False, True, False, False, False, False),
    ("lrsxd", False, True, False, False, False, True),
    ("lrskc", False, True, False, False, True, False),
])
def test_rights_decide_what_a_folder_offers(rights, remove, read, flag, insert, create, delete):
    box = Mailbox(name="x", display_name="x", delimiter="/", role="", depth=0, selectable=True,
                  rights=rights)
    assert (box.may_remove, box.may_mark_read, box.may_flag, box.may_insert,
            box.may_create_inside, box.may_delete) == (remove, read, flag, insert, create,
                                                       delete)


@pytest.fixture
def shared_server(monkeypatch):
    server = FakeMailServer({"gina@heron.test": {
        "password": "gina-secret-pw", "namespaces": CYRUS,
        "rights": {"Other Users/hal/Projects": "lrs", "Shared Folders/team": "lrswipkxte"},
        "folders": {"INBOX": make_summaries(3), "Trash": [], "Old": [], "Work": [],
                    "Other Users/hal/Projects": make_summaries(2, start_uid=50),
                    "Shared Folders/team": []}}})
    server.account("gina@heron.test").subscribed.discard("Old")
    monkeypatch.setattr(mail.POOL, "factory", server.factory)
    return server


@pytest.fixture
def gina(shared_server, db):
    client = Client()
    assert log_in(client, "gina@heron.test", "gina-secret-pw").status_code == 302
    return client


def test_the_folder_tree_shows_sections_and_hides_what_is_not_subscribed(gina):
    page = gina.get("/mail/").content.decode()
    assert '<h2 class="folder-section" id="folders-other">Other users</h2>' in page
    assert '<h2 class="folder-section" id="folders-shared">Shared folders</h2>' in page
    assert page.index("folders-other") < page.index("hal/Projects") < page.index(
        "folders-shared") < page.index(">team<")
    old = page[page.index('data-folder="Old"') - 300:page.index('data-folder="Old"')]
    assert "unsubscribed" in old.rsplit("<li", 1)[1]
    work = page[page.index('data-folder="Work"') - 300:page.index('data-folder="Work"')]
    assert "unsubscribed" not in work.rsplit("<li", 1)[1]
    assert 'id="show-all-folders"' in page and "Show all folders" in page


def test_an_unsubscribed_folder_that_is_open_shows_in_the_tree(gina):
    page = gina.get("/mail/", {"mailbox": "Old"}).content.decode()
    old = page[page.index('data-folder="Old"') - 300:page.index('data-folder="Old"')]
    assert "unsubscribed" not in old.rsplit("<li", 1)[1]


def test_with_everything_subscribed_there_is_no_show_all_switch(gina, shared_server):
    shared_server.account("gina@heron.test").subscribed.add("Old")
    assert 'id="show-all-folders"' not in gina.get("/mail/").content.decode()


def test_a_read_only_shared_folder_offers_reading_but_no_deleting_or_moving(gina):
    page = gina.get("/mail/", {"mailbox": "Other Users/hal/Projects"}).content.decode()
    assert 'value="read"' in page
    for action in ("archive", "delete", "junk", "move", "flag"):
        assert f'name="action" value="{action}"' not in page, action
    assert 'name="action" value="copy"' in page


def test_in_a_folder_without_the_write_right_flags_show_but_cannot_be_changed(
        gina, shared_server):
    folder = shared_server.account("gina@heron.test").folder("Other Users/hal/Projects")
    folder.messages[50].flags.add("\\Flagged")
    page = gina.get("/mail/", {"mailbox": "Other Users/hal/Projects"}).content.decode()
    assert 'class="star-toggle"' not in page
    assert page.count('class="star-shown"') == 1 and 'aria-label="Flagged"' in page
    inbox = gina.get("/mail/").content.decode()
    assert inbox.count('class="star-toggle"') == 3


def test_a_folder_without_the_insert_right_is_no_move_target(gina):
    page = gina.get("/mail/").content.decode()
    targets = page[page.index('id="move-target"'):]
    targets = targets[:targets.index("</select>")]
    assert 'value="Shared Folders/team"' in targets and 'value="Work"' in targets
    assert 'value="Other Users/hal/Projects"' not in targets


def test_the_folders_page_offers_rename_and_delete_by_rights(gina):
    page = gina.get("/mail/folders/").content.decode()
    assert "Delete folder Work" in page and "Delete folder Shared Folders/team" in page
    assert "Delete folder Other Users/hal/Projects" not in page
    assert "(another user&#x27;s)" in page or "(another user's)" in page
