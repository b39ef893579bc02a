"""The selected folder: which one it is, and how much of what is known of it still holds.

One connection has one folder selected at a time. Selection knows its FolderState (the
mailbox cache's revalidation key), whether this request confirmed it already, and what
the last NOOP said; it hears from the Connection of every command that could change it.
"""
import dataclasses

from . import hooks, parse
from .connection import CHANGES_FOLDER, Listener
from .errors import MailboxElsewhere, MailboxNotFound, MailServerUnavailable, ServerRefused
from .state import FolderState

# Commands that change only flags, of messages in the selected folder.
CHANGES_FLAGS = frozenset({"add_flags", "remove_flags", "set_flags"})
NOTICES = ("EXISTS", "EXPUNGE", "FETCH", "VANISHED", "RECENT")
# What a server says of the selected folder's changes; anything else is "odd".
CHANGE_NOTICES = frozenset({b"EXISTS", b"EXPUNGE", b"FETCH", b"RECENT", b"VANISHED",
                            b"FLAGS"})
# Commands (by name, or a raw command by its label) about the selected folder's messages:
# before one, a folder whose state a watcher vouched for is selected on the wire.
ON_SELECTED = frozenset({"fetch", "search", "sort", "thread", "add_flags", "remove_flags",
                         "set_flags", "copy", "move", "expunge", "uid_expunge",
                         "delete_messages", "store_answered", "esearch", "esearch_all"})


