"""Reading and writing preferences at work: remote content, mark as read, HTML or text,
where a reply and its signature go, rich text by default, and asking before Send."""
import re

import pytest
from django.contrib.auth import get_user_model

from accounts import preferences
from accounts.models import Identity, TrustedSender
from tests.unit.test_compose_views import identity_of, outbox  # noqa: F401
from webmail import send_checks
from webmail.writing import new_key

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"
NEWSLETTER = (b"From: Shop <news@shop.test>\r\nTo: alice@heron.test\r\nSubject: Sale\r\n"
              b"Date: Fri, 09 Jan 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
              b"Content-Type: text/plain\r\n\r\nPlain words of the sale.\r\n--b\r\n"
              b"Content-Type: text/html\r\n\r\n<p>Formatted <b>sale</b>"
              b'<img src="https://shop.test/pixel.png"></p>\r\n--b--\r\n')


def user():
    return get_user_model().objects.get(username=ALICE)


def choose(**values):
    preferences.choose(user(), values)


def loads_remote(client, uid):
    response = client.get(f"/mail/message/{uid}/body/", {"mailbox": "INBOX"})
    return "https:" in response["Content-Security-Policy"]


def seen(server, uid):
    return "\\Seen" in server.folder(ALICE, "INBOX").messages[uid].flags


@pytest.fixture
def newsletter(fake_server):
    return fake_server.folder(ALICE, "INBOX").append(NEWSLETTER)


# --- Reading -----------------------------------------------------------------------------

def test_remote_content_from_trusted_senders_by_default(alice, newsletter):
    page = alice.get(f"/mail/message/{newsletter}/", {"mailbox": "INBOX"}).content.decode()
    assert "Show images" in page and "Always show images from news@shop.test" in page
    assert not loads_remote(alice, newsletter)
    TrustedSender.objects.create(user=user(), email="news@shop.test")
    assert loads_remote(alice, newsletter)


def test_remote_content_never_and_always(alice, newsletter):
    TrustedSender.objects.create(user=user(), email="news@shop.test")
    choose(remote_content="never")
    page = alice.get(f"/mail/message/{newsletter}/", {"mailbox": "INBOX"}).content.decode()
    assert "Show images" not in page and "Always show images" not in page
    assert not loads_remote(alice, newsletter)
    response = alice.get(f"/mail/message/{newsletter}/body/",
                         {"mailbox": "INBOX", "images": "1"})
    assert "https:" not in response["Content-Security-Policy"]  # not even when asked
    choose(remote_content="always")
    assert loads_remote(alice, newsletter)


def test_remote_content_ask_ignores_the_trusted_list(alice, newsletter):
    TrustedSender.objects.create(user=user(), email="news@shop.test")
    choose(remote_content="ask")
    page = alice.get(f"/mail/message/{newsletter}/", {"mailbox": "INBOX"}).content.decode()
    assert "Show images" in page and "Always show images" not in page
    assert not loads_remote(alice, newsletter)
    response = alice.get(f"/mail/message/{newsletter}/body/",
                         {"mailbox": "INBOX", "images": "1"})
    assert "https:" in response["Content-Security-Policy"]


@pytest.mark.parametrize("choice, marked", [("now", True), ("delay", False),
                                            ("never", False)])
def test_mark_as_read(alice, fake_server, choice, marked):
    choose(mark_read=choice, mark_read_seconds=7)
    assert not seen(fake_server, 6)
    page = alice.get("/mail/message/6/", {"mailbox": "INBOX"}).content.decode()
    assert seen(fake_server, 6) is marked
    if not marked:  # the message offers Mark read; after a while, the script presses it
        button = re.search(r'<button[^>]*value="read"[^>]*>', page).group(0)
        assert ('data-mark-read-after="7"' in button) is (choice == "delay")
        alice.post("/mail/actions/", {"mailbox": "INBOX", "uids": "6", "action": "read"})
        assert seen(fake_server, 6)


def test_mark_as_read_never_in_a_conversation(alice, fake_server):
    choose(mark_read="never")
    alice.get("/mail/thread/6/", {"mailbox": "INBOX"})
    assert not seen(fake_server, 6)


