"""Finding messages again after a move (webmail/imap/tracking.py): the server's COPYUID
where it gives one (UIDPLUS), else the Message-ID searched for in the target; a UID checked
by its Message-ID before it is trusted. A scripted connection stands for the server: its
folders hold {UID: Message-ID}, and it answers MOVE with COPYUID only under UIDPLUS."""
import pytest

from webmail.imap import parse
from webmail.imap.errors import MailboxNotFound, Untrackable
from webmail.imap.organise import Organise
from webmail.imap.state import FolderState
from webmail.imap.tracking import Tracking


class Wire:
    def __init__(self, folders, capabilities):
        self.folders = folders
        self.capabilities = capabilities
        self.selected = None
        self.code = None
        self.expunged = 0  # EXPUNGE lines the last MOVE sent, not yet asked for
        self.sent = []

    def has(self, capability):
        return capability in self.capabilities

    def untagged(self, name):
        if name != "EXPUNGE":
            return []
        lines, self.expunged = [b"1"] * self.expunged, 0
        return lines

    def response_code(self, name):
        code, self.code = self.code, None
        return code

    def call(self, name, *args, label=None, **kwargs):
        self.sent.append(label or name)
        box = self.folders[self.selected]
        if name == "fetch":
            return {uid: {b"BODY[HEADER.FIELDS (MESSAGE-ID)]": (
                f"Message-ID: {box[uid]}\r\n\r\n" if box[uid] else "\r\n").encode()}
                for uid in args[0] if uid in box}
        if name == "search" and args[0][0] == "UID":  # what a MOVE left behind
            return [uid for uid in parse.expand_uid_set(args[0][1]) if uid in box]
        if name == "search":  # OR HEADER Message-ID <id> <newest, as a sequence set>
            criteria = args[0]
            wanted = [criteria[at + 1] for at, token in enumerate(criteria)
                      if token == "Message-ID"]
            first = int(criteria[-1].split(":")[0])
            return sorted({uid for uid, found in box.items()  # a substring, as SEARCH does
                           if any(each in found for each in wanted)}
                          | set(sorted(box)[first - 1:]))
        if name in ("move", "copy"):
            into = self.folders[args[1]]
            pairs = []
            for uid in sorted(args[0]):
                if uid in box:
                    new = max(into, default=100) + 1
                    into[new] = box.pop(uid) if name == "move" else box[uid]
                    pairs.append((uid, new))
            self.expunged = len(pairs) if name == "move" else 0
            if "UIDPLUS" in self.capabilities and pairs:
                self.code = " ".join(("7", ",".join(str(p[0]) for p in pairs),
                                      ",".join(str(p[1]) for p in pairs))).encode()
            return None
        raise AssertionError(f"unexpected {name}")


class Selected:
    def __init__(self, wire):
        self.wire = wire

    def select(self, mailbox):
        if mailbox not in self.wire.folders:
            raise MailboxNotFound(mailbox)
        self.wire.selected = mailbox
        return FolderState(uidvalidity=7, uidnext=max(self.wire.folders[mailbox], default=0) + 1,
                           exists=len(self.wire.folders[mailbox]), modseq=None)


def tracking(folders, capabilities=("MOVE", "UIDPLUS")):
    wire = Wire(folders, set(capabilities))
    sel = Selected(wire)
    return Tracking(wire, sel, Organise(wire, sel, None, None)), wire


def test_with_uidplus_the_servers_copyuid_says_where_each_went():
    track, wire = tracking({"INBOX": {3: "<a@x>", 5: "<b@x>"}, "Snoozed": {}})
    assert track.move_tracked("INBOX", [5, 3, 9], "Snoozed") == {3: 101, 5: 102}
    assert wire.folders["Snoozed"] == {101: "<a@x>", 102: "<b@x>"}
    assert "search_message_id" not in wire.sent


def test_without_uidplus_each_is_found_by_its_message_id_even_beside_a_longer_one():
    track, wire = tracking({"INBOX": {3: "<a@x>"}, "Snoozed": {40: "<ba@x>"}}, {"MOVE"})
    assert track.move_tracked("INBOX", [3], "Snoozed") == {3: 41}
    assert "search_message_id" in wire.sent


def test_without_uidplus_a_message_without_message_id_cannot_be_followed():
    track, _wire = tracking({"INBOX": {3: "", 4: "<d@x>"}, "Snoozed": {}}, {"MOVE"})
    assert track.move_tracked("INBOX", [3, 4], "Snoozed") == {4: 102}


@pytest.mark.parametrize("wanted, expected", [
    ([(5, "<b@x>")], [5]),                      # still there
    ([(6, "<b@x>")], [5]),                      # renumbered: found by its Message-ID
    ([(None, "<b@x>")], [5]),                   # never known: found by its Message-ID
    ([(9, "<gone@x>")], [None]),                # deleted or moved away meanwhile
    ([(7, "")], [7]),                           # no Message-ID: its UID is all there is
    ([(8, "<twice@x>"), (None, "<twice@x>")], [8, 2]),  # two copies: one each
])
def test_locate_checks_each_uid_by_its_message_id(wanted, expected):
    track, _wire = tracking({"Snoozed": {2: "<twice@x>", 5: "<b@x>", 6: "<c@x>", 7: "",
                                         8: "<twice@x>"}})
    assert track.locate("Snoozed", wanted) == expected


def test_a_folder_that_is_gone_holds_none_of_them():
    track, _wire = tracking({"INBOX": {}})
    assert track.locate("Snoozed", [(1, "<a@x>"), (None, "<b@x>")]) == [None, None]


def test_strict_refuses_before_moving_what_could_not_be_found_again():
    track, wire = tracking({"INBOX": {3: "", 4: "<d@x>"}, "Snoozed": {}}, {"MOVE"})
    with pytest.raises(Untrackable):
        track.move_tracked("INBOX", [3, 4], "Snoozed", strict=True)
    assert wire.folders["Snoozed"] == {} and "move" not in wire.sent
    track, wire = tracking({"INBOX": {3: ""}, "Snoozed": {}})  # with UIDPLUS it is followed
    assert track.move_tracked("INBOX", [3], "Snoozed", strict=True) == {3: 101}


def test_many_lost_messages_are_looked_for_together_not_one_by_one():
    # A snooze wake of 120 renumbered messages: three SEARCHes of 50, 50 and 20 ids (each
    # with its FETCH), not 120 of each.
    box = {2000 + n: f"<m{n}@x>" for n in range(120)}
    track, wire = tracking({"Snoozed": box})
    wanted = [(n + 1, f"<m{n}@x>") for n in range(120)]  # every UID wrong
    assert track.locate("Snoozed", wanted) == [2000 + n for n in range(120)]
    assert wire.sent.count("search_message_id") == 3
