"""Finding messages by a header's exact value (webmail/imap/exact.py) whatever the server's
SEARCH HEADER says: a full-text index may answer it with nothing (a field it does not
index) or with the wrong messages (a Message-ID split into words). A scripted server holds
{UID: header block} and answers the one SEARCH as a given index would."""
import pytest

from webmail.imap import exact, parse
from webmail.imap.errors import UnsafeInput
from webmail.imap.state import FolderState


class Server:
    def __init__(self, box, hits):
        self.box = box  # {UID: raw header block}
        self.hits = hits  # what the server's index answers the HEADER key with
        self.sent = []
        self.since = None
        self.arrived = {}  # {UID: arrival date}, for SINCE

    def call(self, name, *args, label=None, **kwargs):
        self.sent.append((name, args))
        if name == "search":
            criteria = args[0]
            assert criteria[0] == "OR" and criteria[1] == "HEADER"
            newest = criteria[-1]
            if isinstance(newest, list):  # (SINCE date n:*): every message here is recent
                assert newest[0] == "SINCE"
                self.since = newest[1]
                newest = newest[2]
            first = int(newest.split(":")[0])
            recent = [uid for uid in sorted(self.box)[first - 1:]
                      if self.since is None or self.arrived[uid] >= self.since]
            return sorted(set(self.hits) | set(recent))
        if name == "fetch":
            assert len(args[0]) <= 1000
            return {uid: {b"BODY[HEADER.FIELDS (MESSAGE-ID)]": self.box[uid]}
                    for uid in args[0] if uid in self.box}
        raise AssertionError(name)


def folder(count):
    return {uid: f"Message-ID: <m{uid}@x.test>\r\n\r\n".encode() for uid in range(1, count + 1)}


def state(box):
    return FolderState(uidvalidity=1, uidnext=max(box, default=0) + 1, exists=len(box),
                       modseq=None)


def lookup(server, message_id):
    return exact.matching(server, state(server.box), ["HEADER", "Message-ID", message_id],
                          "MESSAGE-ID", lambda raw: parse.header_value(raw) == message_id,
                          label="search_message_id")


def test_an_index_that_answers_nothing_still_finds_the_newest_messages():
    box = folder(2000)
    server = Server(box, hits=[])
    assert lookup(server, "<m1990@x.test>") == [1990]
    assert lookup(server, f"<m{2000 - exact.NEWEST + 1}@x.test>") == [2000 - exact.NEWEST + 1]
    # Older than the newest NEWEST, with no hit from the server: not found, not guessed.
    assert lookup(server, "<m10@x.test>") == []


def test_the_servers_hits_reach_older_messages_and_each_is_checked():
    box = folder(2000)
    # A server that searches the field itself (a substring), or an index that splits the
    # id into words: both may name messages whose id only shares a part.
    server = Server(box, hits=[10, 100, 1000])
    assert lookup(server, "<m10@x.test>") == [10]
    assert lookup(server, "<m1@x.test>") == []


def test_a_small_folder_is_read_whole_and_an_empty_one_costs_nothing():
    server = Server(folder(30), hits=[])
    assert lookup(server, "<m1@x.test>") == [1]
    assert server.sent[0][1][0][-1] == "1:*"
    empty = Server({}, hits=[])
    assert lookup(empty, "<m1@x.test>") == [] and empty.sent == []


def test_a_field_that_only_contains_the_value_does_not_match():
    box = {1: b"Message-ID: <m1@x.test.evil>\r\n\r\n", 2: b"\r\n",
           3: b"Message-ID:\r\n <m1@x.test>\r\n\r\n"}  # folded: still the same value
    server = Server(box, hits=[1, 2, 3])
    assert lookup(server, "<m1@x.test>") == [3]


def test_many_candidates_are_fetched_in_batches():
    box = folder(2500)
    server = Server(box, hits=list(range(1, 2501)))
    assert lookup(server, "<m2500@x.test>") == [2500]
    assert [name for name, _args in server.sent].count("fetch") == 3


@pytest.mark.parametrize("value", ["<a@x>\r\nA1 LOGOUT", "<a@x>\n", "<a\x00@x>"])
def test_a_value_that_could_break_the_protocol_is_refused_even_for_an_empty_folder(value):
    for box in ({}, folder(3)):
        server = Server(box, hits=[])
        with pytest.raises(UnsafeInput):
            lookup(server, value)
        assert server.sent == []


def test_since_narrows_the_newest_to_what_arrived_after_it():
    import datetime

    server = Server(folder(30), hits=[])
    day = datetime.date(2026, 11, 30)
    # UIDs 1-20 arrived the day before, 21-30 on the day.
    server.arrived = {uid: day - datetime.timedelta(days=1 if uid <= 20 else 0)
                      for uid in server.box}

    def answers(wanted):
        return exact.matching(server, state(server.box), ["HEADER", "In-Reply-To", wanted],
                              "MESSAGE-ID", lambda raw: wanted.encode() in raw,
                              label="search_answers", since=day)

    assert answers("<m25@x.test>") == [25] and server.since == day
    assert answers("<m3@x.test>") == []  # older than the bound, and no hit of the server's