def test_prefer_plain_text_or_html(alice, newsletter):
    frame = alice.get(f"/mail/message/{newsletter}/body/", {"mailbox": "INBOX"})
    assert "Formatted" in frame.content.decode()
    choose(prefer="text")
    page = alice.get(f"/mail/message/{newsletter}/", {"mailbox": "INBOX"}).content.decode()
    assert "Plain words of the sale." in page and "mail-frame" not in page
    frame = alice.get(f"/mail/message/{newsletter}/body/",
                      {"mailbox": "INBOX", "view": "html"})
    assert "Formatted" in frame.content.decode()  # a link that names the view wins


# --- Writing -----------------------------------------------------------------------------

def reply_body(client):
    page = client.get("/mail/compose/", {"reply": "6", "mailbox": "INBOX"}).content.decode()
    found = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', page, re.S)
    return found.group(1).replace("&gt;", ">").lstrip("\n")


@pytest.fixture
def signed(alice):
    alice.get("/mail/compose/")  # the default identity is made on first use
    Identity.objects.filter(user=user()).update(signature="Alice of Heron")
    return alice


def test_reply_above_the_quote_with_the_signature_below_the_reply(signed):
    body = reply_body(signed)
    assert body.index("-- \nAlice of Heron") < body.index("> Body of Message 6")


def test_reply_above_the_quote_with_the_signature_at_the_end(signed):
    choose(signature_position="end")
    body = reply_body(signed)
    assert body.index("> Body of Message 6") < body.index("-- \nAlice of Heron")
    assert not body.startswith(">")  # the place to write is above the quote


def test_reply_below_the_quote(signed):
    choose(reply_position="below")
    body = reply_body(signed)
    assert body.startswith("On ") or body.index("> Body of Message 6") < 80
    assert body.index("> Body of Message 6") < body.index("-- \nAlice of Heron")


def test_new_messages_in_rich_text(signed):
    page = signed.get("/mail/compose/").content.decode()
    assert re.search(r'value="text"[^>]*checked', page)
    choose(compose_format="html")
    page = signed.get("/mail/compose/").content.decode()
    assert re.search(r'value="html"[^>]*checked', page)
    assert "Alice of Heron" in page


def sent_form(client, **fields):
    return {"draft": new_key(), "identity": identity_of(client), "to": "bob@x.test",
            "subject": "Plans", "body": "See you.", "format": "text", **fields}


def test_no_subject_asks_first_with_every_field_kept(alice, outbox):
    data = sent_form(alice, subject="", body="Line one\nLine <two> & three")
    response = alice.post("/mail/compose/send/", data)
    page = response.content.decode()
    assert response.status_code == 200 and "The message has no subject." in page
    assert outbox.sent == []
    for name in ("draft", "identity", "to", "format"):
        assert f'name="{name}" value="{data[name]}"' in page
    assert 'value="Line one\nLine &lt;two&gt; &amp; three"' in page
    assert 'name="confirmed" value="1"' in page
    assert 'formaction="/mail/compose/save/"' in page  # back to the message, saved
    kept = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    del kept["csrfmiddlewaretoken"]
    alice.post("/mail/compose/send/", kept)
    assert len(outbox.sent) == 1


def test_the_word_attached_without_a_file_asks_first(alice, outbox):
    response = alice.post("/mail/compose/send/", sent_form(alice, body="The plan is attached."),
                          HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert response.json()["ask"] == [
        "The text mentions an attachment, but no file is attached."]
    choose(ask_attachment=False, ask_subject=False)
    alice.post("/mail/compose/send/", sent_form(alice, subject="", body="Attached."))
    assert len(outbox.sent) == 1


@pytest.mark.parametrize("text, found", [
    ("I attached the plan.", True), ("See the ATTACHMENT", True), ("Enclosed: a map", True),
    ("No files today.", False), ("> the plan is attached\nThanks!", False),
    ("unattached", False)])
def test_which_texts_mention_an_attachment(text, found):
    assert send_checks.mentions_attachment(text) is found


def test_the_compose_page_tells_the_script_what_to_ask(alice):
    page = alice.get("/mail/compose/").content.decode()
    assert "data-send-checks=" in page and "attachment" in page
    choose(ask_attachment=False, ask_subject=False)
    assert "data-send-checks=" not in alice.get("/mail/compose/").content.decode()
