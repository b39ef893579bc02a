"""Following a moved message on every kind of server (webmail/imap/tracking.py): where
COPYUID says (Dovecot, Cyrus), by its Message-ID where the server says nothing (the demo
server has no UIDPLUS); and a kept UID checked by its Message-ID before it is trusted."""
import uuid

import pytest

from tests.integration import mailfactory as mf
from webmail.imap.session import MailSession

pytestmark = [pytest.mark.integration]


@pytest.fixture
def two_folders(account, scratch):
    conn, folder, append = scratch
    other = f"{folder}-b"
    conn.create_folder(other)
    session = MailSession(account.config)
    session.login(account.username, account.password)
    yield conn, folder, other, append, session
    session.close()
    conn.select_folder(folder)
    conn.delete_folder(other)


def test_a_moved_message_is_found_where_it_went(two_folders):
    conn, folder, other, append, session = two_folders
    ids = [f"<track-{uuid.uuid4().hex}@test.heron>" for _ in range(2)]
    uids = [append(mf.message(subject=f"Follow {n}", message_id=ids[n])) for n in range(2)]
    moved = session.move_tracked(folder, uids, other)
    conn.select_folder(other, readonly=True)
    for uid, message_id in zip(uids, ids):
        assert conn.search(["HEADER", "Message-ID", message_id]) == [moved[uid]]
    conn.select_folder(folder, readonly=True)
    assert conn.search(["ALL"]) == []


def test_a_kept_uid_is_trusted_only_while_its_message_is_there(two_folders):
    conn, folder, other, append, session = two_folders
    message_id = f"<track-{uuid.uuid4().hex}@test.heron>"
    uid = append(mf.message(subject="Stay", message_id=message_id))
    decoy = append(mf.message(subject="Decoy"))
    assert session.locate(folder, [(uid, message_id)]) == [uid]
    assert session.locate(folder, [(decoy, message_id)]) == [uid]  # renumbered: searched
    session.move(folder, [uid], other)
    assert session.locate(folder, [(uid, message_id)]) == [None]
    assert session.locate("HeronTest-no-such-folder", [(uid, message_id)]) == [None]
