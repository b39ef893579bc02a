"""Writing mail against the stack: Heron sends over the stack's SMTP, which delivers into
Dovecot; uploads go to the S3-compatible server; drafts to the IMAP Drafts folder."""
import hashlib
import html
import os
import re
import time
import uuid
from email import message_from_bytes, policy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.integration.conftest import log_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
ALICE, BOB, CAROL = "alice@heron.test", "bob@heron.test", "carol@heron.test"
PDF = b"%PDF-1.4\n" + os.urandom(300_000)
PHOTO = os.urandom(1_200_000)


@pytest.fixture
def person(stack_users):
    def make(user):
        client = Client()
        assert log_in(client, user, stack_users[user]).status_code == 302
        return client
    return make


@pytest.fixture
def token():
    """A word unique to one test, put in subjects; its messages are removed afterwards."""
    word = f"heron{uuid.uuid4().hex[:10]}"
    yield word
    from imapclient import IMAPClient

    users = dict(item.split(":", 1) for item in os.environ["STACK_USERS"].split())
    for user in (ALICE, BOB, CAROL):
        with IMAPClient(os.environ["IMAP_HOST"], port=int(os.environ["IMAP_PORT"]),
                        ssl=False) as conn:
            conn.login(user, users[user])
            for folder in ("INBOX", "Sent", "Drafts"):
                conn.select_folder(folder)
                found = conn.search(["SUBJECT", word])
                if found:
                    conn.delete_messages(found)
                    conn.expunge()


def compose_page(client, query=""):
    response = client.get(f"/mail/compose/{query}")
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def form_fields(page):
    """The compose form's values as the browser would post them."""
    fields = {}
    for name in ("draft", "version", "in_reply_to", "references", "answers", "forwards",
                 "html"):
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
        fields[name] = _unescape(found.group(1)) if found else ""
    for name in ("to", "cc", "bcc", "subject"):
        found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
        value = re.search(r'value="([^"]*)"', found.group(0)) if found else None
        fields[name] = _unescape(value.group(1)) if value else ""
    body = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', page, re.S)
    fields["body"] = _unescape(body.group(1)).lstrip("\n") if body else ""
    fields["identity"] = re.search(r'<option value="(\d+)"[^>]*selected', page).group(1)
    fields["format"] = "text"
    return fields


def _unescape(text):
    return html.unescape(text)


