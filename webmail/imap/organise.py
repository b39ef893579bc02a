"""Organising mail: flags, move, copy, delete, empty.

Server differences stay here: MOVE or COPY + \\Deleted + (UID) EXPUNGE, UIDPLUS for undo.
"""
import logging

from . import parse
from .errors import ServerRefused
from .types import ActionResult

log = logging.getLogger(__name__)
SETTABLE_FLAGS = {"\\Seen", "\\Flagged", "\\Answered", "$Forwarded", "$Junk", "$NotJunk"}


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
        return ActionResult(len(uids), target, tuple(self._copyuid().values()))

    def move(self, mailbox, uids, target):
        """Move messages (MOVE, or COPY then delete); undo_uids as for copy()."""
        if not uids:
            return ActionResult(0, target)
        if mailbox == target:
            return ActionResult(0, target)
        return ActionResult(len(uids), target, tuple(self.moved(mailbox, uids, target).values()))

    def moved(self, mailbox, uids, target):
        """Move messages as move() does; returns {source UID: UID in target} of those the
        server's COPYUID names ({} from a server without UIDPLUS)."""
        self.sel.select(mailbox)
        self._clear_copyuid()
        if self.conn.has("MOVE") and self._try_move(uids, target):
            return self._copyuid()
        self.conn.call("copy", list(uids), target)
        pairs = self._copyuid()
        self.expunge(list(uids))
        return pairs

    def _try_move(self, uids, target):
        """MOVE, or False when the server refused it (pymap announces MOVE but refuses it
        on its demo folders); the caller then copies and deletes instead."""
        try:
            self.conn.call("move", list(uids), target)
        except ServerRefused:
            log.info("MOVE refused; falling back to COPY and delete")
            return False
        return True

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
        """{source UID: destination UID} from the server's COPYUID answer (RFC 4315), in
        the answer's order; {} without one."""
        data = self.conn.response_code("COPYUID")
        try:
            _validity, sources, targets = parse.to_text(data).split()
            sources, targets = parse.expand_uid_set(sources), parse.expand_uid_set(targets)
        except (ValueError, AttributeError):
            return {}
        return dict(zip(sources, targets)) if len(sources) == len(targets) else {}
