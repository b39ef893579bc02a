"""A message's place in its folder's list, and a poll's answer, whatever the server has."""
import pytest

from webmail.imap.errors import MailboxNotFound
from webmail.imap.navigation import place_of, poll
from webmail.imap.types import Mailbox


class Account:
    """The public methods navigation asks of a MailSession, over one folder's list."""

    def __init__(self, uids, around=None, capabilities=(), folders=()):
        self.uids, self._around = list(uids), around
        self.capabilities, self.folders = set(capabilities), list(folders)
        self.asked = []

    def around(self, mailbox, uid, sort="date", reverse=True, index=None):
        self.asked.append("around")
        return self._around

    def sorted_uids(self, mailbox, sort="date", reverse=True, criteria=None):
        self.asked.append("sorted_uids")
        return self.uids

    def has(self, capability):
        return capability in self.capabilities

    def list_mailboxes(self, fresh=False):
        self.asked.append(("list_mailboxes", fresh))
        return self.folders

    def counts(self, mailbox):
        self.asked.append(("counts", mailbox))
        return 9, 2, 40


@pytest.mark.parametrize("uids, uid, at, previous, following", [
    ([30, 20, 10], 20, 1, 30, 10),
    ([30, 20, 10], 30, 0, None, 20),
    ([30, 20, 10], 10, 2, 20, None),
    ([30], 30, 0, None, None),
    ([30, 20, 10], 99, None, None, None),  # gone from the list: no links
    ([], 5, None, None, None),
])
def test_without_a_kept_window_the_whole_list_gives_the_neighbours(uids, uid, at, previous,
                                                                   following):
    place = place_of(Account(uids), "INBOX", uid)
    assert (place.listed, place.at, place.previous, place.following) == (
        uids, at, previous, following)


def test_where_the_list_page_said_where_the_message_is_only_its_neighbours_are_read():
    account = Account([30, 20, 10], around=(30, 10))
    place = place_of(account, "INBOX", 20, at=1)
    assert (place.listed, place.at, place.previous, place.following) == ([20], 1, 30, 10)
    assert account.asked == ["around"]


def _folder(name, total, unread, selectable=True):
    return Mailbox(name=name, display_name=name, delimiter="/", role="", depth=0,
                   selectable=selectable, unread=unread, total=total, parent="")


def test_a_poll_with_list_status_brings_every_folders_counts():
    folders = [_folder("INBOX", 12, 3), _folder("Work", 4, 1)]
    account = Account([], capabilities={"LIST-STATUS"}, folders=folders)
    news = poll(account, "INBOX")
    assert (news.total, news.unread, news.uidnext, news.folders) == (12, 3, None, folders)
    assert account.asked == [("list_mailboxes", True)]


def test_a_poll_without_list_status_asks_one_folders_status():
    account = Account([])
    news = poll(account, "INBOX")
    assert (news.total, news.unread, news.uidnext, news.folders) == (9, 2, 40, None)
    assert account.asked == [("counts", "INBOX")]


def test_a_poll_of_a_folder_not_listed_is_not_found():
    account = Account([], capabilities={"LIST-STATUS"}, folders=[_folder("INBOX", 1, 0)])
    with pytest.raises(MailboxNotFound):
        poll(account, "Gone")