class Selection(Listener):
    """The selected folder of one Connection and its known state.

    folder: the selected folder's name (None when none is).
    state: its FolderState while it is current for this request (None otherwise).
    current: (folder, FolderState) of the last SELECT (or ESEARCH), while it holds; it
    outlives a request, and is confirmed by a NOOP in the next.
    condstore, qresync: the extensions enabled on this connection.
    """

    def __init__(self, conn):
        self.conn = conn
        conn.listener = self
        self.folder = None
        self.state = None
        self.current = None
        self.condstore = False
        self.qresync = False
        self._validity = {}  # folder -> UIDVALIDITY its last SELECT reported
        self._fresh = False  # current was confirmed in this request: no NOOP needed again
        self._uids = None  # (folder, state, UIDs) as restat found them
        self._looked = None  # what this request's last NOOP said, until Heron changes mail
        self._reselect = None  # the folder to select again after a reconnect
        # (folder, FolderState) taken under a watcher's vouch in this request, not selected
        # on the wire: it is, before the first command that needs it (needs_folder).
        self.vouched = None
        self._known_validity = {}  # folder -> UIDVALIDITY, from the wire or a vouch

    def begin_request(self):
        """What an earlier request learnt of the selected folder is to be confirmed again."""
        self.state = None
        self.vouched = None
        if self.conn.vouch is not None:
            self.conn.vouch.begin_request()
        if self.conn.cache is not None:
            self.conn.cache.begin_request()
        self._fresh = False
        self._uids = None
        self._looked = None

    def forget(self):
        """The folder's known state no longer holds (a change this layer cannot follow)."""
        self.current = None

    @property
    def keeps_state(self):
        """Whether a state select() gives tells every change of the folder (CONDSTORE's
        HIGHESTMODSEQ), so that what is made for it may be kept for it (pagememo, a kept
        list's blocks). So on a server with CONDSTORE, whether or not this connection has
        enabled it yet: select() enables it before its first SELECT, or takes a state under
        a watcher's vouch that a connection with it enabled confirmed. A session that has
        not connected yet knows the server's capabilities from the account's last login."""
        return self.condstore or self.conn.has("CONDSTORE")

    def is_selected(self, mailbox):
        return self.folder == mailbox

    # --- what the Connection tells -------------------------------------------------------
    def logged_in(self):
        self._reselect, self.folder = self.folder, None
        self.condstore = self.qresync = self._fresh = False
        self.current = None

    def reconnected(self):
        folder, self._reselect = self._reselect, None
        if folder is not None:
            self.select(folder)

    def closed(self):
        self.folder = None

    def needs_folder(self, name, label):
        if self.vouched is not None and (name in ON_SELECTED or label in ON_SELECTED):
            mailbox, state = self.vouched
            self.vouched = None
            if self._select(mailbox) != state:
                # The server changed the folder after the watcher last vouched for it, and
                # before it reported so (its notices come with a short delay).
                hooks.cache_lookup("vouch-overtaken", True)

    def command_starting(self, name):
        kept = self.current
        if name in CHANGES_FOLDER:
            # The folder changes under the state SELECT reported; the cache must not
            # trust it again before the next SELECT.
            self.state = self.current = self._looked = None
        return kept

    def command_done(self, name, kept):
        if name in CHANGES_FLAGS and kept is not None:
            # Flags changed by Heron itself: which messages are in the folder, so the
            # cached order, still holds; flags are fetched again (no MODSEQ).
            self.conn.response_code("FETCH")
            self.current = (kept[0], dataclasses.replace(kept[1], modseq=None))

    def fetched(self, answer, unasked):
        """A line about a message not asked for, or one with a MODSEQ above the known
        HIGHESTMODSEQ, means the folder's known state no longer holds."""
        state = self.current[1] if self.current is not None else None
        newer = state is not None and state.modseq is not None and any(
            int((item.get(b"MODSEQ") or (0,))[0]) > state.modseq for item in answer.values())
        if newer or unasked:
            self.current = None

    # --- selecting -----------------------------------------------------------------------
    def ensure(self, mailbox):
        """Select the folder unless it is already selected (either way)."""
        if self.folder != mailbox:
            self.select(mailbox)

    def select(self, mailbox):
        """The folder's FolderState for this request, from the wire (_select) or, while a
        change watcher vouches that nothing changed since a frontend last confirmed it, from
        the shared cache with no command at all (webmail/imap/vouch.py). A state confirmed
        on the wire is kept for the next request under the watcher's token."""
        vouch = self.conn.vouch
        if vouch is None:
            return self._select(mailbox)
        if self.vouched is not None and self.vouched[0] == mailbox:
            return self.vouched[1]
        if self.state is not None and self.folder == mailbox and self._fresh:
            return self._select(mailbox)
        trusted = vouch.trusted(mailbox)
        if trusted is not None:
            self.vouched = (mailbox, trusted)
            self.state = trusted
            self._known_validity[mailbox] = trusted.uidvalidity
            return trusted
        state = self._select(mailbox)
        vouch.keep(mailbox, state)
        return state

    def _select(self, mailbox):
        """Make mailbox the selected folder; returns its FolderState (UIDVALIDITY, UIDNEXT,
        EXISTS and, with CONDSTORE enabled once per connection, HIGHESTMODSEQ), which is
        also the mailbox cache's revalidation.

        Heron always selects read-write (every fetch is a PEEK, so reading changes nothing):
        with one mode a folder stays selected on the pooled connection from one request to
        the next. Then NOOP stands in for the SELECT: the server must
        report any change to the selected folder (EXISTS, EXPUNGE, FETCH) at NOOP at the
        latest, and when it reports none the state of the last SELECT still holds. That
        matters: a SELECT re-reads the folder's index (on Dovecot's Maildir, the whole
        uidlist: 100 ms at 100,000 messages); a NOOP costs what a round trip costs. Only on
        servers with CONDSTORE: a minimal server (the demo) was seen to say nothing at NOOP
        of its selected folder deleted and made again, so there each request SELECTs.

        When the NOOP does report a change (or Heron made one), the connection has taken
        it in, and one ESEARCH tells the folder's new state (restat), where a SELECT would
        rescan the folder: on Dovecot's Maildir 300 ms at 100,000 messages after a change.
        Only a notice of another kind (Dovecot answers NOOP with a NO when the selected
        folder was deleted) makes it SELECT again."""
        if not self.condstore and self.conn.has("CONDSTORE"):
            # QRESYNC includes CONDSTORE and adds VANISHED to CHANGEDSINCE answers.
            self.qresync = self.conn.has("QRESYNC")
            self.conn.call("enable", "QRESYNC" if self.qresync else "CONDSTORE")
            self.condstore = True
        if self.condstore and self.folder == mailbox:
            current = self.current
            known = current is not None and current[0] == mailbox
            if current is not None and known and self._fresh:
                # Confirmed once per request: a second look within it would see the same.
                self.state = current[1]
                return self.state
            # A NOOP of this request (the folder list's) that found changes has taken them
            # in already: no second one before restat.
            looked = "changed" if not known and self._looked == "changed" else self.noop()
            if looked != "odd":
                if self.current is not None:  # "same"
                    self.state = self.current[1]
                    return self.state
                state = self.restat(mailbox)
                if state is not None:
                    return state
        try:
            info = self.conn.call("select_folder", mailbox, readonly=False)
        except MailboxElsewhere:
            self.folder = self.current = self.state = None
            raise
        except ServerRefused:
            self.folder = self.current = self.state = None
            raise self._refused(mailbox) from None
        self._forget_notices()
        self._fresh = True
        self.folder = mailbox
        self.state = FolderState.from_select(info)
        self.current = (mailbox, self.state)
        self._validity[mailbox] = self._known_validity[mailbox] = self.state.uidvalidity
        return self.state

    def _refused(self, mailbox):
        """The error for a refused SELECT: MailboxNotFound, unless the account's INBOX, which
        every account has, cannot be opened either (one STATUS asks, on this path only).
        Then the server is passing through a change and the folder is back in a moment: a
        Cyrus Murder moving a user to another backend says "Mailbox does not exist" of every
        folder of the user for about two seconds."""
        if mailbox.upper() != "INBOX":
            try:
                self.conn.call("folder_status", "INBOX", ["MESSAGES"], label="status_inbox")
            except ServerRefused:
                pass
            else:
                return MailboxNotFound(mailbox)
        return MailServerUnavailable("SELECT refused, and the INBOX is not there either")

    def leave(self, mailbox):
        """Have mailbox no longer selected (before it is renamed)."""
        if self.folder != mailbox:
            return
        if self.conn.has("UNSELECT"):
            self.conn.call("unselect_folder")
        else:
            self.select("INBOX")
        self.folder = None

    def restat(self, mailbox):
        """The selected folder's state from one ESEARCH, after a NOOP; None without ESEARCH
        (then SELECT). UID SEARCH RETURN (ALL COUNT MAX) MODSEQ 0 answers which UIDs there
        are (kept for all_uids, which Ordering needs next), how many, the highest, and the
        highest MODSEQ of any message. Those stand in for SELECT's UIDNEXT, EXISTS and
        HIGHESTMODSEQ as cache keys: UIDs only grow, so any change of which messages exist
        changes the count or the highest UID, and any flag change raises the highest MODSEQ.
        A key made so may differ from SELECT's for the same folder (after the newest
        messages were expunged), which costs a cache miss, never a wrong list; that a kept
        message is still there is for flags_of() to confirm. STATUS would tell the real
        numbers, but STATUS of the selected folder answers from the connection's view, and
        Dovecot marks it CLIENTBUG (Heron asks it only in Folders.counted, after a NOOP, of
        a folder LIST-STATUS left out). An empty answer gives None too (see below)."""
        if not self.conn.has("ESEARCH") or mailbox not in self._validity:
            return None
        found = self.esearch([b"RETURN", b"(ALL", b"COUNT", b"MAX)", b"MODSEQ", b"0"])
        uids = sorted(parse.expand_uid_set(found.get("ALL", "")))
        if not uids:
            # Every message gone: emptied, or the folder deleted and made again under its
            # name (Cyrus then reports all of the old one VANISHED). SELECT tells which.
            return None
        modseq = found.get("MODSEQ")
        state = FolderState(self._validity[mailbox], int(found.get("MAX", 0)) + 1, len(uids),
                            int(modseq) if modseq else None)
        self.state, self.current, self._fresh = state, (mailbox, state), True
        self._uids = (mailbox, state, uids)
        return state

    def all_uids(self):
        """The UIDs of the selected folder, ascending, by ESEARCH (RFC 4731): as ranges, so
        100,000 UIDs that run on cost a few bytes. The set restat just learnt is used."""
        if self._uids is not None and self._uids[:2] == (self.folder, self.state):
            return self._uids[2]
        found = self.esearch([b"RETURN", b"(ALL)", b"ALL"], label="esearch_all")
        return sorted(parse.expand_uid_set(found.get("ALL", "")))

    def esearch(self, words, label="esearch"):
        """{result name: value} of one UID SEARCH with ESEARCH's RETURN options."""
        lines = self.conn.call("raw_untagged", b"SEARCH", words,
                               response_name="ESEARCH", label=label)
        found: dict = {}
        for line in lines:
            tokens = parse.to_text(line or b"").split()
            if tokens and tokens[0].upper() == "(TAG":
                tokens = tokens[2:]
            if tokens and tokens[0].upper() == "UID":
                tokens = tokens[1:]
            found.update((name.upper(), value) for name, value in zip(tokens[::2], tokens[1::2]))
        return found

    def _forget_notices(self):
        """Drop the change notices imaplib kept from earlier answers; True if any."""
        return any([self.conn.response_code(code) is not None for code in NOTICES])

    def noop(self):
        """NOOP, which also lets the server tell what changed in the selected folder.
        Every NOOP goes through here: a notice it brings (or one kept from an earlier
        answer) means the folder's known state no longer holds, and nobody else will see
        that notice again. Answers "same" (the state holds for this request), "changed"
        (notices of changes, now taken in) or "odd" (some other notice: SELECT again)."""
        kept = self._forget_notices()
        _message, notices = self.conn.call("noop")
        self._forget_notices()  # imaplib kept the same lines too
        if not notices and not kept:
            self._fresh = self.current is not None
            self._looked = "same"
            return "same"
        self.current = None
        odd = [notice for notice in notices
               if not (isinstance(notice, tuple) and len(notice) > 1
                       and {notice[0], notice[1]} & CHANGE_NOTICES)]
        self._looked = "odd" if odd else "changed"
        return self._looked

    def rendered_key(self, mailbox, uid, variant):
        """A cache key for what Heron made of one message (its body as shown), valid as
        long as the message is: it names the folder's UIDVALIDITY, which this connection
        learnt when it selected the folder to fetch the message. None before that."""
        validity = self._known_validity.get(mailbox)
        if not validity or self.conn.cache is None:
            return None
        return self.conn.cache.rendered_key(mailbox, validity, uid, variant)
