"""The fake IMAP server: accounts of folders of stored messages, and the small part of
SEARCH and SORT Heron uses, answered from memory."""
import itertools
from datetime import date, datetime, timezone

from webmail.imap.errors import MailboxNotFound, ServerRefused
from webmail.imap.parse import expand_uid_set
from webmail.imap.types import MessageSummary

from .messages import Stored, written_for

DELIMITER = "/"
_VALIDITY = itertools.count(1000)
NO_DATE = datetime.min.replace(tzinfo=timezone.utc)


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
    MessageSummary or a message's bytes, …]}, "quota": a Quota (optional)}."""

    def __init__(self, spec):
        self.spec = spec
        self.folders = {name: Folder(name, messages)
                        for name, messages in spec.get("folders", {}).items()}
        self.folders.setdefault("INBOX", Folder("INBOX"))
        self.subscribed = set(self.folders)

    def folder(self, name):
        if name not in self.folders:
            raise MailboxNotFound(name)
        return self.folders[name]

    def target(self, name):
        """A folder messages go to: a missing one is refused, as [TRYCREATE] is."""
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


class FakeMailServer:
    """What a fake IMAP server holds: accounts (username -> spec, see Account), built the
    first time a session logs in to one, and the capabilities it announces."""

    def __init__(self, accounts=None, down=False, capabilities=()):
        self.accounts = accounts or {}
        self.down = down
        self.capabilities = {c.upper() for c in capabilities}
        self.logins = 0
        self.sessions = []
        self._held = {}

    def factory(self, config, timeout=15):
        from .session import FakeMailSession  # (the session names its server's class)

        session = FakeMailSession(self, config, timeout)
        self.sessions.append(session)
        return session

    def account(self, username):
        if username not in self._held:
            self._held[username] = Account(self.accounts[username])
        return self._held[username]

    def folder(self, username, name):
        """A folder of an account, for a test to look into (messages, flags)."""
        return self.account(username).folder(name)


# --- SEARCH and SORT -----------------------------------------------------------------
def _contains(value, term):
    return str(term).casefold() in str(value).casefold()


def _when(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value))


_TEXT_KEYS = {
    "SUBJECT": lambda m: m.header("Subject"), "FROM": lambda m: m.header("From"),
    "TO": lambda m: m.header("To"), "CC": lambda m: m.header("Cc"),
    "BCC": lambda m: m.header("Bcc"),
    "BODY": lambda m: m.section("TEXT").decode("utf-8", "replace"),
    "TEXT": lambda m: m.raw.decode("utf-8", "replace"),
}
_FLAG_KEYS = {"SEEN": ("\\Seen", True), "UNSEEN": ("\\Seen", False),
              "FLAGGED": ("\\Flagged", True), "UNFLAGGED": ("\\Flagged", False),
              "ANSWERED": ("\\Answered", True), "UNANSWERED": ("\\Answered", False),
              "DRAFT": ("\\Draft", True), "UNDRAFT": ("\\Draft", False)}


def _criterion(tokens):
    """(test of a Stored message, tokens left) for the first criterion of tokens."""
    word, rest = str(tokens[0]).upper(), tokens[1:]
    if isinstance(tokens[0], (list, tuple)):
        return matcher(tokens[0]), rest
    if word == "ALL":
        return (lambda m: True), rest
    if word in _FLAG_KEYS:
        flag, on = _FLAG_KEYS[word]
        return (lambda m: (flag in m.flags) == on), rest
    if word in _TEXT_KEYS:
        field, term = _TEXT_KEYS[word], rest[0]
        return (lambda m: _contains(field(m), term)), rest[1:]
    if word == "HEADER":
        name, term = rest[0], rest[1]
        return (lambda m: bool(m.header(name)) and _contains(m.header(name), term)), rest[2:]
    if word in ("SENTSINCE", "SENTBEFORE"):
        day = _when(rest[0])
        if word == "SENTSINCE":
            return (lambda m: m.summary.date is not None
                    and m.summary.date.date() >= day), rest[1:]
        return (lambda m: m.summary.date is not None and m.summary.date.date() < day), rest[1:]
    if word == "UID":
        wanted = set(expand_uid_set(str(rest[0])))
        return (lambda m: m.uid in wanted), rest[1:]
    if word == "NOT":
        test, rest = _criterion(rest)
        return (lambda m: not test(m)), rest
    if word == "OR":
        first, rest = _criterion(rest)
        second, rest = _criterion(rest)
        return (lambda m: first(m) or second(m)), rest
    raise ServerRefused(f"the fake server cannot search by {word}")


def matcher(criteria):
    """A test of a Stored message for SEARCH criteria (a token list), every one to hold."""
    tests, tokens = [], list(criteria or ["ALL"])
    while tokens:
        test, tokens = _criterion(tokens)
        tests.append(test)
    return lambda m: all(test(m) for test in tests)


def _first_local(people):
    return people[0].email.split("@")[0].casefold() if people else ""


SORT_VALUES = {
    "date": lambda m: m.summary.date or NO_DATE,
    "arrival": lambda m: 0,
    "from": lambda m: _first_local([m.summary.sender]),
    "to": lambda m: _first_local(m.summary.to),
    "subject": lambda m: m.summary.subject.casefold().removeprefix("re: "),
    "size": lambda m: m.summary.size,
}


def ordered(folder, sort="date", reverse=True, criteria=None):
    """UIDs of a folder's messages that match, in a sort order (ties go by UID)."""
    value, test = SORT_VALUES.get(sort, SORT_VALUES["date"]), matcher(criteria)
    found = sorted((m for m in folder.messages.values() if test(m)),
                   key=lambda m: (value(m), m.uid), reverse=reverse)
    return [m.uid for m in found]
