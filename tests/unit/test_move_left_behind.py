"""A MOVE the server answered OK but did not finish (webmail/imap/organise.py): a Cyrus
Murder frontend moving between two backends copies, answers `OK [COPYUID <validity>
<copies>]` (no source set) and leaves the source in place; Heron then deletes the source
itself, so a message is never in both folders. A server that did move reports it (EXPUNGE,
or VANISHED under QRESYNC) and is asked nothing more.

A scripted connection stands for the server: its folders hold {UID: Message-ID}, and what
it says besides an answer is kept until asked for, as imaplib keeps it."""
import pytest

from webmail.imap import parse
from webmail.imap.organise import Copied, Organise, copied
from webmail.imap.state import FolderState
from webmail.imap.tracking import Tracking


class Server:
    """moves: "vanished" or "expunge" (a MOVE that moves, reported either way), or
    "copies" (a MOVE that copies, as the Murder frontend's between backends)."""

    def __init__(self, folders, moves, capabilities=("MOVE", "UIDPLUS")):
        self.folders = folders
        self.moves = moves
        self.capabilities = set(capabilities)
        self.selected = None
        self.kept = {}
        self.deleted = set()
        self.sent = []

    def has(self, capability):
        return capability in self.capabilities

    def untagged(self, name):
        return self.kept.pop(name, [])

    def response_code(self, name):
        values = self.untagged(name)
        return values[-1] if values else None

    def _say(self, name, data):
        self.kept.setdefault(name, []).append(data.encode())

    def call(self, name, *args, label=None, **kwargs):
        self.sent.append(label or name)
        box = self.folders[self.selected]
        if name in ("move", "copy"):
            return self._copy(box, sorted(args[0]), self.folders[args[1]], name == "move")
        if name == "search" and args[0][0] == "UID":
            return [uid for uid in parse.expand_uid_set(args[0][1]) if uid in box]
        if name == "search":  # OR HEADER Message-ID <id> <newest, as a sequence set>
            criteria = args[0]
            wanted = [criteria[at + 1] for at, token in enumerate(criteria)
                      if token == "Message-ID"]
            first = int(criteria[-1].split(":")[0])
            return sorted({uid for uid, found in box.items()
                           if any(each in found for each in wanted)}
                          | set(sorted(box)[first - 1:]))
        if name == "fetch":
            return {uid: {b"BODY[HEADER.FIELDS (MESSAGE-ID)]": f"Message-ID: {box[uid]}\r\n\r\n"
                          .encode()} for uid in args[0] if uid in box}
        if name == "add_flags":
            self.deleted.update(uid for uid in args[0] if uid in box)
            return None
        if name in ("uid_expunge", "expunge"):
            for uid in [uid for uid in box if uid in self.deleted]:
                del box[uid]
            return None
        raise AssertionError(f"unexpected {name}")

    def _copy(self, box, uids, into, move):
        pairs = []
        for uid in (uid for uid in uids if uid in box):
            pairs.append((uid, max(into, default=100) + 1))
            into[pairs[-1][1]] = box[uid]
        sources = parse.uid_ranges([source for source, _new in pairs])
        targets = parse.uid_ranges([new for _source, new in pairs])
        if move and self.moves == "copies":
            self._say("COPYUID", f"7 {targets}")
            return None
        self._say("COPYUID", f"7 {sources} {targets}")
        if move:
            for source, _new in pairs:
                del box[source]
                if self.moves == "vanished":
                    self._say("VANISHED", str(source))
                else:
                    self._say("EXPUNGE", "1")  # a sequence number, not a UID
        return None


class Selected:
    def __init__(self, server):
        self.server = server

    def select(self, mailbox):
        self.server.selected = mailbox
        box = self.server.folders[mailbox]
        return FolderState(uidvalidity=7, uidnext=max(box, default=0) + 1, exists=len(box),
                           modseq=None)


def organise(moves, folders=None, capabilities=("MOVE", "UIDPLUS")):
    server = Server(folders or {"INBOX": {3: "<a@x>", 5: "<b@x>"}, "Projects": {}}, moves,
                    capabilities)
    return Organise(server, Selected(server), None, None), server


def test_a_move_the_server_only_copied_is_finished_by_deleting_the_source():
    mail, server = organise("copies")
    result = mail.move("INBOX", [3, 5], "Projects")
    assert server.folders == {"INBOX": {}, "Projects": {101: "<a@x>", 102: "<b@x>"}}
    assert result.undo_uids == (101, 102)  # the copies, for Undo
    assert server.sent == ["move", "search_left_behind", "add_flags", "uid_expunge"]


def test_without_uidplus_the_left_source_goes_by_expunge():
    mail, server = organise("copies", capabilities=("MOVE",))
    mail.move("INBOX", [3], "Projects")
    assert server.folders["INBOX"] == {5: "<b@x>"}
    assert server.sent[-1] == "expunge"


@pytest.mark.parametrize("moves", ["vanished", "expunge"])
def test_a_move_the_server_reported_done_costs_no_other_command(moves):
    mail, server = organise(moves)
    result = mail.move("INBOX", [3, 5], "Projects")
    assert server.folders == {"INBOX": {}, "Projects": {101: "<a@x>", 102: "<b@x>"}}
    assert result.undo_uids == (101, 102)
    assert server.sent == ["move"]


def test_a_uid_gone_before_the_move_costs_one_search_and_deletes_nothing():
    mail, server = organise("vanished")
    mail.move("INBOX", [3, 9], "Projects")
    assert server.sent == ["move", "search_left_behind"]
    assert server.folders["INBOX"] == {5: "<b@x>"}


def test_notices_from_before_the_move_are_not_taken_for_the_moves_own():
    mail, server = organise("copies")
    server.kept = {"EXPUNGE": [b"4", b"9"], "VANISHED": [b"3,5"]}  # another client's, earlier
    mail.move("INBOX", [3, 5], "Projects")
    assert server.folders["INBOX"] == {}


def test_a_tracked_move_through_the_murder_finds_each_copy_by_its_message_id():
    mail, server = organise("copies")
    track = Tracking(server, mail.sel, mail)
    assert track.move_tracked("INBOX", [3, 5], "Projects") == {3: 101, 5: 102}
    assert server.folders["INBOX"] == {}


@pytest.mark.parametrize("data, expected", [
    (b"7 3,5 101:102", Copied({3: 101, 5: 102}, (101, 102))),
    (b"1796293006 3", Copied({}, (3,))),                 # a Murder frontend's, no sources
    (b"1796293006 3:4", Copied({}, (3, 4))),
    (b"7 1:3 10:11", Copied({}, ())),                     # sets of different sizes
    (b"7", Copied({}, ())),
    (b"7 x y", Copied({}, ())),
    (None, Copied({}, ())),
])
def test_copyuid_reads_with_or_without_its_source_set(data, expected):
    assert copied(data) == expected
