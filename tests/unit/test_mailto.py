"""mailto: links: those in a message open Heron's compose window, and a mailto: URL (from
the browser, once Heron is its mail handler) fills the compose fields, body included."""
import html
import re

import pytest

from webmail.links import compose_link, mailto_fields
from webmail.mime.sanitize import sanitize_html

pytestmark = pytest.mark.django_db


def hrefs(markup):
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', markup)]


@pytest.mark.parametrize("href", [
    "mailto:ann@x.test?subject=Hi", "MAILTO:ann@x.test", " mailto:ann@x.test",
    "mail\tto:ann@x.test", "mailto:ann@x.test?body=a%0D%0Ab"])
def test_a_mailto_link_in_a_message_opens_herons_compose(href):
    clean = sanitize_html(f'<p><a href="{href}">write</a></p>', mailto_url=compose_link)
    [found] = hrefs(clean.html)
    assert found.lower().startswith("/mail/compose/?mailto=mailto%3a")
    assert 'target="_blank"' in clean.html


def test_other_links_are_left_alone_and_hostile_ones_still_go():
    clean = sanitize_html('<a href="https://x.test/">web</a><a href="javascript:alert(1)">j</a>'
                          '<a href="/mail/settings/">local</a><a href="//evil.test/">n</a>',
                          mailto_url=compose_link)
    assert hrefs(clean.html) == ["https://x.test/", "https://evil.test/"]


def test_without_a_compose_window_mailto_stays_mailto():
    assert hrefs(sanitize_html('<a href="mailto:ann@x.test">a</a>').html) == [
        "mailto:ann@x.test"]


def test_a_mailto_too_long_to_follow_loses_its_link():
    long = "mailto:ann@x.test?body=" + "x" * 9000
    assert hrefs(sanitize_html(f'<a href="{long}">a</a>', mailto_url=compose_link).html) == []


def test_mailto_fields_follow_rfc_6068():
    assert mailto_fields("mailto:ann@x.test,bo@x.test?subject=Hi%20there+you"
                         "&body=Line%201%0D%0ALine%202&cc=cy@x.test&in-reply-to=%3Cx%3E") == {
        "to": "ann@x.test, bo@x.test", "cc": "cy@x.test", "subject": "Hi there+you",
        "body": "Line 1\nLine 2"}


@pytest.mark.parametrize("url", [
    "mailto:?to=a@x.test%0D%0ABcc:evil@x.test&subject=x%0D%0AX-Evil:%201%00",
    "mailto:a@x.test%0ABcc:evil@x.test"])
def test_no_line_break_or_nul_reaches_a_header_field(url):
    fields = mailto_fields(url)
    assert not any(ch in value for name, value in fields.items() if name != "body"
                   for ch in "\r\n\0")


def test_only_mailto_urls_fill_anything():
    assert mailto_fields("https://x.test/?to=a@x.test") == {}
    assert mailto_fields(None) == {}


def test_the_compose_window_takes_a_mailto_url_with_its_body(alice):
    page = alice.get("/mail/compose/", {
        "mailto": "mailto:ann@x.test?subject=Lunch%3F&body=Noon%20at%20the%20usual%20place"})
    text = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'name="to"[^>]*value="ann@x.test"', text)
    assert re.search(r'name="subject"[^>]*value="Lunch\?"', text)
    body = html.unescape(re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', text,
                                   re.S).group(1))
    assert body.lstrip("\r\n").startswith("Noon at the usual place")  # (the textarea's newline)


def test_plain_compose_links_take_a_body_too(alice):
    text = alice.get("/mail/compose/", {"to": "bo@x.test", "subject": "a+b",
                                        "body": "Hello\r\nthere"}).content.decode()
    assert re.search(r'name="subject"[^>]*value="a\+b"', text)
    assert "Hello\nthere" in html.unescape(text)


def test_a_mailto_link_in_a_message_body_points_at_compose(alice, fake_server):
    raw = (b"From: Ann <ann@x.test>\r\nTo: alice@heron.test\r\nSubject: Write me\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n"
           b'<p><a href="mailto:ann@x.test?subject=Re%3A%20hi&amp;body=Hey">Write</a></p>\r\n')
    uid = fake_server.folder("alice@heron.test", "INBOX").append(raw)
    frame = alice.get(f"/mail/message/{uid}/body/", {"mailbox": "INBOX"}).content.decode()
    [href] = [h for h in hrefs(frame) if "compose" in h]
    compose = alice.get(href).content.decode()
    assert re.search(r'name="subject"[^>]*value="Re: hi"', compose)
    assert "Hey" in compose
