"""What the watcher makes of the server's lines (webmail/imap/watch.py), and its shards."""
import pytest

from webmail.imap.errors import MailServerUnavailable
from webmail.imap.types import ServerConfig
from webmail.imap.watch import ChangeListener, Notice
from webmail.push import shard_of


def listener(mode, folder=None):
    made = ChangeListener(ServerConfig("imap.test", 143, "none"))
    made.mode, made.folder = mode, folder
    made._name = lambda raw: raw.decode()  # no link here to ask for the folder encoding
    return made


def test_notify_status_lines_name_the_folder_that_changed():
    notify = listener("notify")
    assert notify._notices((b"STATUS", b"INBOX", (b"MESSAGES", 31, b"UIDNEXT", 32))) == [
        Notice("INBOX", "mail")]
    assert notify._notices((b"STATUS", b"Archive", (b"HIGHESTMODSEQ", 4))) == [
        Notice("Archive", "flags")]
    assert notify._notices((b"LIST", (), b"/", b"Projects")) == [Notice("Projects", "folders")]


def test_idle_lines_are_of_the_folder_listened_to():
    idle = listener("idle", "INBOX")
    assert idle._notices((5, b"EXISTS")) == [Notice("INBOX", "new")]
    assert idle._notices((4, b"EXPUNGE")) == [Notice("INBOX", "gone")]
    assert idle._notices((3, b"FETCH", (b"FLAGS", (b"\\Seen",)))) == [Notice("INBOX", "flags")]


def test_a_line_not_understood_is_a_change_of_something_unknown():
    assert listener("notify")._notices((b"XWHATEVER", b"1")) == [Notice(None, "changed")]


def test_bye_ends_the_listening():
    with pytest.raises(MailServerUnavailable):
        listener("idle", "INBOX")._notices((b"BYE", b"shutting down"))


def test_users_are_spread_over_shards_stably_and_evenly():
    names = [f"user{n}@heron.test" for n in range(1000)]
    shards = [shard_of(name, 4) for name in names]
    assert shards == [shard_of(name.upper(), 4) for name in names]
    assert all(200 < shards.count(shard) < 300 for shard in range(4))
    assert {shard_of(name, 1) for name in names} == {0}
