"""Drafts carry their files, against the stack: the saved draft in Dovecot holds every
attachment, purge_uploads leaves storage without a copy, and the draft reopened days later
sends every file byte for byte; another mail program finds the files as MIME parts."""
import base64
import io
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.core.management import call_command
from django.utils import timezone

from attachments import storage
from attachments.models import Upload
from tests.integration.test_compose_flow import (  # noqa: F401
    ALICE,
    BOB,
    compose_page,
    delivered,
    form_fields,
    parsed,
    person,
    token,
    upload,
)
from webmail.imap import adapter

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
# Every byte value, in a file of 1 MB; and a text with non-ASCII words and both line ends.
EVERY_BYTE = bytes(range(256)) * 4096
NOTES = "Tagesordnung: Übersicht, 写真, tabs\tand\r\nline ends\n".encode() * 200


def save(client, fields):
    response = client.post("/mail/compose/save/", fields, HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content[:500]
    return str(response.json()["version"])


@pytest.fixture
def catenated(monkeypatch):
    """Bytes Heron sent in each APPEND CATENATE (its TEXT pieces), in order."""
    sent = []
    real = adapter.append_catenate

    def append_catenate(client, catenate):
        sent.append(sum(len(p) for p in catenate.pieces if not isinstance(p, str)))
        return real(client, catenate)

    monkeypatch.setattr(adapter, "append_catenate", append_catenate)
    return sent


def test_a_draft_aged_past_the_purge_reopens_and_sends_every_file_byte_identical(
        person, direct_imap, token):
    alice = person(ALICE)
    fields = form_fields(compose_page(alice))
    key = fields["draft"]
    upload(alice, key, "every byte.bin", EVERY_BYTE)
    upload(alice, key, "Notizen 写真.txt", NOTES, "text/plain")
    fields.update(to=f"Bob <{BOB}>", subject=f"Files {token}", body="Both files, please.")
    fields["version"] = save(alice, fields)
    fields["version"] = save(alice, dict(fields, body="Both files, please. Thanks!"))
    Upload.objects.filter(draft=key).update(created=timezone.now() - timedelta(hours=100))

    call_command("purge_uploads", stdout=io.StringIO())

    uploads = list(Upload.objects.filter(draft=key))
    assert len(uploads) == 2 and all(u.evicted for u in uploads)
    assert not any(storage.has_bytes(u) for u in uploads), "storage keeps no copy"
    alice_imap = direct_imap(ALICE)
    [uid] = delivered(alice_imap, "Drafts", "SUBJECT", token)
    page = compose_page(alice, f"?draft={uid}&mailbox=Drafts")
    assert "every byte.bin" in page and "Notizen 写真.txt" in page
    reopened = form_fields(page)
    assert reopened["draft"] == key and reopened["version"] == "2"
    response = alice.post("/mail/compose/send/", reopened, follow=True)
    assert "Message sent." in response.content.decode()

    bob_imap = direct_imap(BOB)
    [got] = delivered(bob_imap, "INBOX", "SUBJECT", token)
    files = {p.get_filename(): p.get_payload(decode=True)
             for p in parsed(bob_imap, got).iter_attachments()}
    assert files == {"every byte.bin": EVERY_BYTE, "Notizen 写真.txt": NOTES}
    assert delivered(alice_imap, "Drafts", "SUBJECT", token, timeout=0) == []
    assert not Upload.objects.filter(draft=key).exists()


def test_another_mail_program_finds_the_files_in_the_saved_draft(
        person, direct_imap, token, catenated):
    alice = person(ALICE)
    fields = form_fields(compose_page(alice))
    key = fields["draft"]
    upload(alice, key, "every byte.bin", EVERY_BYTE)
    upload(alice, key, "notes.txt", NOTES, "text/plain")
    fields.update(to=BOB, subject=f"Seen elsewhere {token}", body="Files inside.")
    fields["version"] = save(alice, fields)
    save(alice, dict(fields, body="Files inside, and one more word."))

    conn = direct_imap(ALICE)
    [uid] = delivered(conn, "Drafts", "SUBJECT", token)
    children = len(conn.fetch([uid], ["BODYSTRUCTURE"])[uid][b"BODYSTRUCTURE"][0])
    found = {}
    for section in map(str, range(1, children + 1)):
        answer = conn.fetch([uid], [f"BODY.PEEK[{section}.MIME]", f"BODY.PEEK[{section}]"])[uid]
        head = message_from_bytes(answer[f"BODY[{section}.MIME]".encode()],
                                  policy=policy.default)
        if head.get_filename():
            assert head["Content-Transfer-Encoding"] == "base64"
            found[head.get_filename()] = base64.b64decode(answer[f"BODY[{section}]".encode()])
            assert Upload.objects.get(draft=key, name=head.get_filename()).saved_section == (
                section), "Heron knows where the server keeps it"
    assert found == {"every byte.bin": EVERY_BYTE, "notes.txt": NOTES}
    # The second save sent the text again, not the files: the server copied them.
    [second] = catenated
    assert second < 5000 < len(EVERY_BYTE)
