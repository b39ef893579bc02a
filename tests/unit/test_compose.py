"""Writing mail: typed recipients, replies and forwards, and the message that goes out."""
import io
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.headerregistry import Address

import pytest

from webmail.mime.compose import (
    MAX_ADDRESSES,
    AddressError,
    Outgoing,
    OutgoingFile,
    build_message,
    format_addresses,
    html_to_text,
    message_bytes,
    parse_addresses,
)
from webmail.mime.reply import (
    attribution,
    forward_html_block,
    forward_subject,
    forward_text_block,
    quote_html,
    quote_text,
    reply_recipients,
    reply_subject,
    threading_headers,
)

ALICE = Address("Alice", "alice", "heron.test")
BOB = Address("Bob", "bob", "x.org")
CAROL = Address("Carol", "carol", "y.org")
DAVE = Address("Dave", "dave", "z.org")
LIST = Address("Heron list", "list", "lists.example")


# Typed recipients ------------------------------------------------------------------------

def pairs(addresses):
    return [(a.display_name, a.addr_spec) for a in addresses]


@pytest.mark.parametrize("typed, expected", [
    ("", []),
    ("  \r\n , ; ", []),
    ("bob@x.org", [("", "bob@x.org")]),
    ("Bob Smith <bob@x.org>", [("Bob Smith", "bob@x.org")]),
    ('"Smith, Bob" <bob@x.org>, carol@y.org',
     [("Smith, Bob", "bob@x.org"), ("", "carol@y.org")]),
    ("a@x.org; b@y.org\r\nc@z.org\nd@w.org",
     [("", "a@x.org"), ("", "b@y.org"), ("", "c@z.org"), ("", "d@w.org")]),
    ("Jörg Müller <joerg@bücher.de>", [("Jörg Müller", "joerg@bücher.de")]),
    ("山田 太郎 <taro@example.jp>", [("山田 太郎", "taro@example.jp")]),
    ("=?utf-8?q?J=C3=B6rg?= <j@x.de>", [("Jörg", "j@x.de")]),
    ("<bob@x.org>", [("", "bob@x.org")]),
    ("first.last+tag@sub.x.org", [("", "first.last+tag@sub.x.org")]),
    ("Bob <bob@x.org>, BOB@X.ORG, Other <Bob@x.org>", [("Bob", "bob@x.org")]),
])
def test_it_reads_the_recipients_as_typed(typed, expected):
    assert pairs(parse_addresses(typed)) == expected


@pytest.mark.parametrize("typed, named", [
    ("bob@", '"bob@"'),
    ("@x.org", '"@x.org"'),
    ("bob", '"bob"'),
    ("bob smith@x.org", '"bob smith@x.org"'),
    ("bob@x..org", '"bob@x..org"'),
    ("bob@-x.org", '"bob@-x.org"'),
    ("a@b@c.org", '"a@b@c.org"'),
    ("bob@[127.0.0.1]", '"bob@[127.0.0.1]"'),
    ('"bob smith"@x.org', '""bob smith"@x.org"'),
    ("good@x.org, bad@", '"bad@"'),
    ("bob@x.org\r\nBcc: eve@evil.org", '"Bcc: eve@evil.org"'),
    ("Bcc: eve@evil.org", '"Bcc: eve@evil.org"'),
    ("bob@x.org\x00", '"bob@x.org\ufffd"'),
    ("=?utf-8?q?Bob=0D=0ABcc:_eve@evil.org?= <bob@x.org>", "=?utf-8?q?Bob"),
    ("jörg@x.de", '"jörg@x.de"'),
    ("x" * 400 + "@x.org", "too long"),
    ("(" * 300 + "bob@x.org", "not a valid"),
])
def test_it_refuses_an_address_it_cannot_send_to_and_names_it(typed, named):
    with pytest.raises(AddressError) as refused:
        parse_addresses(typed)
    assert named in str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_it_takes_up_to_the_limit_of_recipients_and_refuses_more():
    many = ", ".join(f"user{n}@x.org" for n in range(MAX_ADDRESSES))
    assert len(parse_addresses(many)) == MAX_ADDRESSES
    with pytest.raises(AddressError, match="At most 500"):
        parse_addresses(many + ", one-more@x.org")


