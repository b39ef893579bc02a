"""Mark as read on the stack's Dovecot: with "never", opening a message through Heron (page,
pane and conversation) leaves \\Seen off, as another mail program sees it over IMAP; with
the default, opening it sets \\Seen; Mark read then sets it when the user asks."""
import uuid

import pytest
from django.contrib.auth import get_user_model

from accounts.preferences import choose
from tests.integration import mailfactory as mf
from tests.integration.conftest import log_in
from webmail import mail

pytestmark = [pytest.mark.integration]
ALICE = "alice@heron.test"


@pytest.fixture
def unread(direct_imap):
    """A fresh unread message in alice's Inbox (uid), removed afterwards; the connection."""
    conn = direct_imap(ALICE)
    message_id = f"<prefs-{uuid.uuid4().hex}@test.heron>"
    conn.append("INBOX", mf.message(subject="Leave me unread", days=-3000,
                                    message_id=message_id,
                                    to="Alice <alice@heron.test>").as_bytes(), ())
    conn.select_folder("INBOX")
    uid = conn.search(["HEADER", "Message-ID", message_id])[0]
    yield uid, conn
    mail.POOL.clear()
    conn.select_folder("INBOX")
    conn.delete_messages([uid])
    conn.expunge()


def seen(conn, uid):
    conn.select_folder("INBOX")
    return b"\\Seen" in conn.get_flags([uid])[uid]


@pytest.fixture
def heron(client, stack_users, db):
    assert log_in(client, ALICE, stack_users[ALICE]).status_code == 302
    return client


def test_mark_as_read_never_keeps_seen_off_on_dovecot(heron, unread):
    uid, conn = unread
    choose(get_user_model().objects.get(username=ALICE), {"mark_read": "never"})
    assert heron.get(f"/mail/message/{uid}/", {"mailbox": "INBOX"}).status_code == 200
    assert heron.get(f"/mail/message/{uid}/", {"mailbox": "INBOX"},
                     HTTP_HX_REQUEST="true").status_code == 200
    assert heron.get(f"/mail/thread/{uid}/", {"mailbox": "INBOX"}).status_code == 200
    assert not seen(conn, uid)
    heron.post("/mail/actions/", {"mailbox": "INBOX", "uids": str(uid), "action": "read"})
    assert seen(conn, uid)


def test_mark_as_read_at_once_sets_seen_on_dovecot(heron, unread):
    uid, conn = unread
    assert heron.get(f"/mail/message/{uid}/", {"mailbox": "INBOX"}).status_code == 200
    assert seen(conn, uid)
