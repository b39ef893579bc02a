"""Reading: a message, its body frame, its conversation, and trusting a sender's images,
through the in-memory mail server, which remembers what was read."""
import re

import pytest
from django.test import Client

from accounts.models import TrustedSender
from tests.unit.conftest import log_in

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"


def seen(server, uid, folder="INBOX"):
    return "\\Seen" in server.folder(ALICE, folder).messages[uid].flags


def test_opening_a_message_marks_it_read_in_the_list(alice, fake_server):
    assert not seen(fake_server, 6)
    assert alice.get("/mail/message/6/", {"mailbox": "INBOX"}).status_code == 200
    assert seen(fake_server, 6)
    row = alice.get("/mail/", {"page": 3}).content.decode().split('data-uid="6"')[1]
    assert 'aria-label="Unread"' not in row.split("</tr>")[0]


def test_the_body_frame_shows_the_body_and_leaves_the_message_unread(alice, fake_server):
    response = alice.get("/mail/message/6/body/", {"mailbox": "INBOX"})
    assert "Body of Message 6" in response.content.decode()
    assert "sandbox" in response["Content-Security-Policy"]
    assert not seen(fake_server, 6)


def test_a_message_links_to_its_neighbours_in_the_list(alice):
    page = alice.get("/mail/message/60/", {"mailbox": "INBOX"}).content.decode()
    assert re.search(r'rel="prev" href="/mail/message/61/', page)
    assert re.search(r'rel="next" href="/mail/message/59/', page)


def test_a_reply_is_read_together_with_its_original(alice, fake_server):
    reply = fake_server.folder(ALICE, "INBOX").append(
        b"From: Bob <bob@x.test>\r\nSubject: Re: Message 6\r\n"
        b"In-Reply-To: <fake-6@fake.test>\r\nDate: Fri, 09 Jan 2026 00:00:00 +0000\r\n\r\n"
        b"Agreed.\r\n")
    page = alice.get(f"/mail/thread/{reply}/", {"mailbox": "INBOX"}).content.decode()
    assert "Body of Message 6" in page and "Agreed." in page
    assert page.index("Body of Message 6") < page.index("Agreed.")
    assert seen(fake_server, 6) and seen(fake_server, reply)


def test_trusting_a_sender_keeps_it_for_this_user(alice):
    response = alice.post("/mail/trust-sender/", {"email": "Bob@X.test",
                                                   "next": "/mail/message/6/"})
    assert response["Location"] == "/mail/message/6/"
    assert list(TrustedSender.objects.values_list("email", flat=True)) == ["bob@x.test"]


@pytest.mark.parametrize("url", ["/mail/message/6/", "/mail/message/6/body/",
                                 "/mail/message/6/print/", "/mail/thread/6/"])
def test_reading_pages_need_get_and_login(alice, client, fake_server, url):
    assert alice.post(url).status_code == 405
    assert alice.get("/mail/trust-sender/").status_code == 405
    client.logout()
    assert client.get(url)["Location"].startswith("/accounts/login/")


def test_trusting_a_sender_needs_login(client, db):
    response = client.post("/mail/trust-sender/", {"email": "bob@x.test"})
    assert response["Location"].startswith("/accounts/login/")
    assert not TrustedSender.objects.exists()


@pytest.mark.parametrize("url", ["/mail/message/6/", "/mail/message/6/body/",
                                 "/mail/thread/6/"])
def test_carol_gets_404_for_alices_messages_and_reads_none(alice, fake_server, url):
    carol = Client()
    log_in(carol, "carol@heron.test")
    assert carol.get(url, {"mailbox": "INBOX"}).status_code == 404
    assert carol.get(url.replace("/6/", "/700/"), {"mailbox": "Projects"}).status_code == 404
    assert not seen(fake_server, 6)