def test_recipients_written_back_into_the_form_read_the_same():
    typed = ('"Smith, Bob" <bob@x.org>, Jörg Müller <joerg@bücher.de>, carol@y.org, '
             '"Quote \\"Q\\" Person" <q@x.org>')
    addresses = parse_addresses(typed)
    assert parse_addresses(format_addresses(addresses)) == addresses
    assert format_addresses(addresses[:2]) == (
        '"Smith, Bob" <bob@x.org>, Jörg Müller <joerg@bücher.de>')


# Subjects -------------------------------------------------------------------------------

@pytest.mark.parametrize("original, reply, forward", [
    ("Lunch", "Re: Lunch", "Fwd: Lunch"),
    ("Re: Lunch", "Re: Lunch", "Fwd: Re: Lunch"),
    ("Re: Re: Lunch", "Re: Lunch", "Fwd: Re: Re: Lunch"),
    ("RE: AW: SV: Antw: Lunch", "Re: Lunch", "Fwd: RE: AW: SV: Antw: Lunch"),
    ("Re[3]: Lunch", "Re: Lunch", "Fwd: Re[3]: Lunch"),
    ("Re:Lunch", "Re: Lunch", "Fwd: Re:Lunch"),
    ("Fwd: Lunch", "Re: Fwd: Lunch", "Fwd: Lunch"),
    ("Fw: Fwd: Lunch", "Re: Fw: Fwd: Lunch", "Fwd: Lunch"),
    ("Re: Fwd: Lunch", "Re: Fwd: Lunch", "Fwd: Re: Fwd: Lunch"),
    ("[heron] Re: Lunch", "Re: [heron] Re: Lunch", "Fwd: [heron] Re: Lunch"),
    ("Regarding lunch", "Re: Regarding lunch", "Fwd: Regarding lunch"),
    ("  Lunch \r\n plans ", "Re: Lunch plans", "Fwd: Lunch plans"),
    ("", "Re:", "Fwd:"),
    ("Re:", "Re:", "Fwd: Re:"),
])
def test_reply_and_forward_subjects_do_not_pile_up_prefixes(original, reply, forward):
    assert reply_subject(original) == reply
    assert forward_subject(original) == forward


# Who a reply goes to ---------------------------------------------------------------------

OWN = {"alice@heron.test", "alice.work@heron.test"}


def recipients(reply_all, *, from_=(BOB,), reply_to=(), to=(ALICE,), cc=()):
    found_to, found_cc = reply_recipients(from_=from_, reply_to=reply_to, to=to, cc=cc,
                                          own_addresses=OWN, reply_all=reply_all)
    return [a.addr_spec for a in found_to], [a.addr_spec for a in found_cc]


@pytest.mark.parametrize("reply_all, original, expected", [
    (False, {}, (["bob@x.org"], [])),
    (True, {}, (["bob@x.org"], [])),
    (False, {"reply_to": (LIST,)}, (["list@lists.example"], [])),
    (True, {"to": (ALICE, CAROL), "cc": (DAVE,)},
     (["bob@x.org"], ["carol@y.org", "dave@z.org"])),
    (True, {"reply_to": (LIST,), "to": (LIST, ALICE), "cc": (BOB,)},
     (["list@lists.example"], ["bob@x.org"])),
    (True, {"to": (Address("A", "ALICE", "Heron.Test"), CAROL),
            "cc": (Address("", "alice.work", "heron.test"), CAROL, BOB)},
     (["bob@x.org"], ["carol@y.org"])),
    (False, {"from_": (ALICE,), "to": (BOB, CAROL), "cc": (DAVE,)},
     (["bob@x.org", "carol@y.org"], [])),
    (True, {"from_": (ALICE,), "to": (BOB, ALICE), "cc": (DAVE, BOB)},
     (["bob@x.org"], ["dave@z.org"])),
    (True, {"from_": (ALICE,), "to": (ALICE,)}, (["alice@heron.test"], [])),
])
def test_replies_go_to_the_right_people_and_never_to_the_user(reply_all, original, expected):
    assert recipients(reply_all, **original) == expected


