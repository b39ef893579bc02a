"""Pages of a folder this process already put together, shown again while the folder is
exactly as it was; and, on the same terms, a message's neighbours in the list and the
message itself as opened (outline and flags).

A page of a plain sorted list (no search) is a function of the folder's whole state on a
server with CONDSTORE: UIDVALIDITY, UIDNEXT and the message count fix which messages are
listed and in what order (the kept order, webmail/imap/state.py), and HIGHESTMODSEQ moves
with any change of any message's flags (RFC 7162: every change of metadata gets a new,
higher mod-sequence). What a row shows besides flags never changes for a UID. So a page
put together for (account, folder, FolderState, order, page, page size) is the page any
later request would put together for the same key, from any frontend: kept here, it
cannot be stale that the shared cache would not be, and it spares reading and decoding
the hundred keys of its summaries and flags.

Without CONDSTORE a flag change leaves the state as it was: nothing is kept then. The
account is in the key, so one user's page is never another's. Bounded: least recently
shown pages go first.
"""
from webmail.memo import Memo

from . import hooks

# Pages kept per process: 50 rows of about 1 kB each (neighbours are three numbers).
PAGES_KEPT = 256
# Messages as opened (reading.py: outline and flags, no body bytes), 1-5 kB each, for an
# hour at most (a user's mail does not stay in a process long after they left).
MESSAGES_KEPT = 1024
MESSAGE_SECONDS = 3600

_pages = Memo(PAGES_KEPT)
_messages = Memo(MESSAGES_KEPT, MESSAGE_SECONDS)
# Folder lists as read (MailboxCache.folders), by account and the list's stamp, new with
# each list written: so a stamp names one list, checked and made once here instead of on
# every page (41 of the 92 µs a warm open spent on what it read of the shared cache).
_folder_lists = Memo(1024)


def key(account, mailbox, state, *what):
    """The memo's key for what (the order, page and page size of a page; the order and
    index of a message's neighbours), or None where the state does not tell a flag change
    (no CONDSTORE, or no state)."""
    if state is None or state.modseq is None:
        return None
    return (account, mailbox, state, *what)


def _memo(page_key):
    return _messages if page_key[3] == "message" else _pages


def get(page_key, use="mailbox-page"):
    """The kept value (a MessagePage, neighbours, a Message), or None."""
    if page_key is None:
        return None
    page = _memo(page_key).get(page_key)
    hooks.cache_lookup(use, page is not None)
    return page


def keep(page_key, page):
    if page_key is not None:
        _memo(page_key).put(page_key, page)


def folder_list(account, value, make):
    """make(value) for a folder list as the shared cache holds it, kept for its stamp."""
    stamp = value.get("stamp") if type(value) is dict else None
    return _folder_lists.get_or_make((account, stamp) if type(stamp) is str else None,
                                     lambda: make(value))


def forget_everything():
    """Every page, message and folder list forgotten (tests, after emptying the cache)."""
    _pages.clear()
    _messages.clear()
    _folder_lists.clear()
