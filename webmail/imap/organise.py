"""Organising mail: flags, move, copy, delete, empty.

Server differences stay here: MOVE or COPY + \\Deleted + (UID) EXPUNGE, UIDPLUS for undo.
A MOVE the server answered OK is finished here when it left the messages in the source (a
Cyrus Murder frontend does so between two backends: there MOVE acts as COPY).
"""
import logging
from dataclasses import dataclass

from . import parse
from .errors import ServerRefused
from .types import ActionResult

log = logging.getLogger(__name__)
SETTABLE_FLAGS = {"\\Seen", "\\Flagged", "\\Answered", "$Forwarded", "$Junk", "$NotJunk"}


@dataclass(frozen=True)
class Copied:
    """What a COPYUID response code (RFC 4315) says: the copies' UIDs in the target, in
    the answer's order, and {source UID: copy's UID} when it names the sources too (a
    Cyrus Murder frontend's answer to a MOVE between backends names only the copies)."""

    pairs: dict
    targets: tuple


def copied(data):
    """A COPYUID response code's data ("validity sources targets", or "validity targets")
    as Copied; nothing copied for a missing or unreadable one."""
    try:
        fields = parse.to_text(data).split()
        targets = parse.expand_uid_set(fields[-1]) if len(fields) in (2, 3) else []
        sources = parse.expand_uid_set(fields[1]) if len(fields) == 3 else []
    except (ValueError, AttributeError):
        return Copied({}, ())
    if sources and len(sources) != len(targets):
        return Copied({}, ())
    return Copied(dict(zip(sources, targets)), tuple(targets))


class Organise:
    def __init__(self, conn, selection, flags, folders):
        self.conn = conn
        self.sel = selection
        self.flags = flags
        self.folders = folders

    def set_flag(self, mailbox, uids, flag, on=True):
        """Add or remove one flag on messages; unknown flags are refused."""
        if flag not in SETTABLE_FLAGS:
            raise ValueError(f"not a flag Heron sets: {flag}")
        if not uids:
            return ActionResult(0)
        self.sel.select(mailbox)
        self.flags.store(mailbox, uids, [flag.encode()], on)
        return ActionResult(len(uids))

    def copy(self, mailbox, uids, target):
        """Copy messages to another folder; undo_uids are the copies when the server says."""
        if not uids:
            return ActionResult(0, target)
        self.sel.select(mailbox)
        self._clear_copyuid()
        self.conn.call("copy", list(uids), target)
        return ActionResult(len(uids), target, self._copyuid().targets)

    def move(self, mailbox, uids, target):
        """Move messages (MOVE, or COPY then delete); undo_uids as for copy()."""
        if not uids:
            return ActionResult(0, target)
        if mailbox == target:
            return ActionResult(0, target)
        return ActionResult(len(uids), target, self._move(mailbox, uids, target).targets)

    def moved(self, mailbox, uids, target):
        """Move messages as move() does; returns {source UID: UID in target} of those the
        server's COPYUID names ({} from a server without UIDPLUS)."""
        return self._move(mailbox, uids, target).pairs

    def _move(self, mailbox, uids, target):
        """Move messages; Copied as the server's COPYUID says."""
        self.sel.select(mailbox)
        self._clear_copyuid()
        self._removed()  # notices kept from before the move are not the move's
        if self.conn.has("MOVE") and self._try_move(uids, target):
            done = self._copyuid()
            left = self._left_behind(uids)
            if left and len(done.targets) >= len(uids):
                # The server's COPYUID names a copy of each: the originals may go.
                log.info("MOVE left %d message(s) in the source; deleting them", len(left))
                self.expunge(left)
            elif left:
                log.warning("MOVE left %d message(s) in the source and named no copies of "
                            "them; they stay", len(left))
            return done
        self.conn.call("copy", list(uids), target)
        done = self._copyuid()
        self.expunge(list(uids))
        return done

    def _try_move(self, uids, target):
        """MOVE, or False when the server refused it (pymap announces MOVE but refuses it
        on its demo folders); the caller then copies and deletes instead."""
        try:
            self.conn.call("move", list(uids), target)
        except ServerRefused:
            log.info("MOVE refused; falling back to COPY and delete")
            return False
        return True

    def _left_behind(self, uids):
        """Of uids, those still in the source after a MOVE the server answered OK.

        A MOVE reports each message it takes away (EXPUNGE, or VANISHED under QRESYNC):
        when those account for all of uids, nothing was left and nothing more is asked.
        Otherwise (a Cyrus Murder frontend moving between backends copies and reports
        nothing; a UID asked for may have been gone already) one UID SEARCH tells."""
        wanted = set(uids)
        vanished, expunged = self._removed()
        # EXPUNGE names sequence numbers, not UIDs: one another client caused meanwhile
        # counts as ours too. Then a copy may stay behind; nothing is ever lost.
        if len(wanted & vanished) + expunged >= len(wanted):
            return []
        return sorted(self.conn.call("search", ["UID", parse.uid_ranges(sorted(wanted))],
                                     label="search_left_behind"))

    def _removed(self):
        """(UIDs reported VANISHED, how many EXPUNGE lines) of what the server said since
        the last look, then forgotten (a Selection's state is stale after a move anyway)."""
        vanished: set[int] = set()
        for line in self.conn.untagged("VANISHED"):
            vanished.update(parse.vanished(line)[1])
        return vanished, len(self.conn.untagged("EXPUNGE"))

    def expunge(self, uids):
        self.conn.call("add_flags", uids, [b"\\Deleted"], silent=True)
        if self.conn.has("UIDPLUS"):
            self.conn.call("uid_expunge", uids)
        else:
            # Without UIDPLUS, EXPUNGE also removes other messages already marked \Deleted,
            # which is what every client of such a server does.
            self.conn.call("expunge")

    def delete(self, mailbox, uids):
        """Move to Trash; in Trash (or without one) remove for good."""
        if not uids:
            return ActionResult(0)
        trash = self.folders.folder_roles().get("trash")
        if trash and trash != mailbox:
            return self.move(mailbox, uids, trash)
        self.sel.select(mailbox)
        self.expunge(list(uids))
        return ActionResult(len(uids))

    def empty(self, mailbox):
        """Remove every message of a folder for good; returns how many went."""
        if not self.sel.select(mailbox).exists:
            return ActionResult(0)
        uids = list(self.conn.call("search", ["ALL"]))
        if uids:
            self.expunge(uids)
        return ActionResult(len(uids))

    def _clear_copyuid(self):
        self.conn.response_code("COPYUID")

    def _copyuid(self):
        """The server's COPYUID answer as Copied (nothing without one)."""
        return copied(self.conn.response_code("COPYUID"))
