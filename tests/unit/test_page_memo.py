"""A page of a plain list, and a message as opened, are kept in the process for the
folder's whole state (webmail/imap/pagememo.py): only under the state they were made at.
On fakes of the selection and the session; the real servers' side is in
tests/integration/test_mailbox_cache.py."""
from dataclasses import dataclass, field

from webmail.imap import pagememo
from webmail.imap.ordering import Ordering
from webmail.imap.reading import Reading
from webmail.imap.selection import Selection
from webmail.imap.state import FolderState
from webmail.imap.types import Address, Message, MessageSummary
from webmail.memo import Memo

S1 = FolderState(7, 101, 100, 555)
S2 = FolderState(7, 102, 101, 556)  # a message arrived


def summary(uid):
    return MessageSummary(uid=uid, subject=f"m{uid}", sender=Address("", "a@x.test"), to=(),
                          date=None, size=1, flags=())


@dataclass
class FakeSelection:
    state: FolderState
    condstore: bool = True
    vouched: object = None  # (mailbox, state) while a change watcher vouches

    @property
    def keeps_state(self):
        return self.condstore

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


def test_a_connection_yet_to_enable_condstore_keeps_pages_where_the_server_has_it():
    """A worker's new connection serving under a watcher's vouch never selects: it keeps
    pages all the same when the server has CONDSTORE (known from the last login)."""
    class CondstoreConn(FakeConn):
        def has(self, capability):
            return capability == "CONDSTORE"

    fresh = Selection(CondstoreConn())
    assert not fresh.condstore and fresh.keeps_state
    assert not Selection(FakeConn()).keeps_state


def test_nothing_is_kept_without_condstore():
    pagememo.forget_everything()
    assert pagememo.key("acct", "INBOX", FolderState(7, 101, 100, None), "DATE:desc") is None


# --- a message as opened ------------------------------------------------------------------

def opened(uid, flags=("\\Seen",), read_now=False):
    return Message(uid=uid, mailbox="INBOX", subject="s", sender=Address("", "a@x.test"),
                   to=(), cc=(), reply_to=(), date=None, size=1, flags=flags, body=None,
                   body_raw=None, body_truncated=False, attachments=(), read_now=read_now)


def reading(state, answers):
    """A Reading on fakes whose messages() gives the next of answers and counts calls."""
    made = Reading(FakeConn(), FakeSelection(state), None)
    calls = []

    def messages(self, mailbox, uids, *args):
        calls.append(uids)
        return [answers[len(calls) - 1]]

    made.messages = messages.__get__(made)
    return made, calls


def test_a_message_opened_again_at_the_same_state_is_not_read_again():
    pagememo.forget_everything()
    mail, calls = reading(S1, [opened(100)])
    first = mail.message("INBOX", 100, fetch_body=False)
    assert mail.message("INBOX", 100, fetch_body=False) is first and len(calls) == 1


def test_a_message_whose_folder_moved_on_is_read_again_with_its_new_flags():
    pagememo.forget_everything()
    mail, calls = reading(S1, [opened(100), opened(100, ("\\Seen", "\\Flagged"))])
    mail.message("INBOX", 100, fetch_body=False)
    mail.sel.state = FolderState(7, 101, 100, 556)  # another client flagged it
    assert mail.message("INBOX", 100, fetch_body=False).flags == ("\\Seen", "\\Flagged")
    assert len(calls) == 2


def test_a_message_this_open_marked_read_is_not_kept():
    """Its state is gone with the STORE: kept under it, nothing would ever find it; and
    the message as shown says it was read just now, which the next open must not."""
    pagememo.forget_everything()
    mail, calls = reading(S1, [opened(100, read_now=True), opened(100)])
    mail.message("INBOX", 100, fetch_body=False)
    assert not mail.message("INBOX", 100, fetch_body=False).read_now
    assert len(calls) == 2


def test_a_message_with_its_body_bytes_is_never_kept():
    pagememo.forget_everything()
    mail, calls = reading(S1, [opened(100), opened(100)])
    mail.message("INBOX", 100)
    mail.message("INBOX", 100)
    assert len(calls) == 2


def test_a_message_not_known_to_be_there_is_not_taken_from_the_memo():
    """Under a watcher's vouch on a server without QRESYNC, a message not listed for the
    state is confirmed on the wire (flags.flags_of): the memo does not stand in for that."""
    pagememo.forget_everything()
    mail, calls = reading(S1, [opened(100), opened(100), opened(100)])
    mail.message("INBOX", 100, fetch_body=False)  # state from the server: kept
    mail.sel.vouched = ("INBOX", S1)
    mail.message("INBOX", 100, fetch_body=False)
    assert len(calls) == 2
    mail.message("INBOX", 100, fetch_body=False, listed=[100])
    assert len(calls) == 2, "listed for this state: the memo holds"


def test_a_memo_with_a_lifetime_forgets_a_value_after_it(monkeypatch):
    from webmail import memo
    now = [1000.0]
    monkeypatch.setattr(memo.time, "monotonic", lambda: now[0])
    kept = memo.Memo(4, seconds=60)
    kept.put("k", "v")
    now[0] += 59
    assert kept.get("k") == "v"
    now[0] += 2
    assert kept.get("k") is None and len(kept) == 0


def test_get_or_make_keeps_what_a_key_can_hold_and_only_that():
    memo, made = Memo(4), []

    def make():
        made.append(1)
        return f"value {len(made)}"
    assert memo.get_or_make("a", make) == memo.get_or_make("a", make) == "value 1"
    assert memo.get_or_make(("b", ["unhashable"]), make) == "value 2"
    assert memo.get_or_make(None, make) == "value 3"
    assert memo.get_or_make("c", make, keep=False) == "value 4"
    assert len(memo) == 1 and len(made) == 4
