"""The message page and the reading pane hold a short HTML body themselves, in a srcdoc
frame (webmail/views/message.py): escaped into its attribute, under a page policy that
lets only the body's own stylesheets (by nonce) and style attributes apply."""
import html
import re

import pytest

from accounts.models import TrustedSender
from webmail.views import message as message_view

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"
HOSTILE = (b"From: Shop <news@shop.test>\r\nTo: alice@heron.test\r\nSubject: Styled\r\n"
           b"Date: Fri, 09 Jan 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n"
           b"<style>.lead{color:green}</style><p class=lead>\"quoted\" &amp; "
           b"\"><script>alert(1)</script><iframe src=//evil.test></iframe></p>"
           b'<p title="<style>p{color:red}</style>" style="font-weight:bold">x</p>'
           b'<img src="https://shop.test/pixel.png">\r\n')
SRCDOC = re.compile(r'<iframe class="mail-frame"[^>]* srcdoc="([^"]*)"')


@pytest.fixture
def styled(fake_server):
    return fake_server.folder(ALICE, "INBOX").append(HOSTILE)


def test_the_body_is_escaped_into_the_frame_and_nowhere_else(alice, styled):
    response = alice.get(f"/mail/message/{styled}/", {"mailbox": "INBOX"})
    page = response.content.decode()
    found = SRCDOC.search(page)
    assert found, "the body rides in the page"
    document = html.unescape(found.group(1))
    assert '<p class="lead">' in document and "quoted" in document
    # Outside the attribute, the page holds none of the mail's markup.
    outside = page.replace(found.group(0), "")
    assert "quoted" not in outside and "evil.test" not in outside and "<script>alert" not in page
    assert page.count("<iframe") == 1
    assert "/body/" not in page.split('class="mail-frame"')[1].split(">")[0]


def test_the_page_lets_only_the_bodys_own_stylesheets_apply(alice, styled):
    response = alice.get(f"/mail/message/{styled}/", {"mailbox": "INBOX"})
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"style-src-elem 'self' 'nonce-([A-Za-z0-9_-]+)';", policy).group(1)
    assert "style-src-attr 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy and "img-src 'self' data:;" in policy
    document = html.unescape(SRCDOC.search(response.content.decode()).group(1))
    # The frame's stylesheet and the mail's carry the nonce; the "<style>" inside the
    # title attribute is text, and stays so.
    assert document.count(f'<style nonce="{nonce}">') == 2
    assert f'<style nonce="{nonce}">.lead{{color:green}}</style>' in document
    assert 'title="&lt;style&gt;p{color:red}&lt;/style&gt;"' in document
    # The frame's own policy is in its document, first, and applies on top of the page's.
    meta = re.search(r'<head><meta charset="utf-8"><meta http-equiv="Content-Security-'
                     r'Policy" content="([^"]*)">', document)
    assert html.unescape(meta.group(1)) == message_view._frame_policy(False)
    # Another page gets another nonce.
    again = alice.get(f"/mail/message/{styled}/", {"mailbox": "INBOX"})
    assert f"'nonce-{nonce}'" not in again["Content-Security-Policy"]


def test_the_mail_page_gives_its_reading_pane_its_nonce(alice, styled):
    page = alice.get("/mail/", {"mailbox": "INBOX"})
    policy = page["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", policy).group(1)
    assert f'<meta name="heron-style-nonce" content="{nonce}">' in page.content.decode()
    pane = alice.get(f"/mail/message/{styled}/", {"mailbox": "INBOX"}, HTTP_HX_REQUEST="true",
                     HTTP_X_HERON_STYLE_NONCE=nonce)
    document = html.unescape(SRCDOC.search(pane.content.decode()).group(1))
    assert f'<style nonce="{nonce}">.lead{{color:green}}</style>' in document
    # A nonce that is not one (it would go into an attribute) gets a frame of its own.
    for bad in ('x" onload="alert(1)', "short", ""):
        pane = alice.get(f"/mail/message/{styled}/", {"mailbox": "INBOX"},
                         HTTP_HX_REQUEST="true", HTTP_X_HERON_STYLE_NONCE=bad)
        assert not SRCDOC.search(pane.content.decode()) and "/body/" in pane.content.decode()
    # Pages that hold no mail keep the strict policy.
    assert "style-src-attr" not in alice.get("/accounts/settings/")["Content-Security-Policy"]


def test_remote_images_keep_a_frame_of_their_own(alice, styled):
    pane = alice.get(f"/mail/message/{styled}/", {"mailbox": "INBOX"}, HTTP_HX_REQUEST="true")
    assert not SRCDOC.search(pane.content.decode()), "(no nonce said)"
    TrustedSender.objects.create(user_id=pane.wsgi_request.user.pk, email="news@shop.test")
    page = alice.get(f"/mail/message/{styled}/", {"mailbox": "INBOX"})
    assert not SRCDOC.search(page.content.decode())
    assert "style-src-attr" not in page["Content-Security-Policy"]


def test_a_long_body_keeps_a_frame_of_its_own(alice, styled, monkeypatch):
    monkeypatch.setattr(message_view, "INLINE_BODY_CHARS", 10)
    page = alice.get(f"/mail/message/{styled}/", {"mailbox": "INBOX"})
    assert not SRCDOC.search(page.content.decode())
    assert "style-src-attr" not in page["Content-Security-Policy"]


def test_the_frame_of_its_own_carries_the_same_policy_in_its_document(alice, styled):
    frame = alice.get(f"/mail/message/{styled}/body/", {"mailbox": "INBOX"})
    header = frame["Content-Security-Policy"]
    assert header.startswith("default-src 'none'; img-src 'self' data:; ")
    assert "sandbox allow-same-origin" in header
    assert '<meta http-equiv="Content-Security-Policy" content="default-src' in \
        frame.content.decode()


def test_the_frame_document_is_made_once_and_given_each_pages_nonce(alice, styled,
                                                                    monkeypatch):
    made = []
    draw = message_view._frame_document
    monkeypatch.setattr(message_view, "_frames", message_view.Memo(4))
    monkeypatch.setattr(message_view, "_frame_document",
                        lambda *args: made.append(args) or draw(*args))
    nonces = []
    for _ in range(2):
        response = alice.get(f"/mail/message/{styled}/", {"mailbox": "INBOX"})
        nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", response["Content-Security-Policy"])[1]
        document = html.unescape(SRCDOC.search(response.content.decode()).group(1))
        assert f'<style nonce="{nonce}">.lead{{color:green}}</style>' in document
        assert message_view.NONCE_STAND_IN not in document
        nonces.append(nonce)
    assert len(made) == 1 and nonces[0] != nonces[1]
