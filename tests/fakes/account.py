"""A fake IMAP account: folders of stored messages, created, renamed and deleted as a
server does it."""
import itertools

from webmail.imap.errors import MailboxElsewhere, MailboxNotFound, ServerRefused
from webmail.imap.types import MessageSummary

from .messages import Stored, written_for

DELIMITER = "/"
_VALIDITY = itertools.count(1000)


class Folder:
    """One folder: messages by UID in arrival order, and the next UID it will give."""

    def __init__(self, name, messages=()):
        self.name = name
        self.uidvalidity = next(_VALIDITY)
        self.messages = {}
        self.uidnext = 1
        for each in messages:
            if isinstance(each, MessageSummary):
                self.add(Stored(each.uid, written_for(each), each.flags, each))
            else:
                self.add(Stored(self.uidnext, each))

    def add(self, stored):
        self.messages[stored.uid] = stored
        self.uidnext = max(self.uidnext, stored.uid + 1)
        return stored.uid

    def append(self, raw, flags=()):
        return self.add(Stored(self.uidnext, raw, flags))

    def take(self, stored):
        """A copy of a message from elsewhere, under this folder's next UID."""
        return self.add(stored.copy(self.uidnext))

    def present(self, uids):
        return [uid for uid in uids if uid in self.messages]

    def expunge(self, uids):
        for uid in uids:
            self.messages.pop(uid, None)

    @property
    def unread(self):
        return sum(1 for m in self.messages.values() if "\\Seen" not in m.flags)


class Account:
    """What one user's IMAP account holds. spec: {"password": …, "folders": {name: [a
    MessageSummary or a message's bytes, …]}, "quota": a Quota (optional), "elsewhere":
    {name: server} (optional): folders the server refers to another server, as a Murder
    frontend's [REFERRAL] does}."""

    def __init__(self, spec):
        self.spec = spec
        self.folders = {name: Folder(name, messages)
                        for name, messages in spec.get("folders", {}).items()}
        self.folders.setdefault("INBOX", Folder("INBOX"))
        self.subscribed = set(self.folders)
        self.elsewhere = dict(spec.get("elsewhere", {}))

    def _referred(self, name, command):
        if name in self.elsewhere:
            raise MailboxElsewhere(f"{command} referred to {self.elsewhere[name]}")

    def folder(self, name):
        self._referred(name, "select_folder")
        if name not in self.folders:
            raise MailboxNotFound(name)
        return self.folders[name]

    def target(self, name):
        """A folder messages go to: a missing one is refused, as [TRYCREATE] is."""
        self._referred(name, "move")
        if name not in self.folders:
            raise ServerRefused(f"[TRYCREATE] Mailbox doesn't exist: {name}")
        return self.folders[name]

    def children(self, name):
        prefix = name + DELIMITER
        return [each for each in self.folders if each.startswith(prefix)]

    def create(self, name):
        if name in self.folders:
            raise ServerRefused(f"[ALREADYEXISTS] Mailbox already exists: {name}")
        self.folders[name] = Folder(name)

    def rename(self, old, new):
        """RENAME: the folder and its children move; the messages keep their UIDs."""
        if old not in self.folders:
            raise ServerRefused(f"[NONEXISTENT] Mailbox doesn't exist: {old}")
        if new in self.folders:
            raise ServerRefused(f"[ALREADYEXISTS] Mailbox already exists: {new}")
        for name in [old, *self.children(old)]:
            moved = new + name[len(old):]
            self.folders[moved] = self.folders.pop(name)
            self.folders[moved].name = moved
            if name in self.subscribed:
                self.subscribed.discard(name)
                self.subscribed.add(moved)

    def delete(self, name):
        if name not in self.folders:
            raise ServerRefused(f"[NONEXISTENT] Mailbox doesn't exist: {name}")
        del self.folders[name]