def upload(client, draft, name, data, content_type="application/octet-stream"):
    response = client.post("/attachments/upload/", {
        "draft": draft, "file": SimpleUploadedFile(name, data, content_type)},
        HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    return response.json()["uploads"][-1]


def delivered(conn, folder, *criteria, timeout=15):
    """UIDs matching criteria in folder, waiting for delivery to finish."""
    deadline = time.monotonic() + timeout
    while True:
        conn.select_folder(folder, readonly=True)
        found = conn.search(list(criteria))
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def parsed(conn, uid):
    return message_from_bytes(conn.fetch([uid], ["RFC822"])[uid][b"RFC822"],
                              policy=policy.default)


def test_alice_sends_bob_two_attachments_and_he_downloads_them_unchanged(
        person, direct_imap, token):
    alice, bob = person(ALICE), person(BOB)
    fields = form_fields(compose_page(alice))
    upload(alice, fields["draft"], "Quarterly report.pdf", PDF, "application/pdf")
    upload(alice, fields["draft"], "Fotó 写真.jpg", PHOTO, "image/jpeg")
    fields.update(to=f"Bob <{BOB}>", subject=f"Numbers {token}", body="Both files attached.")
    response = alice.post("/mail/compose/send/", fields, follow=True)
    assert "Message sent." in response.content.decode()

    bob_imap = direct_imap(BOB)
    [uid] = delivered(bob_imap, "INBOX", "SUBJECT", token)
    listing = bob.get(f"/api/messages/?q={token}").json()["messages"]
    assert [m["subject"] for m in listing] == [f"Numbers {token}"]
    page = bob.get(listing[0]["url"]).content.decode()
    assert "Both files attached." in page
    links = {html.unescape(name): html.unescape(url) for url, name in re.findall(
        r'href="(/mail/message/\d+/part/[^"]+)" download aria-label="Download ([^"]+)"', page)}
    got = {}
    for name in ("Quarterly report.pdf", "Fotó 写真.jpg"):
        url = links[name]
        download = bob.get(url)
        got[name] = hashlib.sha256(b"".join(download.streaming_content)).hexdigest()
    assert got == {"Quarterly report.pdf": hashlib.sha256(PDF).hexdigest(),
                   "Fotó 写真.jpg": hashlib.sha256(PHOTO).hexdigest()}
    alice_imap = direct_imap(ALICE)
    assert delivered(alice_imap, "Sent", "SUBJECT", token), "a copy is filed in Sent"
    from attachments.models import Upload
    assert not Upload.objects.filter(draft=fields["draft"]).exists(), "uploads are removed"


def test_reply_and_reply_all_thread_and_mark_the_original_answered(person, direct_imap, token):
    alice, bob = person(ALICE), person(BOB)
    fields = form_fields(compose_page(alice))
    fields.update(to=BOB, cc=CAROL, subject=f"Lunch {token}", body="Noon?\nAt the usual place.")
    alice.post("/mail/compose/send/", fields)
    bob_imap = direct_imap(BOB)
    [uid] = delivered(bob_imap, "INBOX", "SUBJECT", token)
    original = parsed(bob_imap, uid)

    reply = form_fields(compose_page(bob, f"?reply={uid}&mailbox=INBOX&all=1"))
    assert reply["subject"] == f"Re: Lunch {token}"
    assert ALICE in reply["to"] and CAROL in reply["cc"] and BOB not in reply["to"] + reply["cc"]
    assert reply["in_reply_to"] == original["Message-ID"]
    assert "> Noon?" in reply["body"] and "wrote:" in reply["body"]
    reply["body"] = "Yes!\n" + reply["body"]
    assert "Message sent." in bob.post("/mail/compose/send/", reply, follow=True).content.decode()

    bob_imap.select_folder("INBOX", readonly=True)
    assert b"\\Answered" in bob_imap.get_flags([uid])[uid]
    alice_imap = direct_imap(ALICE)
    [answer] = delivered(alice_imap, "INBOX", "SUBJECT", f"Re: Lunch {token}")
    got = parsed(alice_imap, answer)
    assert got["In-Reply-To"] == original["Message-ID"]
    assert original["Message-ID"] in got["References"]
    again = form_fields(compose_page(alice, f"?reply={answer}&mailbox=INBOX"))
    assert again["subject"] == f"Re: Lunch {token}", "Re: does not pile up"


def test_forward_carries_the_attachments_and_flags_the_original(person, direct_imap, token):
    alice, bob = person(ALICE), person(BOB)
    fields = form_fields(compose_page(alice))
    upload(alice, fields["draft"], "plan.pdf", PDF, "application/pdf")
    fields.update(to=BOB, subject=f"Plan {token}", body="See the plan.")
    alice.post("/mail/compose/send/", fields)
    bob_imap = direct_imap(BOB)
    [uid] = delivered(bob_imap, "INBOX", "SUBJECT", token)

    opened = bob.post("/mail/compose/forward/", {"uid": uid, "mailbox": "INBOX"}, follow=True)
    page = opened.content.decode()
    forward = form_fields(page)
    assert forward["subject"] == f"Fwd: Plan {token}"
    assert "plan.pdf" in page and "Forwarded message" in forward["body"]
    forward["to"] = CAROL
    assert "Message sent." in bob.post("/mail/compose/send/", forward,
                                       follow=True).content.decode()
    bob_imap.select_folder("INBOX", readonly=True)
    assert b"$Forwarded" in bob_imap.get_flags([uid])[uid]
    carol_imap = direct_imap(CAROL)
    [got] = delivered(carol_imap, "INBOX", "SUBJECT", f"Fwd: Plan {token}")
    files = [p for p in parsed(carol_imap, got).iter_attachments()]
    assert [(p.get_filename(), hashlib.sha256(p.get_content()).hexdigest()) for p in files] == [
        ("plan.pdf", hashlib.sha256(PDF).hexdigest())]

    as_file = form_fields(bob.post("/mail/compose/forward/", {
        "uid": uid, "mailbox": "INBOX", "as": "eml"}, follow=True).content.decode())
    as_file["to"] = CAROL
    bob.post("/mail/compose/send/", as_file)
    [wrapped] = delivered(carol_imap, "INBOX", "SUBJECT", f"Fwd: Plan {token}", "LARGER", "1")[-1:]
    inner = [p for p in parsed(carol_imap, wrapped).iter_attachments()
             if p.get_content_type() == "message/rfc822"]
    assert inner and inner[0].get_content()["Subject"] == f"Plan {token}"


def test_a_draft_is_saved_reopened_guarded_against_a_stale_tab_and_sent(
        person, direct_imap, token):
    alice = person(ALICE)
    fields = form_fields(compose_page(alice))
    fields.update(to=f"{BOB}, not-an-address@", bcc=CAROL, subject=f"Draft {token}",
                  body="First words")
    saved = alice.post("/mail/compose/save/", fields, HTTP_ACCEPT="application/json")
    assert saved.json() == {"version": 1}
    fields.update(version="1", body="First words, then more")
    assert alice.post("/mail/compose/save/", fields,
                      HTTP_ACCEPT="application/json").json() == {"version": 2}
    alice_imap = direct_imap(ALICE)
    drafts = delivered(alice_imap, "Drafts", "SUBJECT", token)
    assert len(drafts) == 1, "each save replaces the previous version"

    stale = dict(fields, version="1", body="typed in an old tab")
    conflict = alice.post("/mail/compose/save/", stale, HTTP_ACCEPT="application/json")
    assert conflict.status_code == 409 and "another window" in conflict.json()["error"]

    reopened = form_fields(compose_page(alice, f"?draft={drafts[0]}&mailbox=Drafts"))
    assert reopened["draft"] == fields["draft"] and reopened["version"] == "2"
    assert reopened["to"] == f"{BOB}, not-an-address@" and reopened["bcc"] == CAROL
    assert reopened["body"].rstrip() == "First words, then more"

    bad = alice.post("/mail/compose/send/", reopened)
    assert bad.status_code == 422 and "not-an-address@" in bad.content.decode()
    reopened.update(to=BOB, version=form_fields(bad.content.decode())["version"])
    assert "Message sent." in alice.post("/mail/compose/send/", reopened,
                                         follow=True).content.decode()
    assert delivered(alice_imap, "Drafts", "SUBJECT", token, timeout=0) == []
    assert delivered(direct_imap(CAROL), "INBOX", "SUBJECT", token), "Bcc delivered"
    [sent] = delivered(alice_imap, "Sent", "SUBJECT", token)
    bob_imap = direct_imap(BOB)
    [bob_copy] = delivered(bob_imap, "INBOX", "SUBJECT", token)
    assert "Bcc" not in parsed(bob_imap, bob_copy), "Bcc is not shown to the recipients"
    assert parsed(alice_imap, sent)["Bcc"] == CAROL, "the Sent copy remembers the Bcc"


def test_an_smtp_refusal_shows_the_reason_and_keeps_draft_and_files(person, direct_imap, token):
    alice = person(ALICE)
    fields = form_fields(compose_page(alice))
    stored = upload(alice, fields["draft"], "keep.pdf", PDF, "application/pdf")
    fields.update(to="nobody@heron.test", subject=f"Bounce {token}", body="Hello?")
    response = alice.post("/mail/compose/send/", fields)
    page = response.content.decode()
    assert response.status_code == 422
    assert "did not accept" in page and "550" in page and "nobody@heron.test" in page
    assert "keep.pdf" in page and "Hello?" in page
    assert delivered(direct_imap(ALICE), "Drafts", "SUBJECT", token), "the draft is saved"
    from attachments.models import Upload
    assert Upload.objects.filter(id=stored["id"]).exists()


def test_a_dead_smtp_server_is_a_clear_message_and_nothing_is_lost(
        person, direct_imap, token, settings):
    alice = person(ALICE)
    from accounts.domains import forget_domain
    from tests.helpers import free_port
    settings.SMTP_PORT = free_port()
    forget_domain("heron.test")
    try:
        fields = form_fields(compose_page(alice))
        fields.update(to=BOB, subject=f"Offline {token}", body="Still here")
        response = alice.post("/mail/compose/send/", fields)
        assert response.status_code == 422
        assert "cannot be reached" in response.content.decode()
        assert delivered(direct_imap(ALICE), "Drafts", "SUBJECT", token)
    finally:
        forget_domain("heron.test")  # the next test looks the real port up again


def test_an_inline_image_survives_a_draft_and_arrives_as_a_cid_part(person, direct_imap, token):
    alice = person(ALICE)
    fields = form_fields(compose_page(alice))
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
           b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00"
           b"\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
    response = alice.post("/attachments/upload/", {
        "draft": fields["draft"], "inline": "1",
        "file": SimpleUploadedFile("dot.png", png, "image/png")}, HTTP_ACCEPT="application/json")
    image = response.json()["uploads"][-1]
    fields.update(to=BOB, subject=f"Picture {token}", format="html", body="",
                  html=f'<p>Look: <img src="{image["url"]}" alt="dot"></p>')
    assert alice.post("/mail/compose/save/", fields,
                      HTTP_ACCEPT="application/json").status_code == 200
    [uid] = delivered(direct_imap(ALICE), "Drafts", "SUBJECT", token)
    page = compose_page(alice, f"?draft={uid}&mailbox=Drafts")
    assert image["url"] in html.unescape(page), "the image is back in the editor"
    fields.update(version="1")
    assert "Message sent." in alice.post("/mail/compose/send/", fields,
                                         follow=True).content.decode()
    bob_imap = direct_imap(BOB)
    [got] = delivered(bob_imap, "INBOX", "SUBJECT", token)
    message = parsed(bob_imap, got)
    related = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert related and related[0].get_content() == png
    cid = related[0]["Content-ID"].strip("<>")
    assert f"cid:{cid}" in message.get_body(("html",)).get_content()


CONFIRM_SUBJECT = f"Confirm that you send as {CAROL}"


def _forget_links(conn):
    conn.select_folder("INBOX")
    conn.delete_messages(conn.search(["SUBJECT", CONFIRM_SUBJECT]))
    conn.expunge()


def _link_in(conn):
    [uid] = delivered(conn, "INBOX", "SUBJECT", CONFIRM_SUBJECT)
    text = parsed(conn, uid).get_content()
    _forget_links(conn)
    return re.search(r"https?://[^/\s]+(/accounts/settings/identities/\d+/confirm/\S+/)",
                     text).group(1)


def test_a_confirmed_alias_sends_and_arrives_with_that_from(person, direct_imap, token):
    """Alice also reads carol@heron.test (say, a shared mailbox): she adds it, confirms the
    link that arrives there, and sends as it."""
    from accounts.models import Identity

    alice, bob = person(ALICE), person(BOB)
    carol_imap = direct_imap(CAROL)
    _forget_links(carol_imap)
    added = alice.post("/accounts/settings/", {"name": f"Team {token}", "email": CAROL},
                       follow=True)
    assert f"a link was mailed to {CAROL}" in added.content.decode()
    link = _link_in(carol_imap)
    assert bob.get(link).status_code == 404, "only Alice can use her link"
    assert alice.get(link).status_code == 200
    assert "you can now send as" in alice.post(link, follow=True).content.decode()

    alias = Identity.objects.get(user__username=ALICE, email=CAROL)
    fields = form_fields(compose_page(alice))
    fields.update(identity=str(alias.id), to=BOB, subject=f"From the team {token}", body="Hi")
    assert "Message sent." in alice.post("/mail/compose/send/", fields,
                                         follow=True).content.decode()
    bob_imap = direct_imap(BOB)
    [uid] = delivered(bob_imap, "INBOX", "SUBJECT", token)
    got = parsed(bob_imap, uid)
    assert got["From"] == f"Team {token} <{CAROL}>"
    assert got["Return-Path"] == f"<{CAROL}>", "the envelope sender is the alias"


def test_an_unconfirmed_alias_does_not_send_and_the_draft_is_kept(
        person, direct_imap, token, django_user_model):
    from accounts import identities
    from accounts.models import Identity

    alice = person(ALICE)
    user = django_user_model.objects.get(username=ALICE)
    alias = identities.save(user, Identity(email=CAROL, name=f"Not yet {token}"))
    page = compose_page(alice)
    assert f'<option value="{alias.id}" disabled>' in page and "(not confirmed)" in page
    fields = form_fields(page)
    fields.update(identity=str(alias.id), to=BOB, subject=f"Unconfirmed {token}", body="Hi")
    response = alice.post("/mail/compose/send/", fields)
    assert response.status_code == 422
    assert f"You have not confirmed that you send as {CAROL}" in html.unescape(
        response.content.decode())
    assert delivered(direct_imap(ALICE), "Drafts", "SUBJECT", token), "the draft is saved"
    assert delivered(direct_imap(BOB), "INBOX", "SUBJECT", token, timeout=2) == []
