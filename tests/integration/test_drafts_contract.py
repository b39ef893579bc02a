"""Drafts on every kind of server: saved, replaced, reopened and discarded."""
import io
import re
import uuid
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from attachments.models import Upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def drafts_with(conn, folder, word):
    conn.select_folder(folder, readonly=True)
    return conn.search(["SUBJECT", word])


def test_a_draft_is_replaced_on_each_save_reopened_and_discarded(heron, account):
    word = f"draft{uuid.uuid4().hex[:8]}"
    page = heron.get("/mail/compose/").content.decode()
    key = re.search(r'name="draft" value="([0-9a-f]{32})"', page).group(1)
    identity = re.search(r'<option value="(\d+)"[^>]*selected', page).group(1)
    fields = {"draft": key, "identity": identity, "to": "someone@example.org",
              "subject": f"Plans {word}", "body": "Ünïcode first version", "format": "text"}
    for version, body in enumerate(["Ünïcode first version", "second version"]):
        saved = heron.post("/mail/compose/save/", dict(fields, version=version, body=body),
                           HTTP_ACCEPT="application/json")
        assert saved.json() == {"version": version + 1}, saved.content
    conn = account.connect()
    try:
        drafts = next(f["name"] for f in heron.get("/api/mailboxes/").json()["mailboxes"]
                      if f["role"] == "drafts")
        [uid] = drafts_with(conn, drafts, word)
        reopened = heron.get(f"/mail/compose/?draft={uid}&mailbox={drafts}").content.decode()
        assert f'value="{key}"' in reopened and "second version" in reopened
        assert 'value="someone@example.org"' in reopened
        heron.post("/mail/compose/discard/", {"draft": key})
        assert drafts_with(conn, drafts, word) == []
    finally:
        conn.logout()


def test_a_draft_carries_its_files_through_saves_purge_and_reopening(heron, account):
    """On every server: the files are in each saved version (CATENATE copies them where the
    server has it; the demo server gets them sent again), reopening after purge_uploads
    evicted them brings them back, and the next save still holds them byte for byte."""
    data = bytes(range(256)) * 512
    word = f"files{uuid.uuid4().hex[:8]}"
    page = heron.get("/mail/compose/").content.decode()
    key = re.search(r'name="draft" value="([0-9a-f]{32})"', page).group(1)
    identity = re.search(r'<option value="(\d+)"[^>]*selected', page).group(1)
    heron.post("/attachments/upload/", {"draft": key, "file": SimpleUploadedFile(
        "all bytes.bin", data, "application/octet-stream")}, HTTP_ACCEPT="application/json")
    fields = {"draft": key, "identity": identity, "to": "someone@example.org",
              "subject": f"Files {word}", "body": "first", "format": "text"}

    def save(version, body):
        saved = heron.post("/mail/compose/save/", dict(fields, version=version, body=body),
                           HTTP_ACCEPT="application/json")
        assert saved.json() == {"version": version + 1}, saved.content

    def files_in_drafts():
        conn.select_folder(drafts, readonly=True)
        [uid] = conn.search(["SUBJECT", word])
        raw = conn.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
        message = message_from_bytes(raw, policy=policy.default)
        return uid, {p.get_filename(): p.get_content() for p in message.iter_attachments()}

    conn = account.connect()
    try:
        drafts = next(f["name"] for f in heron.get("/api/mailboxes/").json()["mailboxes"]
                      if f["role"] == "drafts")
        save(0, "first")
        save(1, "second")
        uid, found = files_in_drafts()
        assert found == {"all bytes.bin": data}
        Upload.objects.filter(draft=key).update(created=timezone.now() - timedelta(hours=99))
        call_command("purge_uploads", stdout=io.StringIO())
        assert Upload.objects.get(draft=key).evicted

        reopened = heron.get(f"/mail/compose/?draft={uid}&mailbox={drafts}").content.decode()
        assert "all bytes.bin" in reopened
        save(2, "third")
        assert files_in_drafts()[1] == {"all bytes.bin": data}
        heron.post("/mail/compose/discard/", {"draft": key})
        assert drafts_with(conn, drafts, word) == []
        assert not Upload.objects.filter(draft=key).exists()
    finally:
        conn.logout()