def test_it_keeps_a_reply_in_its_thread():
    assert threading_headers("<b@x.org>", ("<a@x.org>",)) == (
        "<b@x.org>", ("<a@x.org>", "<b@x.org>"))
    assert threading_headers("b@x.org", ()) == ("<b@x.org>", ("<b@x.org>",))
    assert threading_headers("<b@x.org>", ("<a@x.org>", "<b@x.org>", "<a@x.org>")) == (
        "<b@x.org>", ("<a@x.org>", "<b@x.org>"))
    assert threading_headers(None, ("<a@x.org>",)) == (None, ("<a@x.org>",))
    assert threading_headers("<b@x.org>\r\nBcc: eve@evil.org", ("not an id", "<a b@x>")) == (
        None, ())


def test_long_threads_keep_the_root_and_the_latest_references():
    references = tuple(f"<{n}@x.org>" for n in range(30))
    in_reply_to, kept = threading_headers("<last@x.org>", references)
    assert in_reply_to == "<last@x.org>"
    assert len(kept) == 20
    assert kept[0] == "<0@x.org>"
    assert kept[1:] == references[12:] + ("<last@x.org>",)


# Quoting --------------------------------------------------------------------------------

def test_the_quote_says_who_wrote_it_and_when():
    when = datetime(2026, 11, 23, 10, 4, tzinfo=timezone(timedelta(hours=1)))
    assert attribution(when, "Bob Smith <bob@x.org>") == (
        "On Mon, 23 Nov 2026 at 10:04, Bob Smith <bob@x.org> wrote:")
    assert attribution(None, "bob@x.org") == "bob@x.org wrote:"


@pytest.mark.parametrize("text, quoted", [
    ("Hello\nthere", "> Hello\n> there"),
    ("> earlier\nnow", ">> earlier\n> now"),
    ("one\n\ntwo\n", "> one\n>\n> two"),
    ("a\r\nb", "> a\n> b"),
    ("", ""),
])
def test_quoted_replies_mark_every_line(text, quoted):
    assert quote_text(text) == quoted


def test_an_html_quote_cites_the_original_under_its_attribution():
    assert quote_html("<p>Hi</p>", "Bob <bob@x.org> wrote:") == (
        '<p>Bob &lt;bob@x.org&gt; wrote:</p><blockquote type="cite"><p>Hi</p></blockquote>')


def test_a_forward_shows_the_original_headers_above_its_text():
    headers = {"To": "Alice <alice@heron.test>", "Subject": "Lunch", "Cc": "",
               "From": "Bob <bob@x.org>", "Date": "Mon, 23 Nov 2026 10:04"}
    assert forward_text_block(headers, "See you.") == (
        "---------- Forwarded message ----------\n"
        "From: Bob <bob@x.org>\nDate: Mon, 23 Nov 2026 10:04\nSubject: Lunch\n"
        "To: Alice <alice@heron.test>\n\nSee you.")
    assert forward_html_block(headers, "<p>See you.</p>") == (
        "<p>---------- Forwarded message ----------<br>From: Bob &lt;bob@x.org&gt;<br>"
        "Date: Mon, 23 Nov 2026 10:04<br>Subject: Lunch<br>"
        "To: Alice &lt;alice@heron.test&gt;</p><p>See you.</p>")


# The plain-text alternative -------------------------------------------------------------

