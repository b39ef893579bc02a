"""BODYSTRUCTURE shapes, as imapclient parses them, and what a reader makes of them."""
import pytest
from imapclient.response_types import BodyData

from webmail.imap import structure

PLAIN = BodyData.create((b"text", b"plain", (b"charset", b"utf-8"), None, None, b"7bit", 120, 4,
                         None, None, None, None))
HTML = BodyData.create((b"text", b"html", (b"charset", b"utf-8"), None, None, b"quoted-printable",
                        300, 10, None, None, None, None))
PDF = BodyData.create((b"application", b"pdf", (b"name", b"report.pdf"), None, None, b"base64",
                       5000, None, (b"attachment", (b"filename", b"report.pdf")), None, None))
INLINE_PNG = BodyData.create((b"image", b"png", (b"name", b"logo.png"), b"<logo@x>", None,
                              b"base64", 800, None, (b"inline", (b"filename", b"logo.png")),
                              None, None))
UNNAMED_OCTETS = BodyData.create((b"application", b"octet-stream", None, None, None, b"base64",
                                  40, None, None, None, None))


def multipart(subtype, *parts):
    return BodyData.create(([*parts], subtype, (b"boundary", b"b"), None, None, None))


@pytest.mark.parametrize("shape, expected", [
    (PLAIN, False),
    (multipart(b"alternative", PLAIN, HTML), False),
    (multipart(b"mixed", PLAIN, PDF), True),
    (multipart(b"mixed", multipart(b"alternative", PLAIN, HTML), PDF), True),
    (multipart(b"related", HTML, INLINE_PNG), False),
    (multipart(b"alternative", PLAIN, multipart(b"related", HTML, INLINE_PNG)), False),
    (multipart(b"mixed", PLAIN, UNNAMED_OCTETS), True),
    (None, False),
    ((), False),
])
def test_it_marks_messages_that_have_attachments(shape, expected):
    assert structure.has_attachments(shape) is expected


def test_it_numbers_sections_and_picks_the_plain_text_body():
    parts = structure.leaves(multipart(b"mixed", multipart(b"alternative", PLAIN, HTML), PDF))
    assert [(p.section, p.content_type) for p in parts] == [
        ("1.1", "text/plain"), ("1.2", "text/html"), ("2", "application/pdf")]
    body = structure.body_part(parts)
    assert body.section == "1.1"
    assert [a.filename for a in structure.attachments(parts, body)] == ["report.pdf"]


def test_a_single_part_message_is_section_one():
    parts = structure.leaves(HTML)
    assert [(p.section, p.charset) for p in parts] == [("1", "utf-8")]
    assert structure.body_part(parts).content_type == "text/html"


def test_a_deeply_nested_or_huge_structure_is_cut_without_error():
    node = PLAIN
    for _ in range(200):
        node = multipart(b"mixed", node)
    assert structure.leaves(node) == []
    wide = multipart(b"mixed", *([PDF] * 5000))
    assert len(structure.leaves(wide)) == 2000
