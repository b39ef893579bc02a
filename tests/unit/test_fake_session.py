"""The fake keeps up: FakeMailSession has exactly MailSession's public surface, and it
behaves like an IMAP account (what it is told changes what it answers next)."""
import inspect

import pytest

from tests.helpers import FakeMailServer, FakeMailSession, make_summaries
from webmail.imap.errors import (
    MailboxNotFound,
    MailServerUnavailable,
    MessageGone,
    NoSuchFolderRole,
    ServerRefused,
    UnsafeInput,
)
from webmail.imap.search import SearchQuery
from webmail.imap.session import MailSession
from webmail.imap.types import ServerConfig

CONFIG = ServerConfig("127.0.0.1", 1, "none")
USER = "alice@heron.test"


def public_surface(cls):
    """{name: signature} of the public methods, and "property" for the public properties.
    Plain class constants (STORE_ANSWERED) are the real session's tuning, not its surface."""
    found = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        static = inspect.getattr_static(cls, name)
        if isinstance(static, property):
            found[name] = "property"
        elif callable(getattr(cls, name)):
            found[name] = str(inspect.signature(getattr(cls, name)))
    return found


def test_the_fake_has_exactly_the_public_methods_and_signatures_of_the_session():
    real, fake = public_surface(MailSession), public_surface(FakeMailSession)
    assert sorted(set(real) - set(fake)) == [], "methods the fake lacks"
    assert sorted(set(fake) - set(real)) == [], "methods the session lacks"
    drifted = {name: (real[name], fake[name]) for name in real if real[name] != fake[name]}
    assert drifted == {}, "signatures that drifted (session, fake)"


def test_the_fake_has_the_sessions_public_attributes():
    real = {name for name in vars(MailSession(CONFIG)) if not name.startswith("_")}
    fake = {name for name in vars(FakeMailServer().factory(CONFIG)) if not name.startswith("_")}
    assert sorted(real - fake) == []


@pytest.fixture
def mail():
    server = FakeMailServer({USER: {"password": "pw", "folders": {
        "INBOX": make_summaries(6), "Trash": [], "Projects": make_summaries(2, start_uid=50),
    }}})
    session = server.factory(CONFIG)
    session.login(USER, "pw")
    return session


def test_a_read_message_becomes_seen(mail):
    assert mail.summaries("INBOX", [3])[0].unread
    assert "\\Seen" in mail.message("INBOX", 3).flags
    assert not mail.summaries("INBOX", [3])[0].unread


def test_a_message_looked_at_without_mark_read_stays_unread(mail):
    mail.message("INBOX", 6, mark_read=False)
    assert mail.flags_of("INBOX", [6]) == {6: ()}


def test_flags_set_are_flags_read_back(mail):
    mail.set_flag("INBOX", [1, 2], "\\Flagged")
    mail.set_flag("INBOX", [1], "\\Seen", on=False)
    assert mail.flags_of("INBOX", [1, 2]) == {1: ("\\Flagged",), 2: ("\\Flagged", "\\Seen")}
    with pytest.raises(ValueError):
        mail.set_flag("INBOX", [1], "\\Deleted")


def test_moved_messages_leave_their_folder_with_their_new_uids_for_undo(mail):
    result = mail.move("INBOX", [1, 2], "Projects")
    assert (result.count, result.target, result.undo_uids) == (2, "Projects", (52, 53))
    assert mail.sorted_uids("INBOX", reverse=False) == [3, 4, 5, 6]
    assert mail.summaries("Projects", [52])[0].subject == "Message 1"
    with pytest.raises(ServerRefused):
        mail.move("INBOX", [3], "Nowhere")


def test_delete_moves_to_trash_and_in_trash_removes_for_good(mail):
    assert mail.delete("INBOX", [4]).target == "Trash"
    assert mail.counts("Trash")[0] == 1
    mail.delete("Trash", mail.sorted_uids("Trash"))
    assert mail.counts("Trash") == (0, 0, 2)


def test_a_missing_folder_and_a_gone_message_raise_the_named_errors(mail):
    with pytest.raises(MailboxNotFound):
        mail.sorted_uids("Nope")
    with pytest.raises(MessageGone):
        mail.message("INBOX", 999)
    with pytest.raises(MessageGone):
        list(mail.iter_section("INBOX", 999, ""))
    with pytest.raises(NoSuchFolderRole):
        mail.folder_for("trashcan")


def test_archive_is_created_when_first_needed(mail):
    assert "archive" not in mail.folder_roles()
    assert mail.folder_for("archive") == "Archive"
    assert "Archive" in mail.subscribed()