@pytest.mark.parametrize("markup, text", [
    ("<p>Hello <b>there</b>,</p><p>second&nbsp;line &amp; more</p>",
     "Hello there,\n\nsecond line & more"),
    ("one<br>two<br><br>three", "one\ntwo\n\nthree"),
    ("<ul><li>milk</li><li>eggs<ul><li>brown</li></ul></li></ul>",
     "- milk\n- eggs\n  - brown"),
    ('<ol start="3"><li>third</li><li>fourth</li></ol>', "3. third\n4. fourth"),
    ('<p>See <a href="https://heron.example/docs">the docs</a>.</p>',
     "See the docs <https://heron.example/docs>."),
    ('<a href="https://heron.example/">https://heron.example/</a>', "https://heron.example/"),
    ('<a href="mailto:bob@x.org">bob@x.org</a>', "bob@x.org"),
    ('<a href="https://x.org"><img src="https://x.org/l.png" alt="Logo"></a>',
     "Logo <https://x.org>"),
    ("<p>I said</p><blockquote><p>one</p><p>two</p><blockquote>deeper</blockquote>"
     "</blockquote><p>after</p>",
     "I said\n\n> one\n>\n> two\n>\n>> deeper\n\nafter"),
    ("<h1>Title</h1>text<h2>Part</h2>more", "Title\n\ntext\n\nPart\n\nmore"),
    ("<style>p{color:red}</style><script>alert(1)</script><p>visible</p>", "visible"),
    ("<pre>  code\n    indented</pre>", "  code\n    indented"),
    ("<p>a</p>" + "<br>" * 8 + "<p>b</p>", "a\n\n\nb"),
    ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>",
     "a b\nc d"),
    ("  lots   of \n\n  space  ", "lots of space"),
    ("&lt;not a tag&gt; &eacute;&#233;&#x20AC;", "<not a tag> éé€"),
    ("", ""),
])
def test_the_text_alternative_reads_like_the_html(markup, text):
    assert html_to_text(markup) == text


@pytest.mark.parametrize("hostile", [
    "<div>" * 2_000_000,
    "<blockquote>x" * 800_000,
    "<ol><li>x" * 1_000_000,
    "<a" * 5_000_000,
    "<!--" * 2_500_000,
    "<![" * 3_000_000,
    "<p>\ud800 lone surrogate" * 10_000,
])
def test_hostile_html_gives_text_and_never_hangs_or_raises(hostile):
    assert isinstance(html_to_text(hostile), str)


# The message that goes out --------------------------------------------------------------

class Tracked(io.BytesIO):
    """A file whose closing the test can see."""


def file(name, content_type="application/pdf", data=b"%PDF-1.7 \x00\xff", content_id=None,
         opened=None):
    def open_():
        stream = Tracked(data)
        if opened is not None:
            opened.append(stream)
        return stream
    return OutgoingFile(name, content_type, open_, content_id)


def outgoing(**fields):
    return Outgoing(**{"sender": ALICE, "to": (BOB,), "subject": "Lunch", **fields})


def sent(out, **options):
    raw = message_bytes(build_message(out, **options))
    return message_from_bytes(raw, policy=policy.default), raw


def body(message, subtype):
    # Received text keeps the wire's CRLF line ends, as every reader of it does.
    return message.get_body((subtype,)).get_content().replace("\r\n", "\n")


def tree(part):
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        return f"{part.get_content_type()}({','.join(tree(p) for p in part.iter_parts())})"
    return part.get_content_type()


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.mark.parametrize("fields, shape", [
    ({"text": "Hi"}, "text/plain"),
    ({"html": "<p>Hi</p>"}, "multipart/alternative(text/plain,text/html)"),
    ({"text": "Hi", "files": (file("a.pdf"),)}, "multipart/mixed(text/plain,application/pdf)"),
    ({"html": '<p><img src="cid:logo@heron"></p>',
      "files": (file("logo.png", "image/png", PNG, "<logo@heron>"),)},
     "multipart/alternative(text/plain,multipart/related(text/html,image/png))"),
    ({"html": '<p><img src="cid:logo@heron"></p>',
      "files": (file("logo.png", "image/png", PNG, "logo@heron"), file("a.pdf")),
      "attached_messages": (b"Subject: old\r\n\r\nold body\r\n",)},
     "multipart/mixed(multipart/alternative(text/plain,multipart/related(text/html,image/png)),"
     "application/pdf,message/rfc822)"),
    ({"text": "Hi", "files": (file("logo.png", "image/png", PNG, "logo@heron"),)},
     "multipart/mixed(text/plain,image/png)"),
    ({"text": "See attached", "attached_messages": (b"Subject: old\r\n\r\nold\r\n",)},
     "multipart/mixed(text/plain,message/rfc822)"),
])
def test_messages_have_the_structure_mail_clients_expect(fields, shape):
    message, _ = sent(outgoing(**fields))
    assert tree(message) == shape


