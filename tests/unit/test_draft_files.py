"""Drafts carry their files: every saved version in Drafts holds the attachments, storage
keeps working copies only, and a draft reopened (whoever wrote it, whatever purge took)
sends every file byte for byte. Through the in-memory mail server and a stand-in for SMTP."""
import io
import re
import uuid
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from attachments import storage
from attachments.models import Upload
from tests.fakes.session import FakeMailSession
from tests.unit.conftest import log_in
from tests.unit.test_compose_views import Outbox, field, identity_of
from webmail import smtp
from webmail.imap.types import PartRef
from webmail.models import HeldMessage

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"
JSON = {"HTTP_ACCEPT": "application/json"}
EVERY_BYTE = bytes(range(256)) * 300
NOTES = "Agenda: ünïcode, tabs\tand\r\nline ends\n".encode() * 50


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    root = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(root)}}}
    return root


@pytest.fixture
def outbox(monkeypatch):
    box = Outbox()
    monkeypatch.setattr(smtp, "send", box.send)
    return box


@pytest.fixture
def appended(monkeypatch):
    """The pieces of each draft version appended, as the session was given them."""
    seen = []
    real = FakeMailSession.append_draft

    def append_draft(self, pieces, draft_key):
        seen.append(list(pieces))
        return real(self, pieces, draft_key)

    monkeypatch.setattr(FakeMailSession, "append_draft", append_draft)
    return seen


def attach(client, key, name, data, content_type="application/octet-stream"):
    response = client.post("/attachments/upload/", {
        "draft": key, "file": SimpleUploadedFile(name, data, content_type)}, **JSON)
    assert response.status_code == 200, response.content
    return response.json()["uploads"][-1]


def fields(client, key, version=0, **more):
    return {"draft": key, "version": version, "identity": identity_of(client),
            "subject": "Plans", "body": "See the files.", "format": "text", **more}


def save(client, data):
    response = client.post("/mail/compose/save/", data, **JSON)
    assert response.status_code == 200, response.content
    return response.json()["version"]


def drafts(server):
    return list(server.folder(ALICE, "Drafts").messages.values())


def files_of(raw):
    """{file name: bytes} of a message's attachments, attached messages as their bytes."""
    message = message_from_bytes(bytes(raw), policy=policy.default)
    found = {}
    for part in message.iter_attachments():
        if part.get_content_type() == "message/rfc822":
            found[part.get_filename() or "message.eml"] = part.get_content().as_bytes()
        else:
            found[part.get_filename()] = part.get_content() if isinstance(
                part.get_content(), bytes) else part.get_payload(decode=True)
    return found


def stored_objects(media):
    return sorted(p.name for p in media.rglob("*") if p.is_file())


def purge():
    call_command("purge_uploads", stdout=io.StringIO())


def age_uploads(key, hours=100):
    Upload.objects.filter(draft=key).update(created=timezone.now() - timedelta(hours=hours))


def test_every_saved_version_holds_the_attached_files(alice, fake_server):
    key = uuid.uuid4().hex
    attach(alice, key, "every byte.bin", EVERY_BYTE)
    attach(alice, key, "notes.txt", NOTES, "text/plain")
    save(alice, fields(alice, key))
    save(alice, fields(alice, key, version=1, body="Second thoughts."))

    [saved] = drafts(fake_server)
    assert b"Second thoughts." in saved.raw
    assert files_of(saved.raw) == {"every byte.bin": EVERY_BYTE, "notes.txt": NOTES}


def test_a_file_in_the_saved_version_goes_by_reference_not_read_again(
        alice, fake_server, appended, monkeypatch):
    key = uuid.uuid4().hex
    attach(alice, key, "every byte.bin", EVERY_BYTE)
    save(alice, fields(alice, key))
    monkeypatch.setattr(storage, "open_upload", lambda upload: pytest.fail("read again"))

    save(alice, fields(alice, key, version=1, body="Typed on."))

    first, second = appended
    assert [type(p) for p in first if not isinstance(p, bytes)] == []
    [ref] = [p for p in second if isinstance(p, PartRef)]
    assert sum(len(p) for p in second if isinstance(p, bytes)) < 3000
    assert files_of(drafts(fake_server)[0].raw) == {"every byte.bin": EVERY_BYTE}
    upload = Upload.objects.get(draft=key)
    assert (upload.saved_uid, upload.saved_section) == (drafts(fake_server)[0].uid, "2")
    assert ref.uid == drafts(fake_server)[0].uid - 1, "taken from the version before"


def two_files_saved_then_purged(client):
    """The compose id of a draft saved with two files, its uploads aged past the purge
    window and purge_uploads run."""
    key = uuid.uuid4().hex
    attach(client, key, "every byte.bin", EVERY_BYTE)
    attach(client, key, "notes.txt", NOTES, "text/plain")
    save(client, fields(client, key, to="bob@x.test"))
    age_uploads(key)
    purge()
    return key


