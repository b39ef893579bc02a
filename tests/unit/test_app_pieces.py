"""Small things people expect: an installable app (manifest, icons), Heron offered as the
browser's mailto: handler, a conversation acted on and printed as a whole."""
import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"


def test_the_manifest_makes_heron_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = response.json()
    assert data["start_url"] == "/mail/" and data["display"] == "standalone"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        path = icon["src"].removeprefix("/static/")
        assert finders.find(path), f"{icon['src']} is shipped"
    assert data["protocol_handlers"] == [{"protocol": "mailto",
                                          "url": "/mail/compose/?mailto=%s"}]


def test_every_page_links_the_manifest_and_an_icon(alice):
    page = alice.get("/mail/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert re.search(r'<link rel="icon" href="/static/icons/heron-192\.png"', page)


def test_settings_offer_heron_as_the_mailto_handler(alice):
    page = alice.get("/accounts/settings/").content.decode()
    assert "Open mailto: links with Heron" in page
    assert 'data-url="/mail/compose/"' in page and "js/handler.js" in page
    assert "Turn on desktop notifications" in page
    assert "js/notify.js" in alice.get("/mail/").content.decode()


def thread(fake_server):
    """Message 2 of Alice's inbox with a reply: a conversation of two."""
    inbox = fake_server.folder(ALICE, "INBOX")
    reply = inbox.append(b"From: Bo <bo@x.test>\r\nSubject: Re: Message 2\r\n"
                         b"In-Reply-To: <fake-2@fake.test>\r\n"
                         b"Date: Fri, 02 Jan 2026 00:00:00 +0000\r\n\r\nYes\r\n")
    return [2, reply]


def test_a_conversation_offers_reply_archive_delete_and_print(alice, fake_server):
    uids = thread(fake_server)
    page = alice.get(f"/mail/thread/{uids[0]}/", {"mailbox": "INBOX"}).content.decode()
    for label in ("Reply to the latest message", "Reply all to the latest message",
                  "Archive the conversation", "Delete the conversation",
                  "Print the conversation"):
        assert f'aria-label="{label}"' in page
    assert f"reply={uids[1]}&amp;mailbox=INBOX" in page
    assert sorted(map(int, re.findall(r'name="uids" value="(\d+)"', page))) == sorted(uids)


def test_archiving_a_conversation_moves_all_of_it(alice, fake_server):
    uids = thread(fake_server)
    response = alice.post("/mail/actions/", {"mailbox": "INBOX", "uids": uids,
                                             "action": "archive",
                                             "next": "/mail/?mailbox=INBOX&threads=on"})
    assert response.status_code == 302
    assert not set(uids) & set(fake_server.folder(ALICE, "INBOX").messages)
    assert len(fake_server.folder(ALICE, "Archive").messages) == 2


def test_a_conversation_shows_the_users_own_replies_from_sent(alice, fake_server):
    uids = thread(fake_server)
    sent = fake_server.folder(ALICE, "Sent")
    answer = sent.append(b"From: Alice <alice@heron.test>\r\nTo: Bo <bo@x.test>\r\n"
                         b"Subject: Re: Message 2\r\nMessage-ID: <mine-1@heron.test>\r\n"
                         b"In-Reply-To: <fake-2@fake.test>\r\nReferences: <fake-2@fake.test>\r\n"
                         b"Date: Sat, 03 Jan 2026 00:00:00 +0000\r\n\r\nMy own answer\r\n")
    page = alice.get(f"/mail/thread/{uids[0]}/", {"mailbox": "INBOX"}).content.decode()
    assert "(3 messages)" in page and "My own answer" in page
    assert f"/mail/message/{answer}/?mailbox=Sent" in page
    # Acting on the conversation touches the Inbox's messages only.
    assert sorted(map(int, re.findall(r'name="uids" value="(\d+)"', page))) == sorted(uids)
    assert f"reply={answer}&amp;mailbox=Sent" in page, "Reply answers the latest, mine"