def test_a_plain_message_is_utf8_text():
    message, _ = sent(outgoing(text="Grüße, Jörg\n"))
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert body(message, "plain") == "Grüße, Jörg\n"


def test_an_html_message_is_sanitized_and_has_a_text_alternative():
    message, _ = sent(outgoing(html='<p onclick="x()">Hello <a href="javascript:evil()">you'
                                    '</a></p><script>alert(1)</script><ul><li>one</li></ul>'))
    text = body(message, "plain")
    html = body(message, "html")
    assert text.strip() == "Hello you\n\n- one"
    assert html.startswith('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>')
    assert "<p>Hello" in html and "script" not in html
    assert "onclick" not in html and "javascript" not in html


def test_the_users_own_text_alternative_is_kept():
    message, _ = sent(outgoing(text="My own words", html="<p>Other words</p>"))
    assert body(message, "plain").strip() == "My own words"


@pytest.mark.parametrize("name", [
    "Résumé 履歴書.pdf", "report.pdf", "Отчёт за 2026 год — итоги.docx",
    "a" * 150 + ".txt", 'quote "marks" and \\ back.txt', "spaces   inside.txt",
])
def test_attachments_arrive_with_their_name_and_exact_bytes(name):
    data = bytes(range(256)) * 40
    message, _ = sent(outgoing(text="x", files=(file(name, "application/octet-stream", data),)))
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == name
    assert attachment.get_content() == data


def test_attachment_files_are_read_when_built_and_closed():
    opened = []
    sent(outgoing(text="x", files=(file("a.pdf", opened=opened),
                                   file("b.png", "image/png", PNG, "b@heron", opened))))
    assert len(opened) == 2
    assert all(stream.closed for stream in opened)


@pytest.mark.parametrize("given, content_type", [
    ("application/pdf", "application/pdf"),
    ("Image/PNG; name=x.png", "image/png"),
    ("pdf", "application/octet-stream"),
    ("", "application/octet-stream"),
    ("text/", "application/octet-stream"),
    ("application/pdf\r\nBcc: eve@evil.org", "application/octet-stream"),
    ("multipart/mixed", "application/octet-stream"),
    ("message/rfc822", "application/octet-stream"),
])
def test_a_malformed_attachment_type_is_sent_as_plain_data(given, content_type):
    message, _ = sent(outgoing(text="x", files=(file("f", given),)))
    [attachment] = message.iter_attachments()
    assert attachment.get_content_type() == content_type
    assert message["Bcc"] is None


def test_inline_images_are_sent_with_the_html_that_shows_them():
    message, _ = sent(outgoing(
        html='<p>Logo: <img src="cid:logo@heron" alt="logo"><img src="cid:other@heron"></p>',
        files=(file("logo.png", "image/png", PNG, "<logo@heron>"),)))
    html = body(message, "html")
    [image] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert 'src="cid:logo@heron"' in html
    assert "other@heron" not in html
    assert image["Content-ID"] == "<logo@heron>"
    assert image.get_content() == PNG
    assert image.get_content_disposition() == "inline"


def test_a_forwarded_message_is_attached_byte_for_byte():
    original = (b"From: Bob <bob@x.org>\r\nSubject: The plan " + b"x" * 90 + b"\r\n"
                b"DKIM-Signature: v=1; a=rsa-sha256; d=x.org; b=abc\r\n"
                b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                b"Caf\xc3\xa9 at ten.\r\n")
    message, raw = sent(outgoing(text="FYI", attached_messages=(original,)))
    [attached] = message.iter_attachments()
    assert attached.get_content_type() == "message/rfc822"
    assert attached.get_content()["Subject"] == "The plan " + "x" * 90
    assert original in raw


