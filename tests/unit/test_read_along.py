"""What a request reads ahead of the shared cache (MailboxCache.read_along) is what it would
have read, one round trip sooner; a value written in the request is read again, and nothing
read ahead outlives its request."""
import pytest
from django.core.cache import cache

from webmail.imap.state import FolderState, MailboxCache

STATE = FolderState(7, 101, 100, 555)


@pytest.fixture
def counted(monkeypatch):
    reads = []
    get_many = cache.get_many

    def counting(keys, *args, **kwargs):
        reads.append(len(keys))
        return get_many(keys, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", counting)
    return reads


def test_values_read_along_are_taken_without_another_round_trip(counted):
    writer = MailboxCache("imap.test", 143, "alice@heron.test")
    writer.keep_flags("INBOX", STATE, {5: ("\\Seen",), 6: ()})
    reader = MailboxCache("imap.test", 143, "alice@heron.test")
    reader.begin_request()
    reader.read_along("INBOX", STATE, [5, 6], ("summary", "flags"))
    assert reader.flags("INBOX", STATE, [5, 6]) == {5: (555, ("\\Seen",)), 6: (555, ())}
    assert reader.summaries("INBOX", STATE, [5, 6]) == {}  # none kept: misses, read along
    assert counted == [4]  # one round trip for both kinds of both messages


def test_a_value_written_in_the_request_is_read_again(counted):
    account = MailboxCache("imap.test", 143, "alice@heron.test")
    account.keep_flags("INBOX", STATE, {5: ()})
    account.begin_request()
    account.read_along("INBOX", STATE, [5], ("flags",))
    account.keep_flags("INBOX", STATE, {5: ("\\Flagged",)})
    assert account.flags("INBOX", STATE, [5]) == {5: (555, ("\\Flagged",))}


def test_nothing_read_ahead_outlives_its_request(counted):
    account = MailboxCache("imap.test", 143, "alice@heron.test")
    account.keep_flags("INBOX", STATE, {5: ()})
    account.begin_request()
    account.read_along("INBOX", STATE, [5], ("flags",))
    MailboxCache("imap.test", 143, "alice@heron.test").keep_flags(
        "INBOX", STATE, {5: ("\\Answered",)})  # another frontend, between two requests
    account.begin_request()
    assert account.flags("INBOX", STATE, [5]) == {5: (555, ("\\Answered",))}
