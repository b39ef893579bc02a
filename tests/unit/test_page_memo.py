"""A page of a plain list is kept in the process for the folder's whole state
(webmail/imap/pagememo.py): only under the state it was made at. On fakes of the selection
and the session; the real servers' side is in tests/integration/test_mailbox_cache.py."""
from dataclasses import dataclass, field

from webmail.imap import pagememo
from webmail.imap.ordering import Ordering
from webmail.imap.state import FolderState
from webmail.imap.types import Address, MessageSummary

S1 = FolderState(7, 101, 100, 555)
S2 = FolderState(7, 102, 101, 556)  # a message arrived


def summary(uid):
    return MessageSummary(uid=uid, subject=f"m{uid}", sender=Address("", "a@x.test"), to=(),
                          date=None, size=1, flags=())


@dataclass
class FakeSelection:
    state: FolderState
    condstore: bool = True

    def select(self, mailbox):
        pass


@dataclass
class FakeCache:
    account: str = "acct"

    def sorted_window(self, mailbox, state, order, page, per_page):
        return None  # no current kept list: the whole list is made


@dataclass
class FakeConn:
    cache: FakeCache = field(default_factory=FakeCache)

    def has(self, capability):
        return False


class FakeFlags:
    def summaries(self, mailbox, uids):
        return [summary(uid) for uid in uids]


def ordering(sorted_uids):
    made = Ordering(FakeConn(), FakeSelection(S1), FakeFlags())
    made.sorted_uids = sorted_uids.__get__(made)
    return made


def test_a_page_made_at_one_state_is_kept_and_shown_again():
    pagememo.forget_everything()
    calls = []

    def sorted_uids(self, mailbox, sort, reverse, criteria):
        calls.append(1)
        return [100, 99, 98]

    mail = ordering(sorted_uids)
    first = mail.page("INBOX", 1, 50)
    again = mail.page("INBOX", 1, 50)
    assert again is first and len(calls) == 1
    assert [m.uid for m in first.messages] == [100, 99, 98]


def test_a_page_whose_state_moved_while_it_was_made_is_not_kept():
    """The list was brought up to the state the request started from (S1) while the
    folder moved on (S2, a new message): kept under S2 it would hide that message from
    every later page at S2."""
    pagememo.forget_everything()

    def sorted_uids(self, mailbox, sort, reverse, criteria):
        self.sel.state = S2  # a command on the way revalidated: the folder is at S2 now
        return [100, 99, 98]  # ...but the list is S1's, without UID 101

    mail = ordering(sorted_uids)
    mail.page("INBOX", 1, 50)
    assert pagememo.get(pagememo.key("acct", "INBOX", S2, "DATE:desc", 1, 50)) is None
    assert pagememo.get(pagememo.key("acct", "INBOX", S1, "DATE:desc", 1, 50)) is None


def test_nothing_is_kept_without_condstore():
    pagememo.forget_everything()
    assert pagememo.key("acct", "INBOX", FolderState(7, 101, 100, None), "DATE:desc") is None
