"""What a change watcher vouches for, and what a frontend may then take without asking.

A watcher (`manage.py watch`, webmail/push.py) holds one connection per active user that
the server tells of every change: NOTIFY (RFC 5465) for all the user's folders, else IDLE
on the folder the user has open. For each user it keeps one record in the shared cache,
written by that watcher alone:

    heron:vouch:v1:<account>  {"epoch": str, "all": bool, "idle": digest or "",
                               "seqs": {folder digest: int}}

* epoch is new each time the watcher's connection is made: a state confirmed before it
  (while nobody listened) is never trusted under the new one;
* all says the watcher hears of every folder (NOTIFY); otherwise only the folder whose
  digest is idle;
* seqs counts the changes the server reported per folder.

The record expires VOUCH_SECONDS after the watcher last wrote or refreshed it: a watcher
that dies stops vouching within that time, and frontends then ask the server as before.

A frontend that confirms a folder's state with the server (SELECT, NOOP, ESEARCH) keeps
that state with the token the record gave just before it asked (`confirmed`); a later
request whose token for the folder is still the same takes the state with no command. A
change Heron makes itself counts in a third key (`changed`), part of every token, so the
page after the user's own move or flag never waits for the watcher to report it.

A confirmed state lives HERON_VOUCH_TRUST_SECONDS in the shared cache (on its clock, so the
frontends' clocks need not agree); then one request asks again. A server may tell a change
late (Dovecot told one 11 s late while another session searched 100,000 messages) or,
through a fault of its own, never: this bounds how long a page can miss it.

What is kept names the account and folder by digests only, and expires.
"""
import hashlib
import uuid

from django.conf import settings
from django.core.cache import cache

from webmail.cachejson import read

from . import hooks
from .readahead import ReadAhead
from .state import FolderState

VOUCH_SECONDS = 3
CHANGED_SECONDS = 24 * 3600
SHAPE = 1
# The confirmed state's key: v2 lives HERON_VOUCH_TRUST_SECONDS (v1 lived a day), so a
# release that trusts a state that long never reads one kept by a release that did not.
CONFIRMED_SHAPE = 2

# seqs is a dict of folder digests, checked where it is read (_token).
_RECORD = {"epoch": str, "all": bool, "idle": str, "seqs": dict}
_CONFIRMED = {"state": [int], "token": str}


