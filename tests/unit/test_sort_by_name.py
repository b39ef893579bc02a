"""Sorting by sender or recipient goes by the name a list shows: DISPLAYFROM/DISPLAYTO
(RFC 5957) where the server offers SORT=DISPLAY, and Heron's own sort where it has no SORT
(a fake connection that records what it is asked answers for the server)."""
import pytest
from imapclient.response_types import Address, Envelope

from webmail.imap.connection import Connection
from webmail.imap.flags import Flags
from webmail.imap.ordering import Ordering
from webmail.imap.selection import Selection
from webmail.imap.types import ServerConfig

PEOPLE = {1: (b"Zoe", b"aaron"), 2: (b"Adam", b"zed"), 3: (None, b"mila"),
          4: (b"=?utf-8?q?=C3=89mile?=", b"bob")}


def _envelope(uid):
    name, mailbox = PEOPLE[uid]
    people = (Address(name, None, mailbox, b"x.test"),)
    return Envelope(None, b"s", people, people, people, people, None, None, None, None)


def _ordering(capabilities):
    sent = []

    def call(name, *args, **kwargs):
        sent.append((name, args))
        if name == "search":
            return list(PEOPLE)
        assert name == "fetch"
        return {uid: {b"ENVELOPE": _envelope(uid)} for uid in args[0]}

    conn = Connection(ServerConfig("imap.test", 143, "none"))
    conn.call = call
    conn.has = lambda capability: capability in capabilities
    sel = Selection(conn)
    return Ordering(conn, sel, Flags(conn, sel)), sent


@pytest.mark.parametrize("sort, capabilities, key", [
    ("from", {"SORT", "SORT=DISPLAY"}, "DISPLAYFROM"),
    ("to", {"SORT", "SORT=DISPLAY"}, "DISPLAYTO"),
    ("from", {"SORT"}, "FROM"),
    ("subject", {"SORT", "SORT=DISPLAY"}, "SUBJECT"),
    ("no-such-order", {"SORT", "SORT=DISPLAY"}, "DATE"),
])
def test_the_server_sorts_by_display_name_where_it_offers_to(sort, capabilities, key):
    assert _ordering(capabilities)[0]._key(sort) == key


@pytest.mark.parametrize("key", ["FROM", "TO"])
def test_without_sort_heron_sorts_by_the_name_shown_or_the_address(key):
    ordering, sent = _ordering(set())
    # Adam, Émile, mila@x.test (no name), Zoe: not aaron, bob, mila, zed.
    assert ordering._sort_locally(key, False) == [2, 4, 3, 1]
    assert ordering._sort_locally(key, True) == [1, 3, 4, 2]
    assert [name for name, _args in sent] == ["search", "fetch"] * 2
