"""The compose window: new, reply, forward, drafts saved and reopened, send and discard,
through the in-memory mail server and a stand-in for SMTP (webmail.smtp.send)."""
import html
import re
import uuid

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from attachments.models import Upload
from tests.unit.conftest import log_in
from webmail import smtp

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads (a forward's attachments) go to local files under a fresh folder."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media")}}}


class Outbox:
    """What webmail.smtp.send was given; raises `refuse` instead when set."""

    def __init__(self):
        self.sent = []
        self.refuse = None

    def send(self, config, username, password, envelope, message, *, trusted_relay=False):
        if self.refuse is not None:
            raise self.refuse
        data = message if isinstance(message, bytes) else message.read()
        self.sent.append((username, password, envelope, data))


@pytest.fixture
def outbox(monkeypatch):
    box = Outbox()
    monkeypatch.setattr(smtp, "send", box.send)
    return box


def notices(response):
    return [str(notice) for notice in get_messages(response.wsgi_request)]


def field(page, name):
    """The value of a form field as the page shows it (input or textarea)."""
    found = (re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
             or re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S))
    return html.unescape(found.group(1)) if found else None


def drafts(server, user=ALICE):
    account = server.account(user)
    return list(account.folders["Drafts"].messages.values()) if "Drafts" in account.folders \
        else []


def save(client, key, version=0, headers=None, **fields):
    data = {"draft": key, "version": version, "identity": identity_of(client), **fields}
    return client.post("/mail/compose/save/", data, **(headers or {}))


def identity_of(client):
    page = client.get("/mail/compose/").content.decode()
    return re.search(r'<option value="(\d+)"[^>]*selected', page).group(1)


def new_key():
    return uuid.uuid4().hex


def test_a_new_message_starts_with_what_the_link_gave(alice):
    page = alice.get("/mail/compose/", {"to": "bob@x.test", "subject": "Lunch"}).content.decode()
    assert field(page, "to") == "bob@x.test" and field(page, "subject") == "Lunch"
    assert re.fullmatch(r"[0-9a-f]{32}", field(page, "draft"))


def test_a_reply_answers_the_sender_quotes_the_text_and_leaves_it_unread(alice, fake_server):
    page = alice.get("/mail/compose/", {"reply": 6, "mailbox": "INBOX"}).content.decode()
    assert field(page, "to") == "Sender 6 <s6@x.test>"
    assert field(page, "subject") == "Re: Message 6"
    assert "> Body of Message 6" in field(page, "body")
    assert field(page, "answers") == "6 INBOX"
    assert "\\Seen" not in fake_server.folder(ALICE, "INBOX").messages[6].flags


def test_a_reply_to_all_copies_everyone_but_oneself(alice, fake_server):
    uid = fake_server.folder(ALICE, "INBOX").append(
        b"From: Bob <bob@x.test>\r\nTo: alice@heron.test, dave@z.test\r\n"
        b"Cc: Carol <carol@y.test>\r\nSubject: Plans\r\n\r\nShall we?\r\n")
    page = alice.get("/mail/compose/", {"reply": uid, "all": "1"}).content.decode()
    assert field(page, "to") == "Bob <bob@x.test>"
    assert field(page, "cc") == "dave@z.test, Carol <carol@y.test>"


def test_a_reply_to_a_message_gone_is_a_404(alice):
    assert alice.get("/mail/compose/", {"reply": 9999}).status_code == 404


def test_a_saved_draft_answers_its_version_and_replaces_the_older_one(alice, fake_server):
    key = new_key()
    first = save(alice, key, subject="Plan", body="one", headers=JSON)
    assert first.json() == {"version": 1}
    second = save(alice, key, version=1, subject="Plan", body="two", headers=JSON)
    assert second.json() == {"version": 2}
    [saved] = drafts(fake_server)
    assert saved.header("X-Heron-Draft") == key and b"two" in saved.raw
    assert {"\\Draft", "\\Seen"} <= saved.flags


def test_a_draft_saved_from_another_window_meanwhile_is_a_conflict(alice, fake_server):
    key = new_key()
    save(alice, key, body="here", headers=JSON)
    response = save(alice, key, body="there", headers=JSON)
    assert response.status_code == 409
    assert response.json()["reload"] == f"/mail/compose/reload/?key={key}"
    assert b"here" in drafts(fake_server)[0].raw


def test_saving_from_the_form_reopens_the_draft(alice, fake_server):
    key = new_key()
    response = save(alice, key, subject="Notes", body="Carry on")
    [saved] = drafts(fake_server)
    assert response["Location"] == f"/mail/compose/?draft={saved.uid}&mailbox=Drafts"
    assert notices(response) == ["Draft saved."]
    page = alice.get(response["Location"]).content.decode()
    assert field(page, "subject") == "Notes" and field(page, "draft") == key
    assert field(page, "body").strip() == "Carry on" and field(page, "version") == "1"


