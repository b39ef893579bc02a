"""The IMAP layer's wall: what may and may not reach the wire (table-style)."""
import pytest
from imapclient.imapclient import _literal

from webmail.imap import wall
from webmail.imap.adapter import Catenate
from webmail.imap.errors import UnsafeInput
from webmail.params import check_folder_name, draft_key, pick_value, uid_value


@pytest.mark.parametrize("name, args", [
    ("select_folder", ("INBOX\r\nA1 DELETE x",)),
    ("select_folder", (b"INBOX\nx",)),
    ("create_folder", ("a\x00b",)),
    ("search", (["TEXT", 'x"\r\nZ1 DELETE Trash\r\nZ2 NOOP "'],)),
    ("search", (["OR", ["FROM", "a\rb"], "ALL"],)),
    ("sort", (["DATE"], ["SUBJECT", "x\n"], "UTF-8")),
    ("fetch", ([1], ["BODY.PEEK[HEADER.FIELDS (X\r\n)]"])),
    ("append", ("Drafts\r\n", b"raw message", [])),
    ("copy", ([1], {"folder": "x\ny"})),
    ("raw_untagged", (b"APPEND", Catenate("Drafts\r\nZ1 NOOP", ("\\Draft",), (b"x",)), None)),
    ("raw_untagged", (b"APPEND", Catenate("Drafts", ("\\Draft",), ("/Drafts;UID=1\r\n",)),
                      None)),
])
def test_arguments_with_line_breaks_or_nul_are_refused(name, args):
    with pytest.raises(UnsafeInput):
        wall.check_command(name, args, {})


@pytest.mark.parametrize("name, args", [
    ("select_folder", ("Entwürfe",)),
    ("search", (["TEXT", "two words", "SINCE", "01-Jan-2026"],)),
    ("fetch", ([1, 2, 3], ["FLAGS", "UID"])),
    # A message for APPEND is a literal: its line breaks are data.
    ("append", ("Drafts", b"Subject: x\r\n\r\nbody\r\n", [b"\\Seen"])),
    # So are the TEXT pieces of APPEND CATENATE.
    ("raw_untagged", (b"APPEND", Catenate("Drafts", ("\\Draft",), (
        b"Subject: x\r\n\r\n", "/Drafts;UIDVALIDITY=1/;UID=2/;SECTION=2", b"\r\n--b--\r\n")),
        None)),
])
def test_ordinary_arguments_pass(name, args):
    wall.check_command(name, args, {})


def test_keyword_arguments_are_checked_too():
    with pytest.raises(UnsafeInput):
        wall.check_command("select_folder", (), {"folder": "a\r\nb"})


@pytest.mark.parametrize("username, password, method", [
    ("alice@heron.test", "secret", "login"),
    ("alice@heron.test", 'with "quotes" and \\', "login"),
    ("alice@heron.test", "pässwörd", "plain"),
    ("\"odd name\"@heron.test", "x", "plain"),
    ("jürgen@heron.test", "x", "plain"),
    ("a{5}", "x", "plain"),
])
def test_login_goes_by_login_or_authenticate_plain(username, password, method):
    assert wall.login_method(username, password) == method


@pytest.mark.parametrize("username, password", [
    ("alice@heron.test\r\nZ1 NOOP", "x"), ("alice@heron.test", "x\ny"),
    ("alice@heron.test", "x\x00"), ("", "x"),
])
def test_a_login_with_line_breaks_or_nul_is_refused(username, password):
    with pytest.raises(UnsafeInput):
        wall.login_method(username, password)


def test_search_strings_that_are_not_atoms_go_as_literals():
    args = wall.protect_criteria("search", (["TEXT", "{5}", "FROM", "plain", "HEADER",
                                             "X-Heron-Draft", "(x)", "UNSEEN"], None))
    tokens = args[0]
    assert isinstance(tokens[1], _literal) and tokens[1] == b"{5}"
    assert tokens[3] == "plain" and not isinstance(tokens[3], _literal)
    assert tokens[5] == "X-Heron-Draft" and isinstance(tokens[6], _literal)
    assert tokens[7] == "UNSEEN"
    assert wall.protect_criteria("sort", (["DATE"], ["TEXT", "*"], "UTF-8"))[1][1] == b"*"
    assert wall.protect_criteria("select_folder", ("INBOX",)) == ("INBOX",)


@pytest.mark.parametrize("text, expected", [
    ("1", 1), ("4294967295", 4294967295), ("4294967296", None), ("0", None), ("-1", None),
    ("²", None), ("١", None), ("1 ", None), ("", None), (None, None), ("12345678901", None),
])
def test_uids_are_ascii_digits_within_32_bits(text, expected):
    assert uid_value(text) == expected


@pytest.mark.parametrize("name, ok", [
    ("INBOX", True), ("Entwürfe/2026", True), ("x\r\ny", False), ("tab\there", False),
    ("nul\x00", False), ("del\x7f", False), ("a" * 1001, False),
])
def test_folder_names_without_controls(name, ok):
    if ok:
        check_folder_name(name)
    else:
        with pytest.raises(Exception):
            check_folder_name(name)


def test_draft_keys_and_picks():
    key = "0123456789abcdef0123456789abcdef"
    assert draft_key(key) == key
    assert draft_key(key + "\n") is None and draft_key(key.upper()) is None
    assert pick_value("12 INBOX") == (12, "INBOX")
    assert pick_value("12 IN\r\nBOX") is None and pick_value("² INBOX") is None
