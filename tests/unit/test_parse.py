"""Table-style tests of the pure helpers that turn IMAP values into Heron's types."""
from datetime import datetime, timezone

import pytest
from imapclient.response_types import Address as ImapAddress

from webmail.imap import parse


@pytest.mark.parametrize("raw, expected", [
    (b"Plain subject", "Plain subject"),
    (b"=?utf-8?b?R3LDvMOfZSBhdXMgS8O2bG4=?=", "Grüße aus Köln"),
    (b"=?UTF-8?Q?Caf=C3=A9_au_lait?=", "Café au lait"),
    (b"=?iso-8859-1?q?Andr=E9?= Pirard", "André Pirard"),
    (b"=?utf-8?b?5pel5pys6Kqe44Gu5Lu25ZCN?=", "日本語の件名"),
    (b"Re: =?utf-8?q?Hello?= =?utf-8?q?_World?=", "Re: Hello World"),
    (b"=?unknown-charset?q?abc?=", "=?unknown-charset?q?abc?="),
    (b"=?utf-8?b?!!!broken?=", "=?utf-8?b?!!!broken?="),
    ("Gr\xfc\xdfe raw latin-1".encode("latin-1"), "Grüße raw latin-1"),
    ("8-bit UTF-8 Привет".encode(), "8-bit UTF-8 Привет"),
    (None, ""),
    (b"  folded\r\n  subject  ", "folded subject"),
])
def test_it_decodes_subjects_and_names_as_a_reader_expects(raw, expected):
    assert parse.decode_words(raw) == expected


def test_it_shows_an_encoded_sender_name_and_joins_the_address():
    raw = ImapAddress(b"=?utf-8?q?J=C3=BCrgen?=", None, b"juergen", b"example.de")
    assert parse.address(raw) == parse.Address("Jürgen", "juergen@example.de")


@pytest.mark.parametrize("flags, name, role", [
    ((), "INBOX", "inbox"),
    ((), "inbox", "inbox"),
    ((b"\\HasNoChildren", b"\\Sent"), "Gesendet", "sent"),
    ((b"\\Trash",), "Papierkorb", "trash"),
    ((b"\\Junk",), "Courrier indésirable", "junk"),
    ((), "Sent Items", "sent"),
    ((), "Deleted Items", "trash"),
    ((), "Spam", "junk"),
    ((), "INBOX.Drafts", "drafts"),
    ((), "Projects/Sent", ""),
    ((), "Projects", ""),
])
def test_it_finds_special_folders_by_special_use_or_by_name(flags, name, role):
    assert parse.role_for(flags, name, "." if name.startswith("INBOX.") else "/") == role


def test_it_orders_special_folders_first_then_the_tree_by_name():
    listing = [
        ((b"\\HasChildren",), b"/", "Projects"),
        ((b"\\Archive",), b"/", "Archive"),
        ((), b"/", "Projects/Heron"),
        ((), b"/", "Projects/Été 2026"),
        ((b"\\Trash",), b"/", "Trash"),
        ((), b"/", "INBOX"),
        ((b"\\Sent",), b"/", "Sent"),
        ((), b"/", "Reçus"),
        ((b"\\Junk",), b"/", "Junk"),
        ((b"\\Drafts",), b"/", "Drafts"),
        ((), b"/", "Orphan/Child"),
        ((b"\\Noselect", b"\\HasChildren"), b"/", "Shared"),
    ]
    boxes = parse.build_mailboxes(listing, {"INBOX": (3, 10), "Projects/Heron": (1, 2)})
    assert [b.name for b in boxes] == [
        "INBOX", "Drafts", "Sent", "Junk", "Trash", "Archive",
        "Orphan/Child", "Projects", "Projects/Été 2026", "Projects/Heron", "Reçus", "Shared"]
    by_name = {b.name: b for b in boxes}
    assert by_name["INBOX"].display_name == "Inbox"
    assert (by_name["INBOX"].unread, by_name["INBOX"].total) == (3, 10)
    assert by_name["Projects/Heron"].depth == 1
    assert by_name["Projects/Heron"].parent == "Projects"
    assert by_name["Projects/Heron"].display_name == "Heron"
    assert by_name["Projects/Été 2026"].display_name == "Été 2026"
    assert by_name["Orphan/Child"].depth == 0
    assert by_name["Shared"].selectable is False


def test_a_second_folder_with_the_same_role_stays_an_ordinary_folder():
    listing = [((b"\\Sent",), b"/", "Sent"), ((b"\\Sent",), b"/", "Sent Messages")]
    roles = {b.name: b.role for b in parse.build_mailboxes(listing, {})}
    assert roles == {"Sent": "sent", "Sent Messages": ""}


def test_the_sort_date_falls_back_to_the_arrival_date():
    arrival = datetime(2026, 3, 1, tzinfo=timezone.utc)
    sent = datetime(2026, 2, 1, 12, tzinfo=timezone.utc)
    assert parse.sort_key_date(sent, arrival) == sent
    assert parse.sort_key_date(None, arrival) == arrival
    assert parse.sort_key_date(None, None).year == 1