def test_bcc_is_kept_in_drafts_only():
    out = outgoing(text="x", bcc=(DAVE,))
    message, raw = sent(out)
    assert message["Bcc"] is None and b"dave@z.org" not in raw
    draft, _ = sent(out, include_bcc=True)
    assert draft["Bcc"] == "Dave <dave@z.org>"


def test_the_headers_say_who_what_when_and_which_thread():
    when = datetime(2026, 11, 23, 10, 4, tzinfo=timezone.utc)
    message, _ = sent(outgoing(
        text="x", cc=(CAROL,), reply_to=(LIST,), date=when, in_reply_to="<b@x.org>",
        references=("<a@x.org>", "<b@x.org>"), extra_headers=(("X-Heron-Draft", "<k1>"),)))
    assert message["From"] == "Alice <alice@heron.test>"
    assert message["To"] == "Bob <bob@x.org>"
    assert message["Cc"] == "Carol <carol@y.org>"
    assert message["Reply-To"] == "Heron list <list@lists.example>"
    assert message["Date"].datetime == when
    assert message["In-Reply-To"] == "<b@x.org>"
    assert message["References"] == "<a@x.org> <b@x.org>"
    assert message["X-Heron-Draft"] == "<k1>"


def test_the_date_keeps_the_writers_time_zone():
    when = datetime(2026, 11, 23, 10, 4, tzinfo=timezone(timedelta(hours=9)))
    message, raw = sent(outgoing(text="x", date=when))
    assert b"Date: Mon, 23 Nov 2026 10:04:00 +0900\r\n" in raw


def test_a_message_without_a_date_is_dated_now_with_a_time_zone():
    message, _ = sent(outgoing(text="x"))
    assert message["Date"].datetime.tzinfo is not None
    assert abs(message["Date"].datetime - datetime.now(timezone.utc)) < timedelta(hours=1)


def test_message_ids_come_from_the_sender_domain_unless_given():
    generated, _ = sent(outgoing(text="x"))
    assert generated["Message-ID"].endswith("@heron.test>")
    on_domain, _ = sent(outgoing(text="x"), msgid_domain="mail.heron.example")
    assert on_domain["Message-ID"].endswith("@mail.heron.example>")
    given, _ = sent(outgoing(text="x", message_id="<fixed@heron.test>"))
    assert given["Message-ID"] == "<fixed@heron.test>"
    with pytest.raises(ValueError):
        build_message(outgoing(text="x", message_id="<a@b>\r\nBcc: eve@evil.org"))


def test_international_names_domains_and_subjects_arrive_intact():
    subject = "Grüße aus Köln — 会議の議事録 " + "and a very long subject line " * 6
    message, raw = sent(outgoing(
        subject=subject, text="x", to=(Address("Jörg Müller", "joerg", "bücher.de"),)))
    assert message["Subject"] == subject
    assert message["To"].addresses[0].display_name == "Jörg Müller"
    assert message["To"].addresses[0].addr_spec == "joerg@xn--bcher-kva.de"
    head = raw.split(b"\r\n\r\n")[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))


def test_outgoing_mail_is_seven_bit_with_crlf_line_ends():
    _, raw = sent(outgoing(subject="Grüße", text="Grüße\n" + "ü" * 300,
                           html="<p>Grüße</p>", files=(file("Résumé.pdf"),)))
    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")


INJECTIONS = [
    "Lunch\r\nBcc: eve@evil.org",
    "Lunch\nBcc: eve@evil.org",
    "Lunch\rBcc: eve@evil.org",
    "Lunch\x00Bcc: eve@evil.org",
    "Lunch\u2028Bcc: eve@evil.org",
    "Lunch\x85Bcc: eve@evil.org",
    "=?utf-8?q?Lunch=0D=0ABcc:_eve@evil.org?=",
    "x=?utf-8?q?=0D=0ABcc:_eve@evil.org?=y",
    '"=?utf-8?q?a=0D=0ABcc:_eve@evil.org?="',
    # Encoded twice: it decodes to the line above.
    "=?utf-8?b?PT91dGYtOD9xP2E9MEQ9MEFCY2M6X2V2ZUBldmlsLm9yZz89?=",
]


