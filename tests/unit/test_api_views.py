"""The JSON API's poll and search, through the in-memory mail server: a page learns of new
and read mail without a reload, whatever the server offers."""
import pytest
from django.test import Client

from tests.unit.conftest import log_in

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"


def arrive(server, subject="New"):
    return server.folder(ALICE, "INBOX").append(f"Subject: {subject}\r\n\r\nhi\r\n".encode())


def test_a_poll_tells_of_mail_that_arrived_and_mail_read(alice, fake_server):
    assert alice.get("/api/poll/").json() == {"mailbox": "INBOX", "total": 120,
                                              "unread": 40, "uidnext": 121}
    arrive(fake_server)
    alice.post("/mail/actions/", {"action": "read", "mailbox": "INBOX", "uids": [3, 6]})
    assert alice.get("/api/poll/").json() == {"mailbox": "INBOX", "total": 121,
                                              "unread": 39, "uidnext": 122}


def test_with_list_status_a_poll_brings_every_folders_counts(alice, fake_server):
    fake_server.capabilities.add("LIST-STATUS")
    arrive(fake_server)
    answer = alice.get("/api/poll/", {"mailbox": "Projects"}).json()
    assert (answer["mailbox"], answer["total"], answer["uidnext"]) == ("Projects", 2, None)
    assert {"name": "INBOX", "unread": 41, "total": 121} in answer["folders"]


@pytest.mark.parametrize("capabilities", [(), ("LIST-STATUS",)])
def test_a_poll_of_a_missing_folder_is_a_404(alice, fake_server, capabilities):
    fake_server.capabilities.update(capabilities)
    response = alice.get("/api/poll/", {"mailbox": "Nope"})
    assert response.status_code == 404 and response.json()["error"]


def test_the_api_searches_the_folder(alice):
    data = alice.get("/api/messages/", {"mailbox": "INBOX", "q": "Message 11",
                                        "scope": "subject"}).json()
    assert [m["uid"] for m in data["messages"]] == [119, 118, 117, 116, 115, 114, 113, 112,
                                                    111, 110, 11]


def test_the_api_searches_every_folder(alice):
    data = alice.get("/api/messages/", {"q": "Message 70", "scope": "subject",
                                        "where": "everywhere"}).json()
    assert {(m["mailbox"], m["uid"]) for m in data["messages"]} == {
        ("INBOX", 70), ("Projects", 700), ("Projects", 701)}


def test_the_poll_needs_get_and_login(alice, client):
    assert alice.post("/api/poll/").status_code == 405
    client.logout()
    assert client.get("/api/poll/").status_code == 401


def test_carol_gets_404_polling_alices_folder(alice, fake_server):
    carol = Client()
    log_in(carol, "carol@heron.test")
    assert carol.get("/api/poll/", {"mailbox": "Projects"}).status_code == 404
    assert carol.get("/api/poll/").json()["total"] == 2
