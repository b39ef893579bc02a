"""Drafts on every kind of server: saved, replaced, reopened and discarded."""
import re
import uuid

import pytest

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
