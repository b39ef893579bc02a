"""The one line of text a list row shows after the subject: from the server's PREVIEW, or
from the start of the message's text; plain, short and harmless whatever the mail holds."""
import base64

import pytest

from webmail.imap.summary import TEXT_START, summary_fields, summary_from
from webmail.mime.snippet import SNIPPET_CHARS, message_snippet, snippet


def mail(body, content_type="text/plain; charset=utf-8", encoding="7bit"):
    return (f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n"
            .encode() + body)


ALTERNATIVE = (b"Content-Type: multipart/alternative; boundary=b1\r\n\r\n"
               b"This is a multi-part message in MIME format.\r\n--b1\r\n"
               b"Content-Type: text/plain\r\n\r\nPlain words\r\n--b1\r\n"
               b"Content-Type: text/html\r\n\r\n<p>Html words</p>\r\n--b1--\r\n")
PICTURE_FIRST = (b"Content-Type: multipart/mixed; boundary=b2\r\n\r\n--b2\r\n"
                 b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                 b"iVBORw0KGgo=\r\n--b2\r\nContent-Type: text/plain\r\n\r\n"
                 b"After the picture\r\n--b2--\r\n")
ONLY_A_FILE = (b"Content-Type: multipart/mixed; boundary=b3\r\n\r\n--b3\r\n"
               b"Content-Type: application/pdf\r\nContent-Disposition: attachment\r\n\r\n"
               b"%PDF-1.4 binary\r\n--b3--\r\n")

CASES = {
    "plain": (mail(b"Hi Ann,\r\n\r\nthe   figures\tare in.\r\n"), "Hi Ann, the figures are in."),
    "html without style or script": (mail(
        b"<html><head><style>p{color:red}</style><title>T</title></head><body>"
        b"<p>Hello <b>there</b></p><script>alert(1)</script><p>Bye</p></body></html>",
        "text/html; charset=utf-8"), "Hello there Bye"),
    "base64": (mail(base64.encodebytes("Grüße aus Köln".encode()), encoding="base64"),
               "Grüße aus Köln"),
    "base64 cut mid-line": (mail(base64.encodebytes(b"Long enough to cut " * 9)[:101],
                                 encoding="base64"), " ".join(["Long enough to cut"] * 4)),
    "quoted-printable": (mail(b"caf=C3=A9 cr=C3=A8me", encoding="quoted-printable"),
                         "café crème"),
    "latin-1": (mail("Señor".encode("latin-1"), "text/plain; charset=iso-8859-1"), "Señor"),
    "an unknown charset": (mail(b"caf\xe9 ok", "text/plain; charset=x-no-such"), "caf ok"),
    "lying utf-8": (mail(b"caf\xe9 ok \xff\xfe end"), "caf ok end"),
    "NUL, escapes, bidi": (mail("a\x00b\x1b[31mc\u202e d\u200b".encode()), "a b [31mc d"),
    "quoted lines": (mail(b"> what you said\r\n>> before\r\nmy answer"), "my answer"),
    "alternative without its preamble": (ALTERNATIVE, "Plain words"),
    "text after a picture": (PICTURE_FIRST, "After the picture"),
    "only a file": (ONLY_A_FILE, ""),
    "nothing": (b"", ""),
    "no header": (b"\r\n\r\nJust text", "Just text"),
    "html cut inside a tag": (mail(b'<div>Dear reader</div><a href="javascript:alert(1)',
                                   "text/html"), "Dear reader"),
    "broken structure": (b"Content-Type: multipart/mixed\r\n\r\nno boundary at all", ""),
}


@pytest.mark.parametrize("raw, expected", CASES.values(), ids=CASES.keys())
def test_a_snippet_is_the_plain_start_of_the_text(raw, expected):
    assert message_snippet(raw) == expected


def test_a_huge_text_is_cut_to_one_short_line_at_a_word():
    found = message_snippet(mail(b"word " * 2_000_000))
    assert len(found) <= SNIPPET_CHARS + 1 and found.endswith("word…")
    assert snippet("x" * 10_000) == "x" * SNIPPET_CHARS + "…"


def test_deep_nesting_gives_a_snippet_or_none_but_never_an_error():
    raw = b"Content-Type: multipart/mixed; boundary=a\r\n\r\n" + b"".join(
        b"--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n" for _ in range(3000))
    assert message_snippet(raw) == ""


def test_markup_in_plain_text_stays_text_for_the_template_to_escape():
    assert snippet("<script>alert(1)</script> & <b>") == "<script>alert(1)</script> & <b>"


@pytest.mark.parametrize("hostile", [None, 42, b"bytes"])
def test_what_is_not_text_gives_no_snippet(hostile):
    assert snippet(hostile) == ""


def test_fetch_asks_preview_where_the_server_has_it_and_the_start_of_the_text_elsewhere():
    assert "PREVIEW" in summary_fields(True)
    assert not any(item.startswith("BODY.PEEK") for item in summary_fields(True))
    assert f"BODY.PEEK[TEXT]<0.{TEXT_START}>" in summary_fields(False)
    assert "PREVIEW" not in summary_fields(False)


FETCHED = {
    "preview": ({b"PREVIEW": b"Hi Alice,  Happy to\r\njump on a call"},
                "Hi Alice, Happy to jump on a call"),
    "preview NIL": ({b"PREVIEW": None}, ""),
    "preview not UTF-8": ({b"PREVIEW": "caf\xe9 ok".encode("latin-1")}, "caf ok"),
    "text start, quoted field names": (
        {b'BODY[HEADER.FIELDS ("CONTENT-TYPE" "CONTENT-TRANSFER-ENCODING")]':
         b"Content-Type: text/html\r\n\r\n", b"BODY[TEXT]<0>": b"<p>Hello<br>you</p>"},
        "Hello you"),
    "text start without a header": (
        {b"BODY[HEADER.FIELDS (CONTENT-TYPE CONTENT-TRANSFER-ENCODING)]": None,
         b"BODY[TEXT]<0>": b"Just text"}, "Just text"),
    "neither": ({}, ""),
}


@pytest.mark.parametrize("item, expected", FETCHED.values(), ids=FETCHED.keys())
def test_a_summary_carries_the_snippet_of_its_fetch(item, expected):
    assert summary_from(7, {b"FLAGS": (), b"RFC822.SIZE": 10, **item}).snippet == expected