def test_a_draft_another_client_wrote_opens_under_a_new_compose_id(alice, fake_server):
    fake_server.account(ALICE).create("Drafts")
    uid = fake_server.folder(ALICE, "Drafts").append(
        b"To: bob@x.test\r\nSubject: From my phone\r\n\r\nHalf a thought\r\n",
        ("\\Draft",))
    page = alice.get("/mail/compose/", {"draft": uid, "mailbox": "Drafts"}).content.decode()
    assert field(page, "subject") == "From my phone" and field(page, "to") == "bob@x.test"
    assert re.fullmatch(r"[0-9a-f]{32}", field(page, "draft"))
    assert field(page, "body").strip() == "Half a thought"


def test_a_draft_without_its_id_is_refused(alice):
    response = alice.post("/mail/compose/save/", {"subject": "x"}, **JSON)
    assert response.status_code == 400 and response.json()["error"]
    assert alice.post("/mail/compose/save/", {"subject": "x"}).status_code == 400


def test_it_sends_files_the_copy_in_sent_and_drops_the_draft(alice, fake_server, outbox):
    key = new_key()
    save(alice, key, subject="Hi", body="draft", headers=JSON)
    response = alice.post("/mail/compose/send/", {
        "draft": key, "version": 1, "identity": identity_of(alice), "to": "bob@x.test",
        "bcc": "dave@z.test", "subject": "Hi", "body": "Hello Bob", "answers": "6 INBOX"})
    assert response["Location"] == "/mail/" and notices(response) == ["Message sent."]
    [(username, password, envelope, data)] = outbox.sent
    assert (username, password) == (ALICE, "alice-secret-pw")
    assert envelope.recipients == ("bob@x.test", "dave@z.test") and b"Bcc" not in data
    sent = fake_server.folder(ALICE, "Sent").messages
    filed = sent[max(sent)]
    assert len(sent) == 4
    assert filed.header("Subject") == "Hi" and filed.flags == {"\\Seen"}
    assert filed.header("Bcc") == "dave@z.test"
    assert drafts(fake_server) == []
    assert "\\Answered" in fake_server.folder(ALICE, "INBOX").messages[6].flags


def test_a_forward_sent_marks_the_original_forwarded(alice, fake_server, outbox):
    alice.post("/mail/compose/send/", {
        "draft": new_key(), "identity": identity_of(alice), "to": "bob@x.test",
        "subject": "Fyi", "body": "fyi", "forwards": "700 Projects"})
    assert "$Forwarded" in fake_server.folder(ALICE, "Projects").messages[700].flags


def test_a_refused_send_comes_back_with_the_reason_and_the_draft_saved(
        alice, fake_server, outbox):
    outbox.refuse = smtp.SmtpRefused("550 no such user")
    key = new_key()
    response = alice.post("/mail/compose/send/", {
        "draft": key, "identity": identity_of(alice), "to": "nobody@x.test",
        "subject": "Lost", "body": "Hello"})
    assert response.status_code == 422
    assert "550 no such user" in response.content.decode()
    assert [d.header("Subject") for d in drafts(fake_server)] == ["Lost"]
    assert len(fake_server.folder(ALICE, "Sent").messages) == 3


def test_a_bad_address_sends_nothing_and_says_which(alice, fake_server, outbox):
    response = alice.post("/mail/compose/send/", {
        "draft": new_key(), "identity": identity_of(alice), "to": "bob@", "subject": "x",
        "body": "x"},
        **JSON)
    assert response.status_code == 422 and "bob@" in response.json()["error"]
    assert outbox.sent == [] and len(drafts(fake_server)) == 1


def test_a_send_without_recipients_is_refused(alice, outbox):
    response = alice.post("/mail/compose/send/", {
        "draft": new_key(), "identity": identity_of(alice), "subject": "x", "body": "x"},
        **JSON)
    assert response.status_code == 422 and outbox.sent == []


def test_discard_removes_every_saved_version(alice, fake_server):
    key = new_key()
    save(alice, key, body="x", headers=JSON)
    response = alice.post("/mail/compose/discard/", {"draft": key})
    assert response["Location"] == "/mail/" and notices(response) == ["Draft discarded."]
    assert drafts(fake_server) == []