def test_after_purge_the_reopened_draft_shows_and_sends_every_file(
        alice, fake_server, outbox, media):
    key = two_files_saved_then_purged(alice)

    assert stored_objects(media) == [], "storage kept no copy"
    assert Upload.objects.filter(draft=key, evicted=True).count() == 2
    [saved] = drafts(fake_server)
    page = alice.get("/mail/compose/", {"draft": saved.uid, "mailbox": "Drafts"})
    text = page.content.decode()
    assert "every byte.bin" in text and "notes.txt" in text and "75.0\xa0KB" in text
    assert field(text, "draft") == key
    response = alice.post("/mail/compose/send/", fields(alice, key, version=1,
                                                         to="bob@x.test"))
    assert response.status_code == 302, response.content[:500]
    [(_user, _password, _envelope, data)] = outbox.sent
    assert files_of(data) == {"every byte.bin": EVERY_BYTE, "notes.txt": NOTES}
    assert not Upload.objects.filter(draft=key).exists() and stored_objects(media) == []


def test_after_purge_a_reopened_draft_is_held_for_undo_with_every_file(
        alice, fake_server, settings):
    settings.HERON_SERVICE_USER, settings.HERON_SERVICE_PASSWORD = "heron-service", "pw"
    fake_server.services = {"heron-service": "pw"}
    key = two_files_saved_then_purged(alice)
    [saved] = drafts(fake_server)
    alice.get("/mail/compose/", {"draft": saved.uid, "mailbox": "Drafts"})

    response = alice.post("/mail/compose/send/", fields(alice, key, version=1,
                                                         to="bob@x.test"))

    assert response.status_code == 302, response.content[:500]
    held = HeldMessage.objects.get(owner__username=ALICE)
    with storage.open_held(held.blob) as handle:
        assert files_of(handle.read()) == {"every byte.bin": EVERY_BYTE, "notes.txt": NOTES}


def test_a_window_left_open_through_a_purge_is_held_with_every_file(
        alice, fake_server, settings):
    """No reopen: the compose window that saved the draft sends it after the purge."""
    settings.HERON_SERVICE_USER, settings.HERON_SERVICE_PASSWORD = "heron-service", "pw"
    fake_server.services = {"heron-service": "pw"}
    key = two_files_saved_then_purged(alice)

    response = alice.post("/mail/compose/send/", fields(alice, key, version=1,
                                                         to="bob@x.test"))

    assert response.status_code == 302, response.content[:500]
    held = HeldMessage.objects.get(owner__username=ALICE)
    with storage.open_held(held.blob) as handle:
        assert files_of(handle.read()) == {"every byte.bin": EVERY_BYTE, "notes.txt": NOTES}


def evicted(client, name, data):
    """An upload of a saved draft whose stored copy purge_uploads evicted."""
    key = uuid.uuid4().hex
    made = attach(client, key, name, data)
    save(client, fields(client, key))
    age_uploads(key)
    purge()
    assert Upload.objects.get(id=made["id"]).evicted
    return made