def test_folders_are_created_renamed_with_their_children_and_deleted(mail):
    assert mail.create_folder("Heron", parent="Projects") == "Projects/Heron"
    assert mail.rename_folder("Projects", "Work") == "Work"
    names = [box.name for box in mail.list_mailboxes()]
    assert "Work/Heron" in names and "Projects" not in names
    mail.delete_folder("Work")
    assert [box.name for box in mail.list_mailboxes()] == ["INBOX", "Trash"]
    with pytest.raises(ServerRefused):
        mail.delete_folder("INBOX")
    with pytest.raises(ServerRefused):
        mail.create_folder("a/b")


def test_a_draft_saved_twice_is_found_once_and_discarded(mail):
    key = "ab" * 16
    raw = (f"X-Heron-Draft: {key}\r\nSubject: Plan\r\nX-Heron-Fields: {{}}\r\n\r\nHi\r\n"
           ).encode()
    first = mail.save_draft(raw, key)
    second = mail.save_draft(raw.replace(b"Hi", b"Hello"), key)
    assert second != first and mail.find_draft(key) == second
    assert mail.sorted_uids("Drafts") == [second]
    assert mail.draft_headers("Drafts", second, "X-Heron-Fields") == (key, "{}")
    assert mail.discard_draft(key) == 1 and mail.find_draft(key) is None


def test_pages_and_search_follow_the_folder(mail):
    page = mail.page("INBOX", page=2, per_page=4)
    assert [m.uid for m in page.messages] == [2, 1] and (page.pages, page.total) == (2, 6)
    found = mail.page("INBOX", query=SearchQuery(text="Message 5", scope="subject"))
    assert [m.uid for m in found.messages] == [5]
    unread = mail.page("INBOX", query=SearchQuery(unread=True))
    assert [m.uid for m in unread.messages] == [6, 3]


def test_a_part_streams_its_decoded_bytes(mail):
    uid = mail.append("INBOX", (
        b"Subject: Photo\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee it\r\n"
        b"--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename=a.png\r\n\r\naGVsbG8=\r\n--b--\r\n"))
    parts, single = mail.parts("INBOX", uid)
    assert not single and [(p.section, p.content_type) for p in parts] == [
        ("1", "text/plain"), ("2", "image/png")]
    assert b"".join(mail.iter_part("INBOX", uid, parts[1])) == b"hello"
    assert mail.message("INBOX", uid).attachments == (parts[1],)


def test_replies_thread_with_their_original(mail):
    reply = mail.append("INBOX", b"Subject: Re: Message 2\r\nIn-Reply-To: <fake-2@fake.test>\r\n"
                                 b"Date: Fri, 02 Jan 2026 00:00:00 +0000\r\n\r\nYes\r\n")
    assert mail.thread_of("INBOX", 2) == [2, reply]
    page = mail.conversation_page("INBOX", per_page=2)
    assert [(m.uid, m.thread_size) for m in page.messages] == [(reply, 2), (6, 1)]
    assert page.total == 6


def test_search_everywhere_names_each_hits_folder(mail):
    found = mail.search_everywhere(["INBOX", "Projects"], [
        "OR", "SUBJECT", "Message 51", "SUBJECT", "Message 4"])
    assert [(m.mailbox, m.uid) for m in found.messages] == [("Projects", 51), ("INBOX", 4)]


def test_a_message_without_its_body_gets_it_from_with_bodies(mail):
    bare = mail.message("INBOX", 1, fetch_body=False)
    assert bare.body_raw is None
    [full] = mail.with_bodies([bare])
    assert full.body_raw.endswith(b"Body of Message 1\r\n")


def test_around_tells_the_neighbours_only_at_the_index_the_list_gave(mail):
    assert mail.around("INBOX", 5, index=1) == (6, 4)
    assert mail.around("INBOX", 6, index=0) == (None, 5)
    assert mail.around("INBOX", 5, index=2) is None and mail.around("INBOX", 5) is None


def test_counts_follow_reading_and_arrivals(mail):
    assert mail.counts("INBOX") == (6, 2, 7)
    mail.message("INBOX", 6)
    mail.append("INBOX", b"Subject: new\r\n\r\nhi\r\n")
    assert mail.counts("INBOX") == (7, 2, 8)


def test_a_quoted_printable_part_is_decoded(mail):
    uid = mail.append("INBOX", b"Subject: q\r\nContent-Transfer-Encoding: quoted-printable\r\n"
                               b"Content-Type: text/plain; charset=utf-8\r\n\r\nJ=C3=B6rg\r\n")
    parts, single = mail.parts("INBOX", uid)
    assert single and b"".join(mail.iter_part("INBOX", uid, parts[0], single)) == (
        "Jörg\r\n".encode())


def test_a_line_break_in_an_argument_is_refused_and_a_dead_server_is_unavailable(mail):
    with pytest.raises(UnsafeInput):
        mail.create_folder("a\r\nDELETE INBOX")
    mail.server.down = True
    with pytest.raises(MailServerUnavailable):
        mail.list_mailboxes()
