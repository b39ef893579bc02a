"""Hostile and broken mail within Heron's budgets: what fits is shown, the rest is named.

Each shape is built here. Nothing is timed (speed lives in `make bench`); the tests assert
the budget's effect instead: the text shown, the notice, the counts capped, no exception.
"""
import base64
import html

import pytest
from django.template.loader import render_to_string
from imapclient.response_types import BodyData

from webmail.imap import parse, structure
from webmail.imap.types import Address, Message, Part
from webmail.mime import headers
from webmail.mime.display import show_body
from webmail.mime.text import enriched_to_text, loose_text, mime_filename, part_text

TOP = b"From: a@b.example\r\nTo: alice@heron.test\r\nSubject: %s\r\nMIME-Version: 1.0\r\n"


def top(subject):
    return TOP % subject.encode()


def many_params(count):
    return b"".join(b";\r\n p%d=v%d" % (n, n) for n in range(count))


def nested_multipart(depth, text=b"deep text"):
    return top(f"deep {depth}") + b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (n, n)
        for n in range(depth)) + b"Content-Type: text/plain\r\n\r\n" + text + b"\r\n"


def nested_rfc822(depth, text=b"rfc822 deep text"):
    return top(f"rfc822 {depth}") + b"".join(
        b"Content-Type: message/rfc822\r\n\r\nSubject: level %d\r\n" % n
        for n in range(depth)) + b"Content-Type: text/plain\r\n\r\n" + text + b"\r\n"


def siblings(count):
    return (top("many") + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
            + b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % n
                       for n in range(count)) + b"--b--\r\n")


def rfc2231_segments(count):
    segments = b"".join(b"\r\n filename*%d*=utf-8''caf%%C3%%A9%d;" % (n, n) if n == 0
                        else b"\r\n filename*%d*=-%d;" % (n, n) for n in range(count))
    return b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment;" + segments


def encoded_subject(words):
    return b"Subject: " + b"\r\n ".join([b"=?utf-8?q?caf=C3=A9_?="] * words)