def test_an_evicted_upload_downloads_from_its_saved_draft(alice, fake_server, media):
    made = evicted(alice, "every byte.bin", EVERY_BYTE)

    response = alice.get(f"/attachments/{made['id']}/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == EVERY_BYTE
    assert response["Content-Type"] == "application/octet-stream"
    assert 'attachment; filename="every byte.bin"' in response["Content-Disposition"]


def _foreign_draft():
    """A draft as another mail program writes it: no X-Heron-Draft, a base64 file, a
    quoted-printable text file and an image in its HTML."""
    message = EmailMessage()
    message["To"] = "bob@x.test"
    message["Subject"] = "From my phone"
    message.set_content("Half a thought")
    message.add_alternative('<p>Half a thought <img src="cid:dot@phone"></p>',
                            subtype="html")
    message.get_payload()[1].add_related(b"\x89PNG dot", "image", "png", cid="<dot@phone>")
    message.add_attachment(EVERY_BYTE, "application", "octet-stream", filename="raw.bin")
    message.add_attachment(NOTES.decode(), subtype="plain", cte="quoted-printable",
                           filename="notes.txt")
    return message.as_bytes()


def test_a_draft_another_client_wrote_brings_its_files_and_sends_them(
        alice, fake_server, outbox):
    fake_server.account(ALICE).create("Drafts")
    uid = fake_server.folder(ALICE, "Drafts").append(_foreign_draft(), ("\\Draft",))

    page = alice.get("/mail/compose/", {"draft": uid, "mailbox": "Drafts"}).content.decode()
    again = alice.get("/mail/compose/", {"draft": uid, "mailbox": "Drafts"}).content.decode()

    key = field(page, "draft")
    assert field(again, "draft") == key, "opened again, it finds the same uploads"
    assert "raw.bin" in page and "notes.txt" in page
    assert sorted(Upload.objects.filter(draft=key).values_list("name", flat=True)) == [
        "attachment", "notes.txt", "raw.bin"]
    response = alice.post("/mail/compose/send/", fields(
        alice, key, to="bob@x.test", subject="From my phone"))
    assert response.status_code == 302, response.content[:500]
    [(_user, _password, _envelope, data)] = outbox.sent
    sent = files_of(data)
    assert sent["raw.bin"] == EVERY_BYTE
    assert sent["notes.txt"].replace(b"\r\n", b"\n") == NOTES.replace(b"\r\n", b"\n")


def test_reopening_drops_files_the_version_lacks_and_keeps_uploads_not_yet_saved(
        alice, fake_server):
    key = uuid.uuid4().hex
    attach(alice, key, "gone.bin", b"gone")
    save(alice, fields(alice, key))
    attach(alice, key, "new.bin", b"new")  # uploaded, not saved yet
    # Another program rewrote the draft, keeping its id but not its file.
    folder = fake_server.folder(ALICE, "Drafts")
    [old] = drafts(fake_server)
    rewritten = (f"X-Heron-Draft: {key}\r\nSubject: Plans\r\n\r\nNo files here\r\n").encode()
    uid = folder.append(rewritten, ("\\Draft",))
    folder.expunge([old.uid])

    alice.get("/mail/compose/", {"draft": uid, "mailbox": "Drafts"})

    assert list(Upload.objects.filter(draft=key).values_list("name", flat=True)) == [
        "new.bin"]


def test_a_saved_version_removed_elsewhere_is_a_conflict_only_for_files_it_alone_held(
        alice, fake_server):
    key = uuid.uuid4().hex
    attach(alice, key, "kept.bin", b"kept")
    save(alice, fields(alice, key))
    folder = fake_server.folder(ALICE, "Drafts")
    folder.expunge([drafts(fake_server)[0].uid])

    assert save(alice, fields(alice, key, version=1)) == 2, "storage still had the file"
    assert files_of(drafts(fake_server)[0].raw) == {"kept.bin": b"kept"}

    age_uploads(key)
    purge()
    folder.expunge([drafts(fake_server)[0].uid])
    response = alice.post("/mail/compose/save/", fields(alice, key, version=2), **JSON)
    assert response.status_code == 409 and "another window" in response.json()["error"]


def test_an_attached_message_and_an_inline_image_are_in_the_draft_too(alice, fake_server):
    key = uuid.uuid4().hex
    storage.save_stream(get_user_model().objects.get(username=ALICE), key, "Minutes.eml",
                        "message/rfc822",
                        [b"Subject: Minutes\r\nFrom: a@x.test\r\n\r\nWe met.\r\n"])
    image = alice.post("/attachments/upload/", {
        "draft": key, "inline": "1",
        "file": SimpleUploadedFile("dot.png", b"\x89PNG dot", "image/png")}, **JSON)
    url = image.json()["uploads"][-1]["url"]
    save(alice, fields(alice, key, format="html", html=f'<p>Look <img src="{url}"></p>'))
    [saved] = drafts(fake_server)
    message = message_from_bytes(saved.raw, policy=policy.default)
    [inner] = [p for p in message.iter_attachments()
               if p.get_content_type() == "message/rfc822"]
    assert inner.get_content()["Subject"] == "Minutes"
    [png] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert png.get_content() == b"\x89PNG dot"
    assert re.search(r'src="cid:[0-9a-f]{32}@heron"', message.get_body(("html",)).get_content())

    age_uploads(key)
    purge()
    page = alice.get("/mail/compose/", {"draft": saved.uid, "mailbox": "Drafts"})
    assert url in page.content.decode().replace("&amp;", "&"), "the image is in the editor"
    shown = alice.get(url)
    assert b"".join(shown.streaming_content) == b"\x89PNG dot"
    save(alice, fields(alice, key, version=1, format="html",
                       html=f'<p>Look again <img src="{url}"></p>'))
    [again] = drafts(fake_server)
    message = message_from_bytes(again.raw, policy=policy.default)
    assert [p.get_content()["Subject"] for p in message.iter_attachments()
            if p.get_content_type() == "message/rfc822"] == ["Minutes"]
    assert [p.get_content() for p in message.walk()
            if p.get_content_type() == "image/png"] == [b"\x89PNG dot"]


def test_carol_gets_404_for_alices_evicted_upload(alice, fake_server):
    made = evicted(alice, "every byte.bin", EVERY_BYTE)
    carol = Client()
    assert log_in(carol, "carol@heron.test").status_code == 302
    assert carol.get(f"/attachments/{made['id']}/").status_code == 404
