"""A server that refers a folder to another server (`NO [REFERRAL imap://…]`, RFC 2193, as a
Cyrus Murder frontend answers after RLIST) and one whose folders are all missing for a
moment (a Murder moving the user to another backend): the user reads a clear, translated
message, never a 500, and never "that folder does not exist" for a folder that will be back.

The wire is a stand-in imapclient under the real Connection and Selection; the pages go
through the in-memory mail server (tests/fakes/), whose folders may be "elsewhere"."""
import pytest
from django.utils import translation
from imapclient.exceptions import IMAPClientError

from webmail.imap.connection import Connection, refusal
from webmail.imap.errors import (
    MailboxElsewhere,
    MailboxNotFound,
    MailServerUnavailable,
    ServerRefused,
)
from webmail.imap.selection import Selection
from webmail.imap.types import ServerConfig

ALICE = "alice@heron.test"
SHARED = "Other Users/hal/Projects"
REFERRED = ("select failed: [REFERRAL imap://;AUTH=*@127.0.0.1:51172/user/hal/Projects] "
            "Remote mailbox.")
ELSEWHERE = "That folder is kept on another mail server, which Heron cannot open from here."
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.mark.parametrize("text, kind, logged", [
    (REFERRED, MailboxElsewhere, "select_folder referred to 127.0.0.1:51172"),
    ("select failed: [referral imap://b2.example/INBOX] Elsewhere", MailboxElsewhere,
     "select_folder referred to b2.example"),
    ("select failed: [REFERRAL] gone", MailboxElsewhere, "select_folder referred to another"),
    ("select failed: Mailbox does not exist", ServerRefused, "Mailbox does not exist"),
    ("select failed: REFERRAL in the text is no response code", ServerRefused, "REFERRAL"),
])
def test_a_referral_is_told_from_other_refusals_and_logs_no_mailbox_name(text, kind, logged):
    error = refusal("select_folder", text)
    assert type(error) is kind and logged in str(error)
    assert "hal" not in str(error) or kind is ServerRefused


class Client:
    """The imapclient methods a SELECT and its check of the INBOX use; each folder either
    answers or refuses with the given text."""

    def __init__(self, refusals):
        self.refusals = refusals
        self.sent = []

    def has_capability(self, capability):
        return False

    def _answer(self, command, mailbox):
        self.sent.append((command, mailbox))
        if mailbox in self.refusals:
            raise IMAPClientError(self.refusals[mailbox])

    def select_folder(self, mailbox, readonly=False):
        self._answer("SELECT", mailbox)
        return {b"UIDVALIDITY": 7, b"UIDNEXT": 4, b"EXISTS": 3}

    def folder_status(self, mailbox, items):
        self._answer("STATUS", mailbox)
        return {b"MESSAGES": 3}


def selection(refusals):
    conn = Connection(ServerConfig("imap.test", 143, "none"))
    conn._client = Client(refusals)
    return Selection(conn), conn._client


def test_a_referred_folder_is_elsewhere_not_missing():
    sel, client = selection({SHARED: REFERRED})
    with pytest.raises(MailboxElsewhere) as raised:
        sel.select(SHARED)
    with translation.override("en"):
        assert str(raised.value.user_message) == ELSEWHERE
    assert client.sent == [("SELECT", SHARED)] and sel.folder is None


def test_a_folder_refused_while_the_inbox_is_there_does_not_exist():
    sel, client = selection({"Gone": "select failed: Mailbox does not exist"})
    with pytest.raises(MailboxNotFound):
        sel.select("Gone")
    assert client.sent == [("SELECT", "Gone"), ("STATUS", "INBOX")]


@pytest.mark.parametrize("mailbox", ["INBOX", "Archive"])
def test_every_folder_refused_with_the_inbox_is_a_server_to_try_again(mailbox):
    missing = "failed: Mailbox does not exist"
    sel, client = selection({"INBOX": missing, "Archive": missing})
    with pytest.raises(MailServerUnavailable):
        sel.select(mailbox)
    assert client.sent[0] == ("SELECT", mailbox) and len(client.sent) == (
        1 if mailbox == "INBOX" else 2)


@pytest.fixture
def referring(fake_server, alice):
    fake_server.account(ALICE).elsewhere[SHARED] = "127.0.0.1:51172"
    return alice


def test_opening_a_referred_folder_is_a_clear_page_and_a_clear_api_error(referring):
    page = referring.get("/mail/", {"mailbox": SHARED})
    assert page.status_code == 502 and ELSEWHERE in page.content.decode()
    api = referring.get("/api/messages/", {"mailbox": SHARED})
    assert api.status_code == 502 and api.json() == {"error": ELSEWHERE}


def test_moving_to_a_referred_folder_says_why_and_moves_nothing(referring, fake_server):
    moved = referring.post("/mail/actions/", {"action": "move", "uids": [1], "mailbox": "INBOX",
                                              "target": SHARED}, **JSON)
    assert moved.status_code == 409 and moved.json() == {"error": ELSEWHERE}
    assert 1 in fake_server.folder(ALICE, "INBOX").messages


def test_the_message_is_in_the_users_language(referring):
    page = referring.get("/mail/", {"mailbox": SHARED}, HTTP_ACCEPT_LANGUAGE="de")
    assert "Dieser Ordner liegt auf einem anderen Mailserver" in page.content.decode()
