"""Organising mail: flags, move, copy, delete, empty — mixed into MailSession.

Server differences stay here: MOVE or COPY + \\Deleted + (UID) EXPUNGE, UIDPLUS for undo.
"""
import logging

from . import parse
from .errors import NoSuchFolderRole, ServerRefused
from .types import ActionResult

log = logging.getLogger(__name__)
CREATABLE_ROLES = {"archive": "Archive", "junk": "Junk", "drafts": "Drafts", "sent": "Sent"}
SETTABLE_FLAGS = {"\\Seen", "\\Flagged", "\\Answered", "$Forwarded", "$Junk", "$NotJunk"}


class OrganiseMixin:
    def folder_roles(self):
        """role -> folder name for this account (LIST once per connection, then cached)."""
        if getattr(self, "_roles", None) is None:
            roles = {}
            for flags, delimiter, name in self._call("list_folders"):
                role = parse.role_for(flags, parse.to_text(name), parse.to_text(delimiter))
                roles.setdefault(role, parse.to_text(name))
            roles.pop("", None)
            self._roles = roles
        return self._roles

    def forget_folder_roles(self):
        """Read the folders' roles (Drafts, Trash…) afresh next time: folders changed.
        (The cached folder list is MailboxCache.forget_folders()'s, dropped by _call.)"""
        self._roles = None

    def folder_for(self, role):
        """The folder with this role; Archive and Junk are created when the account lacks
        them (as desktop clients do), any other missing role raises NoSuchFolderRole."""
        name = self.folder_roles().get(role)
        if name is None and role in CREATABLE_ROLES:
            name = CREATABLE_ROLES[role]
            self._call("create_folder", name)
            self._subscribe_quietly(name)
            self.forget_folder_roles()
        if name is None:
            raise NoSuchFolderRole(role)
        return name

    def set_flag(self, mailbox, uids, flag, on=True):
        """Add or remove one flag on messages; unknown flags are refused."""
        if flag not in SETTABLE_FLAGS:
            raise ValueError(f"not a flag Heron sets: {flag}")
        if not uids:
            return ActionResult(0)
        self._select(mailbox)
        self._store(mailbox, uids, [flag.encode()], on)
        return ActionResult(len(uids))

    def copy(self, mailbox, uids, target):
        """Copy messages to another folder; undo_uids are the copies when the server says."""
        if not uids:
            return ActionResult(0, target)
        self._select(mailbox)
        self._clear_copyuid()
        self._call("copy", list(uids), target)
        return ActionResult(len(uids), target, self._copyuid())

    def move(self, mailbox, uids, target):
        """Move messages (MOVE, or COPY then delete); undo_uids as for copy()."""
        if not uids:
            return ActionResult(0, target)
        if mailbox == target:
            return ActionResult(0, target)
        self._select(mailbox)
        self._clear_copyuid()
        if self.has("MOVE") and self._try_move(uids, target):
            moved = self._copyuid()
        else:
            self._call("copy", list(uids), target)
            moved = self._copyuid()
            self._expunge(list(uids))
        return ActionResult(len(uids), target, moved)

    def _try_move(self, uids, target):
        """MOVE, or False when the server refused it (pymap announces MOVE but refuses it
        on its demo folders); the caller then copies and deletes instead."""
        try:
            self._call("move", list(uids), target)
        except ServerRefused:
            log.info("MOVE refused; falling back to COPY and delete")
            return False
        return True

    def _expunge(self, uids):
        self._call("add_flags", uids, [b"\\Deleted"], silent=True)
        if self.has("UIDPLUS"):
            self._call("uid_expunge", uids)
        else:
            # Without UIDPLUS, EXPUNGE also removes other messages already marked \Deleted,
            # which is what every client of such a server does.
            self._call("expunge")

    def delete(self, mailbox, uids):
        """Move to Trash; in Trash (or without one) remove for good."""
        if not uids:
            return ActionResult(0)
        trash = self.folder_roles().get("trash")
        if trash and trash != mailbox:
            return self.move(mailbox, uids, trash)
        self._select(mailbox)
        self._expunge(list(uids))
        return ActionResult(len(uids))

    def empty(self, mailbox):
        """Remove every message of a folder for good; returns how many went."""
        if not self._select(mailbox).exists:
            return ActionResult(0)
        uids = list(self._call("search", ["ALL"]))
        if uids:
            self._expunge(uids)
        return ActionResult(len(uids))

    def _clear_copyuid(self):
        self._response_code("COPYUID")

    def _copyuid(self):
        """Destination UIDs from the server's COPYUID answer (RFC 4315), source order."""
        data = self._response_code("COPYUID")
        try:
            _validity, _sources, targets = parse.to_text(data).split()
            return tuple(parse.expand_uid_set(targets))
        except (ValueError, AttributeError):
            return ()