def folder_digest(mailbox):
    return hashlib.sha256(mailbox.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def record_key(account):
    return f"heron:vouch:v{SHAPE}:{account}"


def _confirmed_key(account, mailbox):
    return f"heron:confirmed:v{CONFIRMED_SHAPE}:{account}:{folder_digest(mailbox)}"


def _changed_key(account):
    return f"heron:changed:v{SHAPE}:{account}"


def expected_keys(account, mailbox, *keys):
    """The keys Vouch(account).expect(mailbox, *keys) reads in its one round trip: a caller
    that read them already (the request's first read) hands their values to expect."""
    return [record_key(account), _changed_key(account), _confirmed_key(account, mailbox), *keys]


def _token(record, changed, mailbox):
    """The token of mailbox under the watcher's record, or None if it does not vouch."""
    if not isinstance(record, dict):
        return None
    digest = folder_digest(mailbox)
    if not record["all"] and record["idle"] != digest:
        return None
    seq = record["seqs"].get(digest, 0)
    if type(seq) is not int:
        return None
    return f"{record['epoch']}:{seq}:{changed}"


def _state(value):
    state = value["state"]
    if len(state) != 4:
        return None
    return FolderState(state[0], state[1], state[2], state[3] if state[3] >= 0 else None)


def _record_of(found, record_k, changed_k):
    """(the watcher's record, the own-change count) from one read of the shared cache."""
    changed = found.get(changed_k) or 0
    return (read(found.get(record_k), _RECORD, lambda value: value),
            changed if isinstance(changed, int) else 0)


class Vouch:
    """One account's side of the watcher's promise, as a frontend reads it."""

    def __init__(self, account, ahead=None):
        self.account = account
        self._tokens = {}  # mailbox -> the token read before this request asked the server
        self._read = None  # (the watcher's record, the own-change count) of this request
        # keys to read with the record: what the request will ask next (expect)
        self._along: tuple[str, ...] = ()
        # where their values are held for the request: the account's MailboxCache's, which
        # empties it as a request begins
        self._ahead = ahead if ahead is not None else ReadAhead()

    def begin_request(self):
        self._tokens = {}
        self._read = None
        self._along = ()

    def expect(self, mailbox, *keys, found=None):
        """The request will want mailbox's confirmed state and these keys of the shared
        cache: they come in the same round trip as the watcher's record (a wrong guess
        costs a key in that read, nothing more).

        found: {key: value or None} this request read of the shared cache already, before
        it asked the server anything. Holding every key expected_keys() names, it is taken
        as that round trip's answer, and none is made."""
        record_k, changed_k, *along = expected_keys(self.account, mailbox, *keys)
        if found is not None and all(key in found for key in (record_k, changed_k, *along)):
            self._ahead.hold(along, found)
            self._read = _record_of(found, record_k, changed_k)
            along = []
        self._along = tuple(along)

    def _record_and_changed(self, *more):
        """The watcher's record, the own-change count and the values of the keys more, in
        one read of the shared cache; the record and count once per request. Keys that
        came along with the record are taken from that read: one snapshot."""
        if self._read is not None and self._ahead.holds(more):
            return (*self._read, *(self._ahead.take(key) for key in more))
        record_k, changed_k = record_key(self.account), _changed_key(self.account)
        along = [key for key in self._along if key not in more]
        self._along = ()
        found = cache.get_many([record_k, changed_k, *more, *along])
        self._ahead.hold(along, found)
        self._read = _record_of(found, record_k, changed_k)
        return (*self._read, *(found.get(key) for key in more))

    def everything(self):
        """The watcher's epoch while it listens to every folder of the account (NOTIFY)
        and Heron changed nothing since the count was read, else None."""
        record, changed = self._record_and_changed()[:2]
        if record is None or not record["all"]:
            return None
        return f"{record['epoch']}:{changed}"

    def trusted(self, mailbox):
        """The folder's state as confirmed under the watcher's present token, or None (the
        watcher does not vouch, or something changed since, or nothing was confirmed): then
        ask the server and keep() what it said. One read of the shared cache."""
        record, changed, confirmed = self._record_and_changed(
            _confirmed_key(self.account, mailbox))
        token = _token(record, changed, mailbox)
        self._tokens[mailbox] = token
        if token is None:
            return None
        confirmed = read(confirmed, _CONFIRMED, lambda value: value)
        state = _state(confirmed) if confirmed and confirmed["token"] == token else None
        hooks.cache_lookup("vouched", state is not None)
        return state

    def keep(self, mailbox, state):
        """The state the server just confirmed for mailbox, under the token read before it
        was asked (by trusted()); nothing when the watcher did not vouch then."""
        token = self._tokens.pop(mailbox, None)
        if token is None or state is None:
            return
        modseq = state.modseq if state.modseq is not None else -1
        cache.set(_confirmed_key(self.account, mailbox),
                  {"state": [state.uidvalidity, state.uidnext, state.exists, modseq],
                   "token": token}, settings.HERON_VOUCH_TRUST_SECONDS)

    def changed(self):
        """Heron changed the account's mail itself: no confirmed state holds any longer."""
        self._tokens = {}
        self._read = None
        self._ahead.clear()
        key = _changed_key(self.account)
        cache.add(key, 0, CHANGED_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between the two: a new count is as good
            cache.set(key, 1, CHANGED_SECONDS)


class Voucher:
    """The watcher's side: the record of one account, written by one watcher alone."""

    def __init__(self, account):
        self.account = account
        self.record = None

    def start(self, everything, idle_folder=None):
        """The watcher's connection is (re)made: a new epoch, nothing confirmed before it
        is trusted. everything: the server reports all folders (NOTIFY); else only
        idle_folder."""
        self.record = {"epoch": uuid.uuid4().hex[:16], "all": bool(everything),
                       "idle": folder_digest(idle_folder) if idle_folder else "", "seqs": {}}
        self._write()

    def bump(self, mailbox=None):
        """The server reported a change of mailbox (None: of something unknown, then
        nothing confirmed holds: a new epoch)."""
        if self.record is None:
            return
        if mailbox is None:
            self.record["epoch"] = uuid.uuid4().hex[:16]
            self.record["seqs"] = {}
        else:
            digest = folder_digest(mailbox)
            self.record["seqs"][digest] = self.record["seqs"].get(digest, 0) + 1
        self._write()

    def refresh(self):
        """Still listening: the record lives VOUCH_SECONDS more. One that expired meanwhile
        (the watcher was held up) is written again under a new epoch: what frontends
        confirmed before the gap is not trusted again."""
        if self.record is not None and not cache.touch(record_key(self.account), VOUCH_SECONDS):
            self.record["epoch"] = uuid.uuid4().hex[:16]
            self._write()

    def stop(self):
        """No longer listening: vouch for nothing."""
        self.record = None
        cache.delete(record_key(self.account))

    def _write(self):
        cache.set(record_key(self.account), self.record, VOUCH_SECONDS)
