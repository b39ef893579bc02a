"""Pure pieces of the IMAP layer: search criteria, UID sets, chunked decoding, zip names."""
import base64
import io
import quopri
import zipfile
from datetime import date

import pytest

from webmail.imap.parse import expand_uid_set
from webmail.imap.reading import _Decoder
from webmail.imap.search import SearchQuery, criteria, needs_charset, terms
from webmail.mime.zipstream import unique_names, zip_parts


@pytest.mark.parametrize("query, expected", [
    (SearchQuery(), ["ALL"]),
    (SearchQuery(text="invoice"), ["TEXT", "invoice"]),
    (SearchQuery(text="invoice march", scope="subject"),
     ["SUBJECT", "invoice", "SUBJECT", "march"]),
    (SearchQuery(text='"weekly report"', scope="from"), ["FROM", "weekly report"]),
    (SearchQuery(text="bob", scope="to"), ["OR", "TO", "bob", "CC", "bob"]),
    (SearchQuery(text="pizza", scope="body", unread=True, flagged=True),
     ["BODY", "pizza", "UNSEEN", "FLAGGED"]),
    (SearchQuery(since=date(2026, 3, 1), until=date(2026, 3, 31)),
     ["SENTSINCE", date(2026, 3, 1), "SENTBEFORE", date(2026, 4, 1)]),
    (SearchQuery(text="x", scope="no-such-scope"), ["TEXT", "x"]),
])
def test_a_search_becomes_a_token_list(query, expected):
    assert criteria(query) == expected


def test_hostile_search_text_stays_one_token_each():
    tokens = criteria(SearchQuery(text='a") OR (ALL'))
    assert all(token in ("TEXT",) or isinstance(token, str) for token in tokens)
    assert "ALL" not in tokens[:1]
    assert terms('unbalanced "quote') == ["unbalanced", '"quote']


def test_non_ascii_search_asks_for_utf8():
    assert needs_charset(criteria(SearchQuery(text="Grüße")))
    assert not needs_charset(criteria(SearchQuery(text="hello")))


@pytest.mark.parametrize("text, expected", [
    ("5", [5]), ("1:3", [1, 2, 3]), ("1:3,7", [1, 2, 3, 7]), ("9:7", [7, 8, 9])])
def test_copyuid_sets_expand(text, expected):
    assert expand_uid_set(text) == expected


def _feed_in_chunks(encoding, data, size):
    decoder = _Decoder(encoding)
    out = b"".join(decoder.feed(data[i:i + size]) for i in range(0, len(data), size))
    return out + decoder.finish()


@pytest.mark.parametrize("size", [1, 3, 4, 76, 1000, 10**6])
def test_base64_decodes_the_same_whatever_the_chunk_size(size):
    payload = bytes(range(256)) * 40
    encoded = base64.encodebytes(payload)  # 76-column lines, as in mail
    assert _feed_in_chunks("base64", encoded, size) == payload


@pytest.mark.parametrize("size", [1, 5, 77, 4096])
def test_quoted_printable_decodes_the_same_whatever_the_chunk_size(size):
    text = ("Grüße aus Köln = schön " * 40).encode()
    encoded = quopri.encodestring(text)
    assert _feed_in_chunks("quoted-printable", encoded, size) == text


def test_damaged_base64_still_gives_what_it_can():
    assert _feed_in_chunks("base64", b"QUJD\r\n!!!*\r\nREVG", 3).startswith(b"ABC")


def test_zip_names_are_unique_and_flat():
    names = list(unique_names(["a.txt", "A.txt", "../../etc/passwd", "dir\\x.pdf", "", "a.txt"]))
    assert names == ["a.txt", "A (2).txt", "passwd", "x.pdf", "attachment", "a (3).txt"]


def test_a_streamed_zip_is_a_valid_archive():
    files = [("one.txt", lambda: iter([b"hello ", b"world"])),
             ("two.bin", lambda: iter([bytes(range(256)) * 100]))]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(zip_parts(files))))
    assert archive.read("one.txt") == b"hello world"
    assert archive.read("two.bin") == bytes(range(256)) * 100