def test_reload_opens_the_latest_version_or_says_it_is_gone(alice, fake_server):
    key = new_key()
    save(alice, key, body="x", headers=JSON)
    response = alice.get("/mail/compose/reload/", {"key": key})
    assert response["Location"] == (f"/mail/compose/?draft={drafts(fake_server)[0].uid}"
                                    "&mailbox=Drafts")
    gone = alice.get("/mail/compose/reload/", {"key": new_key()})
    assert gone["Location"] == "/mail/" and "no longer in Drafts" in notices(gone)[-1]
    assert alice.get("/mail/compose/reload/", {"key": "nope"}).status_code == 400


def test_a_forward_copies_the_attachments_and_saves_no_draft_until_written(
        alice, fake_server):
    response = alice.post("/mail/compose/forward/", {"uid": 5, "mailbox": "INBOX"})
    assert drafts(fake_server) == [], "backing out of a forward leaves no Fwd: draft"
    location = response["Location"]
    assert location.startswith("/mail/compose/?forward=5&mailbox=INBOX&key=")
    key = location.rsplit("key=", 1)[1]
    assert [u.name for u in Upload.objects.filter(draft=key)] == ["notes.txt"]
    page = alice.get(location).content.decode()
    assert field(page, "subject") == "Fwd: Message 5"
    assert "Body of Message 5" in field(page, "body")
    assert field(page, "draft") == key and "notes.txt" in page
    again = alice.get(location).content.decode()
    assert [u.name for u in Upload.objects.filter(draft=key)] == ["notes.txt"], (
        "drawing the window again copies nothing again")
    assert "notes.txt" in again and drafts(fake_server) == []
    save(alice, key, subject="Fwd: Message 5", body="Have a look", headers=JSON)
    assert [d.header("Subject") for d in drafts(fake_server)] == ["Fwd: Message 5"]


def test_a_forward_as_attachment_attaches_the_whole_message(alice, fake_server):
    response = alice.post("/mail/compose/forward/", {"uid": 4, "mailbox": "INBOX", "as": "eml"})
    assert drafts(fake_server) == []
    assert response["Location"].endswith("&as=eml")
    key = response["Location"].split("key=", 1)[1].split("&", 1)[0]
    [upload] = Upload.objects.filter(draft=key)
    assert (upload.name, upload.content_type) == ("Message 4.eml", "message/rfc822")
    page = alice.get(response["Location"]).content.decode()
    assert field(page, "subject") == "Fwd: Message 4" and "Message 4.eml" in page


def test_another_users_forward_key_shows_none_of_their_files(alice, fake_server):
    key = alice.post("/mail/compose/forward/", {"uid": 5, "mailbox": "INBOX"}
                     )["Location"].rsplit("key=", 1)[1]
    carol = Client()
    log_in(carol, "carol@heron.test")
    page = carol.get("/mail/compose/", {"forward": 900, "mailbox": "INBOX", "key": key})
    assert page.status_code == 200 and field(page.content.decode(), "draft") == key
    assert "notes.txt" not in page.content.decode(), "uploads are the owner's alone"
    assert [u.name for u in Upload.objects.filter(draft=key)] == ["notes.txt"]


def test_a_forward_without_a_message_goes_back_to_the_inbox(alice, fake_server):
    assert alice.post("/mail/compose/forward/", {})["Location"] == "/mail/"
    assert drafts(fake_server) == []


@pytest.mark.parametrize("url, allowed", [
    ("/mail/compose/", "get"), ("/mail/compose/reload/", "get"),
    ("/mail/compose/save/", "post"), ("/mail/compose/send/", "post"),
    ("/mail/compose/discard/", "post"), ("/mail/compose/forward/", "post")])
def test_compose_pages_answer_only_their_method_and_only_when_logged_in(
        alice, client, url, allowed, outbox):
    wrong = alice.post if allowed == "get" else alice.get
    assert wrong(url).status_code == 405
    client.logout()
    right = client.get if allowed == "get" else client.post
    response = right(url, {"key": new_key(), "draft": new_key(), "to": "bob@x.test"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert outbox.sent == []


def test_carol_gets_404_for_alices_messages_and_drafts(alice, fake_server):
    key = new_key()
    save(alice, key, body="secret plan", headers=JSON)
    uid = drafts(fake_server)[0].uid
    carol = Client()
    log_in(carol, "carol@heron.test")
    assert carol.get("/mail/compose/", {"reply": 700, "mailbox": "Projects"}).status_code == 404
    assert carol.get("/mail/compose/", {"draft": uid, "mailbox": "Drafts"}).status_code == 404
    assert carol.post("/mail/compose/forward/", {"uid": 700, "mailbox": "Projects"}
                      ).status_code == 404
    carol.post("/mail/compose/discard/", {"draft": key})
    assert carol.get("/mail/compose/reload/", {"key": key})["Location"] == "/mail/"
    assert [d.uid for d in drafts(fake_server)] == [uid]
