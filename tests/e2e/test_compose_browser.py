"""Writing in Chromium: compose, attach with progress, autosave, address suggestions, send."""
import hashlib
import os
import time
import uuid
from email import message_from_bytes, policy

import pytest
from imapclient import IMAPClient

from tests.e2e.conftest import log_in
from tests.e2e.test_login_browser import stack_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ALICE, BOB = "alice@heron.test", "bob@heron.test"


def imap(user):
    conn = IMAPClient(os.environ["IMAP_HOST"], port=int(os.environ["IMAP_PORT"]), ssl=False)
    conn.login(user, stack_password(user))
    return conn


def wait_for(conn, folder, subject, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        conn.select_folder(folder)
        found = conn.search(["SUBJECT", subject])
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def remove(conn, folder, subject):
    conn.select_folder(folder)
    found = conn.search(["SUBJECT", subject])
    if found:
        conn.delete_messages(found)
        conn.expunge()


def test_compose_attach_autosave_and_send(live_server, page, tmp_path):
    subject = f"Browser compose {uuid.uuid4().hex[:8]}"
    attachment = tmp_path / "minutes.pdf"
    attachment.write_bytes(b"%PDF-1.4\n" + os.urandom(400_000))
    alice, bob = imap(ALICE), imap(BOB)
    try:
        log_in(page, live_server.url, BOB)
        page.get_by_role("link", name="Compose").click()
        page.get_by_label("To", exact=True).fill(f"Alice <{ALICE}>")
        page.get_by_label("Subject").fill(subject)
        page.get_by_label("Message", exact=True).fill("Minutes attached.\n")
        page.get_by_role("status").get_by_text("Draft saved at").wait_for(timeout=15000)
        assert wait_for(bob, "Drafts", subject), "autosave wrote the draft to Drafts"

        page.get_by_label("Files to attach").set_input_files(str(attachment))
        page.get_by_role("button", name="Remove minutes.pdf").wait_for()
        page.get_by_role("button", name="Send", exact=True).click()
        page.get_by_text("Message sent.").wait_for()

        [uid] = wait_for(alice, "INBOX", subject)
        got = message_from_bytes(alice.fetch([uid], ["RFC822"])[uid][b"RFC822"],
                                 policy=policy.default)
        [part] = list(got.iter_attachments())
        assert part.get_filename() == "minutes.pdf"
        assert hashlib.sha256(part.get_content()).digest() == hashlib.sha256(
            attachment.read_bytes()).digest()
        assert wait_for(bob, "Drafts", subject, timeout=0) == [], "the draft is gone"

        # Alice is now someone Bob wrote to: the To field suggests her.
        page.get_by_role("link", name="Compose").click()
        page.get_by_label("To", exact=True).press_sequentially("ali")
        page.get_by_role("option", name=f"{ALICE}").click()
        assert ALICE in page.get_by_label("To", exact=True).input_value()
    finally:
        for conn, folders in ((alice, ("INBOX",)), (bob, ("Sent", "Drafts"))):
            for folder in folders:
                remove(conn, folder, subject)
            conn.logout()


def test_rich_text_is_sent_with_a_plain_text_alternative(live_server, page):
    subject = f"Rich {uuid.uuid4().hex[:8]}"
    alice = imap(ALICE)
    try:
        log_in(page, live_server.url, BOB)
        page.goto(f"{live_server.url}/mail/compose/")
        page.get_by_label("To", exact=True).fill(ALICE)
        page.get_by_label("Subject").fill(subject)
        page.get_by_role("radio", name="Rich text").check()
        editor = page.get_by_role("textbox", name="Message (rich text)")
        editor.click()
        page.get_by_role("button", name="Bold").click()
        page.keyboard.type("Important")
        page.get_by_role("button", name="Send", exact=True).click()
        page.get_by_text("Message sent.").wait_for()
        [uid] = wait_for(alice, "INBOX", subject)
        got = message_from_bytes(alice.fetch([uid], ["RFC822"])[uid][b"RFC822"],
                                 policy=policy.default)
        assert "<b>Important</b>" in got.get_body(("html",)).get_content()
        assert "Important" in got.get_body(("plain",)).get_content()
    finally:
        remove(alice, "INBOX", subject)
        alice.logout()


def test_choosing_another_identity_swaps_its_signature(live_server, page, django_user_model):
    log_in(page, live_server.url, BOB)
    from accounts.identities import default_identity
    from accounts.models import Identity

    user = django_user_model.objects.get(username=BOB)
    main = default_identity(user)
    main.signature = "Bob\nHeron team"
    main.save()
    Identity.objects.create(user=user, name="Bob at home", email="bob.home@heron.test",
                            signature="Sent from my kitchen",
                            confirmed_email="bob.home@heron.test")
    page.goto(f"{live_server.url}/mail/compose/")
    message = page.get_by_label("Message", exact=True)
    assert message.input_value().endswith("-- \nBob\nHeron team")
    page.get_by_label("From").select_option(label="Bob at home <bob.home@heron.test>")
    assert message.input_value().endswith("-- \nSent from my kitchen")
    assert "Heron team" not in message.input_value()
