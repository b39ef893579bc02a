"""One fetched part to readable text, whatever its encoding or charset claims."""
import base64

import pytest

from webmail.mime.sanitize import strip_markup
from webmail.mime.text import part_text


def raw(headers, body):
    return headers.encode() + b"\r\n\r\n" + body


@pytest.mark.parametrize("headers, body, content_type, expected", [
    ("Content-Type: text/plain; charset=utf-8", "Grüße".encode(), "text/plain", "Grüße"),
    ("Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable",
     b"Gr=FC=DFe", "text/plain", "Grüße"),
    ("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64",
     base64.b64encode("Привет, мир".encode()), "text/plain", "Привет, мир"),
    ("Content-Type: text/plain; charset=x-no-such-charset", b"caf\xc3\xa9", "text/plain", "café"),
    ("Content-Type: text/plain; charset=utf-8", b"bad \xff bytes", "text/plain",
     "bad \ufffd bytes"),
    ("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64",
     b"!!not*base64", "text/plain", None),
    ("Content-Type: text/html; charset=utf-8",
     b"<p>Hello <b>there</b></p><script>alert(1)</script><p>bye &amp; thanks</p>", "text/html",
     "Hello there\nbye & thanks"),
])
def test_it_turns_a_part_into_text_and_never_raises(headers, body, content_type, expected):
    text = part_text(raw(headers, body), content_type)
    assert isinstance(text, str)
    if expected is not None:
        assert text.strip() == expected


@pytest.mark.parametrize("markup", [
    "<img src=x onerror=alert(1)>visible",
    "<svg><script>alert(1)</script></svg>visible",
    "<style>body{}</style>visible",
    "<a href='javascript:alert(1)'>visible</a>",
])
def test_html_reduced_to_text_keeps_no_markup(markup):
    text = strip_markup(markup)
    assert text == "visible"
