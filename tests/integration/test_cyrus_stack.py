"""The stack's Cyrus IMAP holds the same users, folders and seeded mail as its Dovecot.

Heron's IMAP layer is tested against both servers, so they must start out alike: same
logins, special folders flagged for SPECIAL-USE, the same non-ASCII folder names and the
same seeded messages.
"""
import os
import re
from contextlib import contextmanager

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from webmail.imap.types import ServerConfig

pytestmark = pytest.mark.integration
ALICE = "alice@heron.test"
SPECIAL_FOLDERS = {
    "Drafts": b"\\drafts",
    "Sent": b"\\sent",
    "Trash": b"\\trash",
    "Junk": b"\\junk",
    "Archive": b"\\archive",
}


@pytest.fixture(scope="session")
def cyrus():
    host = os.environ.get("CYRUS_IMAP_HOST")
    if not host:
        pytest.fail("CYRUS_IMAP_HOST is not set: the Cyrus tests need the service stack. Run "
                    "`make services` and `set -a; . .stack/env; set +a` first.")
    return ServerConfig(host, int(os.environ.get("CYRUS_IMAP_PORT", "143")),
                        os.environ.get("CYRUS_IMAP_SECURITY", "none"))


@contextmanager
def logged_in(server, user, password):
    client = IMAPClient(server.host, port=server.port, ssl=server.security == "ssl", timeout=10)
    try:
        if server.security == "starttls":
            client.starttls()
        client.login(user, password)
    except BaseException:
        client.shutdown()
        raise
    try:
        yield client
    finally:
        client.logout()


def seeded_message_ids(client, user):
    """Message-IDs in INBOX that deploy/stack/seed.py wrote (tests deliver more mail)."""
    client.select_folder("INBOX", readonly=True)
    uids = client.search()
    if not uids:
        return []
    seeded = re.compile(rb"<[0-9a-f]{16}\." + re.escape(user.split("@")[0].encode()) + rb"@")
    envelopes = client.fetch(uids, ["ENVELOPE"])
    ids = (data[b"ENVELOPE"].message_id or b"" for data in envelopes.values())
    return sorted(mid for mid in ids if seeded.match(mid))


def test_every_stack_user_logs_in_to_cyrus_with_the_full_address(cyrus, stack_users):
    for user, password in stack_users.items():
        with logged_in(cyrus, user, password) as client:
            assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] > 0, user


def test_cyrus_refuses_a_wrong_password(cyrus, stack_users):
    with pytest.raises(LoginError):
        with logged_in(cyrus, ALICE, "not-" + stack_users[ALICE]):
            pass


def test_alices_special_folders_carry_their_special_use_flag(cyrus, stack_users):
    with logged_in(cyrus, ALICE, stack_users[ALICE]) as client:
        assert b"SPECIAL-USE" in client.capabilities()
        # IMAP flags are case-insensitive, and Cyrus names these in lower case
        flags = {name: {flag.lower() for flag in folder_flags}
                 for folder_flags, _, name in client.list_folders()}
    for name, flag in SPECIAL_FOLDERS.items():
        assert name in flags, f"{name} is missing on Cyrus"
        assert flag in flags[name], f"{name} lacks {flag!r}: {sorted(flags[name])}"


def test_alices_non_ascii_folders_show_their_decoded_names(cyrus, stack_users):
    with logged_in(cyrus, ALICE, stack_users[ALICE]) as client:
        listing = client.list_folders()
    names = {name for _, _, name in listing}
    assert {"Projects", "Projects/Heron", "Projects/Été 2026", "Reçus"} <= names
    assert {delimiter for _, delimiter, _ in listing} == {b"/"}


def test_alices_inbox_on_cyrus_holds_the_same_seeded_mail_as_on_dovecot(
        cyrus, dovecot, stack_users):
    """Counted over the seeded messages: other tests deliver into Dovecot's INBOX."""
    with logged_in(cyrus, ALICE, stack_users[ALICE]) as client:
        on_cyrus = seeded_message_ids(client, ALICE)
    with logged_in(dovecot, ALICE, stack_users[ALICE]) as client:
        on_dovecot = seeded_message_ids(client, ALICE)
    assert on_dovecot, "Dovecot's INBOX holds no seeded mail"
    assert len(on_cyrus) == len(on_dovecot)
    assert on_cyrus == on_dovecot