# Whole messages whose text Heron must show when their structure is broken; Dovecot and
# Cyrus describe these with an empty or cut BODYSTRUCTURE (tests/integration checks that).
BROKEN = {
    "boundary never appears": (
        top("never") + b'Content-Type: multipart/mixed; boundary="never"\r\n\r\n'
        b"the text of a broken multipart\r\n", "the text of a broken multipart"),
    "empty boundary": (
        top("empty boundary") + b'Content-Type: multipart/mixed; boundary=""\r\n\r\n'
        b"--\r\nContent-Type: text/plain\r\n\r\ntext under an empty boundary\r\n----\r\n",
        "text under an empty boundary"),
    "nested 100 deep": (nested_multipart(100), "deep text"),
    "nested 200 deep": (nested_multipart(200), "deep text"),
    "nested 1,000 deep": (nested_multipart(1000), "deep text"),
    "message/rfc822 100 deep": (nested_rfc822(100), "rfc822 deep text"),
    "message/rfc822 1,000 deep": (nested_rfc822(1000), "rfc822 deep text"),
    "html inline in multipart/mixed": (
        top("html") + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/html\r\n\r\n<p>Hello <b>html</b></p><script>alert(1)</script>\r\n"
        b"--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"iVBORw0KGgo=\r\n--b--\r\n", "Hello html"),
    "base64 text in a broken part": (
        top("b64") + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode("Grüße aus Köln".encode()) + b"\r\n", "Grüße aus Köln"),
    "bare CR line ends": (
        (top("cr") + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r"
         b"Content-Type: text/plain\r\rline one\rline two\r--b--\r").replace(b"\r\n", b"\r"),
        "line one\nline two"),
    "enriched in a broken part": (
        top("enriched") + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/enriched\r\n\r\n<bold>Bold</bold> <<move>\r\n",
        "Bold <move>"),
}


@pytest.mark.parametrize("raw, expected", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_structure_still_shows_the_text_it_carries(raw, expected):
    assert loose_text(raw).strip() == expected


@pytest.mark.parametrize("raw", [
    top("empty") + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b--\r\n",
    top("headers only"),
    b"",
    b"\x00\x00\r\n\r\n\x00",
], ids=["empty multipart", "headers only", "nothing", "NUL bytes only"])
def test_a_message_without_text_shows_nothing_and_never_raises(raw):
    assert loose_text(raw).strip("\x00\n ") == ""


def test_ten_thousand_sibling_parts_read_loosely_keep_their_text_in_order():
    text = loose_text(siblings(10_000))
    assert text.startswith("part 0\n\npart 1\n\n") and text.endswith("part 9999")


# --- the header budget ------------------------------------------------------------------

@pytest.mark.parametrize("header, content_type, expected", [
    (b"Content-Type: text/plain; charset=utf-8" + many_params(30_000), "text/plain",
     "hello"),
    (b"Subject: " + b"x" * 1_000_000 + b"\r\nContent-Type: text/plain", "text/plain",
     "hello"),
    (encoded_subject(45_000) + b"\r\nContent-Type: text/plain", "text/plain", "hello"),
    (b"Content-Type: text/plain; charset=x-no-such-charset", "text/plain", "hello"),
    (b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64", "text/plain", None),
    (b"Content-Type: text/enriched", "text/enriched", "hello"),
    (b"X-Junk: a\r\n" * 50_000 + b"Content-Type: text/plain; charset=utf-8", "text/plain",
     "hello"),
], ids=["30,000 parameters", "1 MB header line", "45,000 encoded-words",
        "invalid charset", "base64 garbage", "text/enriched", "50,000 header fields"])
def test_a_hostile_header_is_bounded_and_the_part_still_reads(header, content_type,
                                                               expected):
    body = b"!!*&^%$ not base64 \x00" if expected is None else b"<bold>hello</bold>" if (
        content_type == "text/enriched") else b"hello"
    text = part_text(header + b"\r\n\r\n" + body, content_type)
    assert isinstance(text, str)
    if expected is not None:
        assert text.strip() == expected


def test_the_header_budget_keeps_the_first_parameters_and_the_content_fields():
    header = (b"Subject: " + b"y" * 1_000_000 + b"\r\nContent-Type: text/plain; charset=utf-8"
              + many_params(30_000) + b"\r\nContent-Transfer-Encoding: base64")
    bounded = headers.bounded_header(header)
    fields = bounded.split(b"\r\n")
    assert fields[0].startswith(b"Subject: yyy") and len(fields[0]) <= headers.MAX_FIELD_BYTES
    assert bounded.count(b";") == headers.MAX_PARAMS
    assert b"charset=utf-8" in bounded and bounded.endswith(b"Content-Transfer-Encoding: base64")
    small = b"Content-Type: text/plain; charset=utf-8\r\nSubject: hi"
    assert headers.bounded_header(small) == small


@pytest.mark.parametrize("value, limit, expected", [
    ("=?utf-8?q?caf=C3=A9?= =?utf-8?q?=C3", 25, "=?utf-8?q?caf=C3=A9?= "),
    ("=?utf-8?q?caf=C3=A9?=", 19, ""),
    ("plain words", 5, "plain"),
    ("short", 100, "short"),
])
def test_an_encoded_value_is_cut_outside_its_encoded_words(value, limit, expected):
    assert headers.cut_words(value, limit) == expected


@pytest.mark.parametrize("raw", [
    b" ".join([b"=?utf-8?q?caf=C3=A9_?="] * 45_000),
    b" ".join([b"=?utf-8?b?Y2Fmw6k=?="] * 50_000),
    b"=?x-no-such?q?abc?= " * 50_000,
], ids=["quoted-printable", "base64", "unknown charset"])
def test_a_huge_encoded_subject_is_cut_before_it_is_decoded(raw):
    decoded = parse.decode_words(raw)
    assert 0 < len(decoded) <= headers.MAX_ENCODED


def test_a_file_name_of_thousands_of_rfc2231_segments_is_read_within_the_budget():
    name = mime_filename(rfc2231_segments(5000))
    assert name.startswith("café0-1-2")
    assert len(name) < headers.MAX_FIELD_BYTES


# --- the BODYSTRUCTURE walk ---------------------------------------------------------------

PLAIN = BodyData.create((b"text", b"plain", (b"charset", b"utf-8"), None, None, b"7bit", 12, 1,
                         None, None, None, None))
EMPTY = BodyData.create((b"text", b"plain", (b"charset", b"us-ascii"), None, None, b"7bit", 0,
                         0, None, None, None, None))
ENRICHED = BodyData.create((b"text", b"enriched", None, None, None, b"7bit", 60, 2, None, None,
                            None, None))
RFC822 = BodyData.create((b"message", b"rfc822", None, None, None, b"7bit", 5104, None, None,
                          None, None, None))


def multipart(*parts, subtype=b"mixed"):
    return BodyData.create(([*parts], subtype, (b"boundary", b"b"), None, None, None))


def deep(levels):
    node = PLAIN
    for _ in range(levels):
        node = multipart(node)
    return node


@pytest.mark.parametrize("shape, single, parts, total, too_deep, broken", [
    (multipart(*[PLAIN] * 10_000), False, structure.MAX_PARTS, 10_000, 0, False),
    (deep(100), False, 0, 0, 1, True),
    (deep(1000), False, 0, 0, 1, True),
    (deep(structure.MAX_DEPTH), False, 1, 1, 0, False),
    (multipart(EMPTY), False, 1, 1, 0, True),  # a boundary that never appears
    (EMPTY, True, 1, 1, 0, False),  # headers only: nothing to show, nothing broken
    (RFC822, True, 1, 1, 0, True),  # the text is in the attached message
    (None, True, 0, 0, 0, True),  # no structure at all
    (ENRICHED, True, 1, 1, 0, False),
], ids=["10,000 siblings", "100 deep", "1,000 deep", "at the depth limit",
        "boundary never appears", "headers only", "message/rfc822 only", "no structure",
        "text/enriched"])
def test_the_walk_keeps_what_fits_and_counts_the_rest(shape, single, parts, total, too_deep,
                                                      broken):
    walked = structure.walk(shape)
    assert (len(walked.parts), walked.total, walked.too_deep) == (parts, total, too_deep)
    body = structure.body_part(walked.parts)
    assert structure.is_broken(walked.parts, walked.too_deep, body, single) is broken


def test_text_enriched_is_a_body_not_an_attachment():
    parts = structure.leaves(multipart(ENRICHED, RFC822))
    body = structure.body_part(parts)
    assert body.content_type == "text/enriched"
    assert [p.content_type for p in structure.attachments(parts, body)] == ["message/rfc822"]


def test_bodystructure_parameters_are_bounded():
    params = tuple(x for n in range(30_000) for x in (b"p%d" % n, b"v%d" % n))
    node = BodyData.create((b"text", b"plain", (b"charset", b"utf-8") + params, None, None,
                            b"7bit", 5, 1, None, None, None, None))
    segments = tuple(x for n in range(5000) for x in (b"filename*%d" % n, b"x" * 10))
    attached = BodyData.create((b"application", b"pdf", None, None, None, b"base64", 5, None,
                                (b"attachment", segments), None, None))
    words = BodyData.create((b"application", b"pdf", (b"name", b" ".join(
        [b"=?utf-8?q?caf=C3=A9?="] * 50_000)), None, None, b"base64", 5, None, None, None))
    first, second, third = structure.leaves(multipart(node, attached, words))
    assert first.charset == "utf-8"
    assert second.filename == "x" * 10 * headers.MAX_PARAMS
    assert third.filename.startswith("café") and len(third.filename) <= headers.MAX_ENCODED


def fetch_line(structure_text, uid=7):
    return b"1 (UID %d BODYSTRUCTURE %s)" % (uid, structure_text)


@pytest.mark.parametrize("lines, expected_too_deep", [
    ([fetch_line(b"(" * 1000 + b'"text" "plain" NIL NIL NIL "7bit" 9 1'
                 + b') "mixed" ("boundary" "b")' * 999 + b' "mixed")')], 1),
    ([fetch_line(b'("message" "rfc822" NIL NIL NIL "7bit" 99 (NIL "s" NIL NIL NIL NIL NIL NIL'
                 b" NIL NIL) " * 1000 + b'("text" "plain" NIL NIL NIL "7bit" 9 1)'
                 + b" 1)" * 1000)], 0),
    ([(fetch_line(b"(" * 300 + b'"text" "plain" ("name" {3}')[:-1], b"a)("),
      b') NIL NIL "7bit" 9 1' + b') "mixed"' * 299 + b"))"], 1),
    ([fetch_line(b'(("text" "plain" ("name" "' + b"(" * 500 + b'\\"") NIL NIL "7bit" 9 1)'
                 b' "mixed")')], 0),
], ids=["1,000 deep multipart", "1,000 deep message/rfc822", "a literal in a cut group",
        "parentheses in a quoted string"])
def test_imapclient_never_sees_a_structure_deeper_than_it_can_parse(lines, expected_too_deep):
    answer = structure.fetch_response(lines, False, True)
    walked = structure.walk(answer[7][b"BODYSTRUCTURE"])
    assert walked.too_deep == expected_too_deep


def test_a_shallow_answer_is_handed_on_untouched():
    lines = [fetch_line(b'("text" "plain" ("name" "' + b"(" * 500 + b'") NIL NIL "7bit" 9 1)'),
             b"2 (UID 8 FLAGS ())"]
    assert structure.cut_nesting(lines) is lines


# --- what the page shows ------------------------------------------------------------------

def message(raw, body, loose=False, **extra):
    fields = dict(uid=1, mailbox="INBOX", subject="s", sender=Address("", "a@b.example"),
                  to=(), cc=(), reply_to=(), date=None, size=len(raw), flags=(), body=body,
                  body_raw=raw, body_truncated=False, attachments=(), loose=loose)
    return Message(**{**fields, **extra})


def text_part(content_type="text/plain", charset=""):
    return Part("1", content_type, "", 10, "7bit", charset, "")


@pytest.mark.parametrize("raw, expected", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_message_shows_its_text_and_says_so(raw, expected):
    shown = show_body(message(raw, structure.whole_text(len(raw)), loose=True, too_deep=1))
    assert not shown.is_html
    assert html.escape(expected.split("\n")[0]) in shown.html
    assert "<script" not in shown.html
    assert shown.notices == ("This message's structure is broken or nested too deeply to "
                             "follow; the text it carries is shown as it is.",)


@pytest.mark.parametrize("raw, content_type, expected", [
    (b"Content-Type: text/enriched\r\n\r\n<bold>Hello</bold>\r\n<italic>world</italic> <<3",
     "text/enriched", "Hello world &lt;3"),
    (b"Content-Type: text/plain\r\n\r\nnul\x00here", "text/plain", "nul\x00here"),
    (b"Content-Type: text/plain\r\rline1\rline2", "text/plain", "line1"),
    (b"Content-Type: text/plain; charset=x-nope\r\n\r\ncaf\xe9", "text/plain", "caf\ufffd"),
    (b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!*&\r\nQUJD",
     "text/plain", "ABC"),
    (b"Content-Type: text/plain; charset=utf-8" + many_params(30_000) + b"\r\n\r\nhello",
     "text/plain", "hello"),
], ids=["text/enriched", "NUL bytes", "bare CR", "invalid charset", "base64 garbage",
        "30,000 parameters"])
def test_an_odd_single_part_shows_as_text(raw, content_type, expected):
    shown = show_body(message(raw, text_part(content_type)))
    assert expected in shown.html and shown.notices == ()


def test_an_html_part_is_still_sanitized_within_the_budget():
    raw = (b"Content-Type: text/html" + many_params(30_000)
           + b"\r\n\r\n<p>Hi</p><script>alert(1)</script><img src=x onerror=alert(1)>")
    shown = show_body(message(raw, text_part("text/html")))
    assert shown.is_html and "Hi" in shown.html
    assert "<script" not in shown.html and "onerror" not in shown.html


def test_the_page_names_what_was_left_out():
    parts = tuple(Part(str(n), "text/plain", "", 5, "7bit", "", "")
                  for n in range(1, structure.MAX_PARTS + 1))
    shown_message = message(b"Content-Type: text/plain\r\n\r\npart 0", parts[0],
                            parts_total=10_000, too_deep=2, parts=parts,
                            attachments=parts[1:])
    shown = show_body(shown_message)
    page = render_to_string("webmail/_message_view.html",
                            {"message": shown_message, "body": shown})
    assert "This message has more parts than Heron shows (10000); the first 2000 are listed" \
        in page
    assert "nested deeper than Heron follows; they are left out." in page
    assert "part 0" in page


def test_enriched_text_drops_commands_and_parameters():
    assert enriched_to_text(
        "<bold>Now</bold> <color><param>red</param>see</color>\r\n\r\n"
        "<nofill>a\nb</nofill> <<x>") == "Now see\na\nb <x>"


# --- inline parts in a row -----------------------------------------------------------------

HTML = BodyData.create((b"text", b"html", (b"charset", b"utf-8"), None, None, b"7bit", 30, 1,
                        None, None, None, None))
PDF = BodyData.create((b"application", b"pdf", (b"name", b"a.pdf"), None, None, b"base64", 50,
                       None, (b"attachment", (b"filename", b"a.pdf")), None, None))


@pytest.mark.parametrize("shape, sections", [
    (multipart(PLAIN, HTML, PLAIN), ["1", "2", "3"]),
    (multipart(HTML, PDF), []),  # one inline part: the body, as before
    (multipart(multipart(PLAIN, HTML, subtype=b"alternative"), PDF), []),
    (multipart(multipart(PLAIN, HTML, subtype=b"alternative"), PLAIN), ["1.2", "2"]),
    (multipart(PLAIN, multipart(PLAIN, PLAIN, subtype=b"alternative")), ["1", "2.1"]),
    (multipart(PLAIN, ENRICHED, PDF, PLAIN), ["1", "2", "4"]),
    (multipart(*[PLAIN] * 10_000), [str(n) for n in range(1, structure.MAX_SHOWN_PARTS + 1)]),
], ids=["text, html, text", "html and a file", "alternative and a file",
        "alternative then text", "text then a text-only alternative",
        "text, enriched, file, text", "10,000 siblings"])
def test_inline_parts_are_shown_in_a_row_as_a_mail_client_shows_them(shape, sections):
    assert [p.section for p in structure.inline_sequence(structure.leaves(shape))] == sections


def test_renderings_of_an_alternative_in_a_row_are_not_offered_as_files():
    alternative = multipart(PLAIN, HTML, subtype=b"alternative")
    parts = structure.leaves(multipart(alternative, alternative, PDF))
    sequence = structure.inline_sequence(parts)
    assert [p.section for p in sequence] == ["1.2", "2.2"]
    assert [p.section for p in structure.attachments(parts, sequence)] == ["3"]


def test_text_and_html_parts_in_a_row_are_each_sanitized_and_all_shown():
    first = b"Content-Type: text/plain\r\n\r\nfirst <text>"
    shown = show_body(message(
        first, text_part(),
        more=(Part("2", "text/html", "", 5, "7bit", "", ""), text_part()),
        more_raw=(b"Content-Type: text/html\r\n\r\n<p>second</p><script>alert(1)</script>"
                  b"<img src=https://t.example/a.gif><style>p{color:red}",
                  b"Content-Type: text/plain\r\n\r\nthird")))
    assert shown.is_html and shown.remote_blocked == 1
    assert shown.html.index("first &lt;text&gt;") < shown.html.index("second") < (
        shown.html.index("third"))
    assert "<script" not in shown.html and "t.example" not in shown.html


def test_text_parts_in_a_row_stay_text():
    shown = show_body(message(b"Content-Type: text/plain\r\n\r\none", text_part(),
                              more=(text_part("text/enriched"),),
                              more_raw=(b"Content-Type: text/enriched\r\n\r\n<bold>two</bold>",)))
    assert not shown.is_html and shown.html == "one\n\ntwo"


@pytest.mark.parametrize("raw, expected", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_message_read_as_one_part_gives_its_loose_text(raw, expected):
    # What a reply quotes of a message whose structure is broken (writing.py reads the
    # body with part_text).
    assert part_text(raw, "text/plain").strip() == expected


@pytest.mark.parametrize("field", [b"Content-Type", b"Content-Disposition",
                                   b"Content-Transfer-Encoding", b"From", b"To"])
def test_comments_nested_a_thousand_deep_are_cut_before_parsing(field):
    from webmail.mime.headers import MAX_COMMENT_DEPTH, bounded_message
    from webmail.mime.text import mime_filename, part_text

    header = field + b": text/plain (" + b"(" * 1000 + b"x" + b")" * 1001
    raw = header + b"\r\n\r\nhello nested\r\n"
    bounded = bounded_message(raw)
    assert bounded.count(b"(") <= MAX_COMMENT_DEPTH
    assert "hello nested" in part_text(raw, "text/plain", "utf-8")
    assert mime_filename(header) == ""