@pytest.mark.parametrize("attack", INJECTIONS)
def test_no_typed_text_can_add_a_header(attack):
    address = Address(attack.replace("\r", "").replace("\n", ""), "bob", "x.org")
    message, raw = sent(outgoing(
        subject=attack, to=(address,), text="x", files=(file(attack + ".pdf"),),
        extra_headers=(("X-Heron-Note", attack),)))
    assert message["Bcc"] is None
    assert b"\r\nBcc:" not in raw
    assert message.keys() == ["Date", "From", "To", "Subject", "Message-ID", "X-Heron-Note",
                              "MIME-Version", "Content-Type"]
    for value in (message["Subject"], message["X-Heron-Note"], message["To"],
                  next(message.iter_attachments()).get_filename()):
        assert "\r" not in value and "\n" not in value and "\x00" not in value
    assert "Bcc: eve@evil.org" in message["Subject"]


@pytest.mark.parametrize("name", [
    "X-Bad\r\nBcc", "X Bad", "X-Bad:", "", "Bcc", "content-type", "Message-ID", "Ünï",
])
def test_an_extra_header_with_a_bad_or_taken_name_is_refused(name):
    with pytest.raises(ValueError):
        build_message(outgoing(text="x", extra_headers=((name, "value"),)))


def test_an_address_that_cannot_be_sent_to_is_refused_when_building():
    with pytest.raises(AddressError):
        build_message(outgoing(text="x", to=(Address("", "bob smith", "x.org"),)))


GMAIL_ID = ("<CAKx6d3Ow+Qj1pZ2mFs8a9yQ_long-message-identifier-0123456789abcdef0123456789"
            "=rT7@mail.gmail.com>")


def test_a_reply_to_a_long_message_id_keeps_it_readable_so_it_threads_everywhere():
    # Folded as an unstructured field, an id past 78 characters became RFC 2047 encoded
    # words, which no mail program reads back as an id.
    references = tuple(f"<part{n}.{n * 7919}@lists.example.org>" for n in range(12))
    message, raw = sent(outgoing(in_reply_to=GMAIL_ID, references=(*references, GMAIL_ID),
                                 message_id="<own-0123456789@heron.test>"))
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?" not in head
    assert message["In-Reply-To"] == GMAIL_ID
    assert message["References"].split() == [*references, GMAIL_ID]
    assert message["Message-ID"] == "<own-0123456789@heron.test>"
    lines = head.split(b"\r\n")
    assert all(len(line) <= 998 for line in lines)
    # Folded between ids: each line that holds more than one id stays within 78.
    assert all(len(line) <= 78 for line in lines if line.count(b"<") > 1)
    assert f"In-Reply-To: {GMAIL_ID}".encode() in lines


def test_a_message_id_too_long_for_a_line_is_left_out_not_folded_inside():
    huge = "<" + "a" * 300 + "@x.test>"
    message, _raw = sent(outgoing(in_reply_to=huge, references=(huge, "<ok@x.test>")))
    assert message["In-Reply-To"] is None
    assert message["References"] == "<ok@x.test>"


@pytest.mark.parametrize("odd", ["<a=?utf-8?b?w6k=?=@x.test>", "<=?utf-8?q?x?=@y.test>"])
def test_an_id_that_looks_like_encoded_words_goes_out_as_it_came(odd):
    # Decoded, the first would be non-ASCII (the reply could not be written at all) and the
    # second another id (the reply would leave its thread).
    message, raw = sent(outgoing(in_reply_to=odd, references=("<r@x.test>", odd),
                                 message_id=odd))
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert f"In-Reply-To: {odd}".encode() in head
    assert f"References: <r@x.test> {odd}".encode() in head
    assert f"Message-ID: {odd}".encode() in head
