"""MailSession: one logged-in IMAP connection, its capabilities and its fallbacks.

Everything Heron asks of an IMAP server goes through a MailSession; the rest of the code
sees only the domain objects of types.py and the errors of errors.py.
"""
import dataclasses
import logging
import math
import socket
import ssl
import time

from imapclient import IMAPClient
from imapclient import exceptions as imap_exceptions

from webmail import metrics

from . import parse, search, structure
from .errors import AuthFailed, MailboxNotFound, MailError, MailServerUnavailable, ServerRefused
from .conversations import ConversationsMixin
from .drafts import DraftsMixin
from .folders import FoldersMixin
from .organise import OrganiseMixin
from .reading import ReadingMixin
from .state import FolderState, MailboxCache, searchable
from .summary import SUMMARY_FIELDS, summary_from
from .types import MessagePage

log = logging.getLogger(__name__)

# Sort orders Heron offers; the names are RFC 5256 sort keys.
SORT_KEYS = {"date": "DATE", "arrival": "ARRIVAL", "from": "FROM", "to": "TO",
             "subject": "SUBJECT", "size": "SIZE"}
_NETWORK_ERRORS = (OSError, ssl.SSLError, socket.timeout, imap_exceptions.IMAPClientAbortError)
# Commands that change only flags, of messages in the selected folder.
_CHANGES_FLAGS = frozenset({"add_flags", "remove_flags", "set_flags"})
# Commands that add, rename or remove folders or change subscriptions.
_CHANGES_FOLDERS = frozenset({"create_folder", "rename_folder", "delete_folder",
                              "subscribe_folder", "unsubscribe_folder"})
# Commands after which the selected folder is no longer as SELECT described it.
_CHANGES_FOLDER = frozenset({"add_flags", "remove_flags", "set_flags", "move", "copy",
                             "expunge", "uid_expunge", "append", "delete_messages"})


class MailSession(ReadingMixin, OrganiseMixin, FoldersMixin, ConversationsMixin, DraftsMixin):
    """A connection to one account on one IMAP server.

    Create it, call login(), then use the query methods; close() logs out. A dropped
    connection (server restart, idle timeout) is re-made and the command retried once, so
    a pooled session survives what the server did while it sat idle.
    """

    def __init__(self, config, timeout=15):
        self.config = config
        self.timeout = timeout
        self.commands = 0  # IMAP commands sent, for Server-Timing and tests
        self.imap_seconds = 0.0
        self._client = None
        self._credentials = None
        self._selected = None
        self._roles = None
        self.folder_state = None  # FolderState of the selected folder, while it is current
        self._validity = {}  # folder -> UIDVALIDITY its last SELECT reported
        self._current = None  # (folder, FolderState) of the last SELECT, while it holds
        self._cache = None
        self._condstore = False

    # --- connection ---------------------------------------------------------------------
    def _connect(self):
        security = self.config.security
        context = ssl.create_default_context() if security in ("ssl", "starttls") else None
        try:
            client = IMAPClient(self.config.host, port=self.config.port, use_uid=True,
                                ssl=security == "ssl", ssl_context=context,
                                timeout=self.timeout)
            if security == "starttls":
                client.starttls(context)
        except imap_exceptions.IMAPClientError as exc:
            raise MailServerUnavailable(str(exc)) from None
        except _NETWORK_ERRORS as exc:
            raise MailServerUnavailable(f"{type(exc).__name__}: {exc}") from None
        client.normalise_times = False
        return client

    def login(self, username, password):
        """Connect and log in; raises AuthFailed or MailServerUnavailable."""
        client = self._connect()
        started = time.monotonic()
        try:
            client.login(username, password)
        except imap_exceptions.LoginError:
            self._quietly_close(client)
            raise AuthFailed("the server refused the login") from None
        except imap_exceptions.IMAPClientError as exc:
            self._quietly_close(client)
            raise AuthFailed(str(exc)) from None
        except _NETWORK_ERRORS as exc:
            self._quietly_close(client)
            raise MailServerUnavailable(f"{type(exc).__name__}") from None
        finally:
            self._count("login", time.monotonic() - started)
        self._client = client
        self._credentials = (username, password)
        self._selected = None
        self._cache = MailboxCache(self.config.host, self.config.port, username)
        self._condstore = False
        self._current = None

    @property
    def connected(self):
        return self._client is not None

    def close(self):
        """Log out and drop the connection; never raises."""
        client, self._client = self._client, None
        self._selected = None
        if client is not None:
            try:
                client.logout()
            except (imap_exceptions.IMAPClientError, *_NETWORK_ERRORS):
                self._quietly_close(client)

    @staticmethod
    def _quietly_close(client):
        try:
            client.shutdown()
        except (imap_exceptions.IMAPClientError, *_NETWORK_ERRORS):
            log.debug("closing a broken IMAP connection failed")

    def _reconnect(self):
        if self._credentials is None:
            raise MailServerUnavailable("not logged in")
        if self._client is not None:
            self._quietly_close(self._client)
            self._client = None
        selected, self._selected = self._selected, None
        self.login(*self._credentials)
        if selected is not None:
            self._select(*selected)

    def _call(self, name, *args, **kwargs):
        """Run one imapclient method, counted and timed; retry once on a dropped link."""
        for attempt in (1, 2):
            if self._client is None:
                self._reconnect()
            started = time.monotonic()
            kept = self._current
            if name in _CHANGES_FOLDER:
                # The folder changes under the state SELECT reported; the cache must not
                # trust it again before the next SELECT, nor the folder counts at all.
                self.folder_state = self._current = None
            if name in _CHANGES_FOLDER or name in _CHANGES_FOLDERS:
                if self._cache is not None:
                    self._cache.forget_folders()
            try:
                answer = getattr(self._client, name)(*args, **kwargs)
                if name in _CHANGES_FLAGS and kept is not None:
                    # Flags changed by Heron itself: which messages are in the folder, so
                    # the cached order, still holds; flags are fetched again (no MODSEQ).
                    self._response_code("FETCH")
                    self._current = (kept[0], dataclasses.replace(kept[1], modseq=None))
                return answer
            except _NETWORK_ERRORS as exc:
                if attempt == 2:
                    self._client = None
                    raise MailServerUnavailable(f"{type(exc).__name__} during {name}") from None
                log.info("IMAP connection dropped during %s; reconnecting", name)
                self._reconnect()
            except imap_exceptions.CapabilityError as exc:
                raise MailError(str(exc)) from None
            except imap_exceptions.IMAPClientError as exc:
                raise ServerRefused(parse.to_text(str(exc))) from None
            finally:
                self._count(name, time.monotonic() - started)
        raise MailServerUnavailable(name)

    def _count(self, name, seconds):
        self.commands += 1
        self.imap_seconds += seconds
        metrics.imap_command(name, seconds)

    def _response_code(self, name):
        """The data of the last [NAME ...] response code the server sent, then forgotten.

        imapclient returns no response codes from COPY and MOVE, so the COPYUID of
        UIDPLUS is read from imaplib's public response() of the underlying connection.
        """
        if self._client is None:
            return None
        _code, values = self._client._imap.response(name)
        return values[-1] if values and values[-1] is not None else None

    def has(self, capability):
        """True when the server announced the capability (after login)."""
        if self._client is None:
            self._reconnect()
        return self._client.has_capability(capability)

    # --- folders -------------------------------------------------------------------------
    def list_mailboxes(self):
        """All folders as ordered Mailbox objects with unread and total counts.

        The list is kept in the mailbox cache for FOLDER_LIST_SECONDS and dropped by any
        change Heron makes (flags, moves, folders), so it follows the user's own actions at
        once and another client's within that time; the open folder's counts are polled
        more often by the page."""
        if self._cache is not None:
            found = self._cache.folders()
            if found is not None:
                return found
        folders = self._list_mailboxes()
        if self._cache is not None:
            self._cache.keep_folders(folders)
        return folders

    def _list_mailboxes(self):
        listing = self._call("list_folders")
        if self._selected:
            # STATUS of the folder this connection has selected is answered from what it
            # has seen; NOOP first so that its counts include what arrived since.
            self._noop()
        counts = {}
        for flags, _delimiter, name in listing:
            lowered = {flag.lower() for flag in flags if isinstance(flag, bytes)}
            if lowered & {b"\\noselect", b"\\nonexistent"}:
                continue
            try:
                status = self._call("folder_status", name, ["MESSAGES", "UNSEEN"])
            except ServerRefused:
                continue
            counts[parse.to_text(name)] = (status.get(b"UNSEEN", 0), status.get(b"MESSAGES", 0))
        return parse.build_mailboxes(listing, counts)

    def _ensure_selected(self, mailbox):
        """Select the folder unless it is already selected (either way)."""
        if not self._selected or self._selected[0] != mailbox:
            self._select(mailbox)

    def _select(self, mailbox, readonly=True):
        """Make mailbox the selected folder; returns what SELECT says of it (EXISTS,
        UIDVALIDITY, UIDNEXT and, with CONDSTORE enabled once per connection,
        HIGHESTMODSEQ), which is also the mailbox cache's revalidation.

        Heron selects read-write whatever readonly says (every fetch is a PEEK, so reading
        changes nothing): with one mode a folder stays selected on the pooled connection
        from one request to the next. Then NOOP stands in for the SELECT: the server must
        report any change to the selected folder (EXISTS, EXPUNGE, FETCH) at NOOP at the
        latest, and when it reports none the state of the last SELECT still holds. That
        matters: a SELECT re-reads the folder's index (on Dovecot's Maildir, the whole
        uidlist: 100 ms at 100,000 messages); a NOOP costs what a round trip costs. Only on
        servers with CONDSTORE: a minimal server (the demo) was seen to say nothing at NOOP
        of its selected folder deleted and made again, so there each request SELECTs."""
        if not self._condstore and self.has("CONDSTORE"):
            self._call("enable", "CONDSTORE")
            self._condstore = True
        if (self._condstore and self._current is not None and self._current[0] == mailbox
                and self._unchanged()):
            state = self._current[1]
            self._selected, self.folder_state = (mailbox, False), state
            return state.as_select()
        try:
            info = self._call("select_folder", mailbox, readonly=False)
        except ServerRefused:
            self._selected = self._current = self.folder_state = None
            raise MailboxNotFound(mailbox) from None
        self._forget_notices()
        self._selected = (mailbox, False)
        self.folder_state = FolderState.from_select(info)
        self._current = (mailbox, self.folder_state)
        self._validity[mailbox] = self.folder_state.uidvalidity
        return info

    _NOTICES = ("EXISTS", "EXPUNGE", "FETCH", "VANISHED", "RECENT")

    def _forget_notices(self):
        """Drop the change notices imaplib kept from earlier answers; True if any."""
        return any([self._response_code(code) is not None for code in self._NOTICES])

    def _unchanged(self):
        """True when nothing changed in the selected folder since the last SELECT: no
        notice kept from an earlier answer, and none in answer to a NOOP."""
        return not self._forget_notices() and self._noop()

    def _noop(self):
        """NOOP, which also lets the server tell what changed in the selected folder.
        Every NOOP goes through here: a notice it brings means the last SELECT no longer
        describes the folder, and nobody else will see that notice again. True if none."""
        _message, notices = self._call("noop")
        if notices:
            self._current = None
        return not notices

    def rendered_key(self, mailbox, uid, variant):
        """A cache key for what Heron made of one message (its body as shown), valid as
        long as the message is: it names the folder's UIDVALIDITY, which this connection
        learnt when it selected the folder to fetch the message. None before that."""
        validity = self._validity.get(mailbox)
        if not validity or self._cache is None:
            return None
        return self._cache.rendered_key(mailbox, validity, uid, variant)

    # --- message lists -------------------------------------------------------------------
    def sorted_uids(self, mailbox, sort="date", reverse=True, criteria=None):
        """UIDs of a folder in the given order: server SORT when offered, else Heron's own.

        criteria (a token list from search.criteria) limits the list to matching messages.
        """
        key = SORT_KEYS.get(sort, "DATE")
        info = self._select(mailbox)
        if not info.get(b"EXISTS"):
            return []
        state, order = self.folder_state, f"{key}:{'desc' if reverse else 'asc'}"
        cacheable = state is not None and (criteria is None or searchable(state))
        if cacheable:
            found = self._cache.sorted(mailbox, state, order, criteria)
            if found is not None:
                return found
        if self.has("SORT"):
            uids = list(self._call("sort", ["REVERSE", key] if reverse else [key],
                                   criteria or ["ALL"], "UTF-8"))
        else:
            uids = self._sort_locally(key, reverse, criteria or ["ALL"])
        if cacheable:
            self._cache.keep_sorted(mailbox, state, order, uids, criteria)
        return uids

    def search_uids(self, criteria):
        """UIDs of the selected folder that match, ascending."""
        charset = "UTF-8" if search.needs_charset(criteria) else None
        return sorted(self._call("search", criteria, charset))

    def _sort_locally(self, key, reverse, criteria=("ALL",)):
        uids = self.search_uids(list(criteria))
        if key == "ARRIVAL" or not uids:
            # UIDs grow with arrival, as the ARRIVAL key's tie-break does.
            return uids[::-1] if reverse else uids
        fields = {"DATE": ["ENVELOPE", "INTERNALDATE"], "FROM": ["ENVELOPE"],
                  "TO": ["ENVELOPE"], "SUBJECT": ["ENVELOPE"], "SIZE": ["RFC822.SIZE"]}[key]
        data = self._call("fetch", uids, fields)

        def value(uid):
            item = data.get(uid, {})
            envelope = item.get(b"ENVELOPE")
            if key == "DATE":
                return parse.sort_key_date(envelope.date if envelope else None,
                                           item.get(b"INTERNALDATE"))
            if key == "SIZE":
                return item.get(b"RFC822.SIZE", 0)
            if key == "SUBJECT":
                return _base_subject(parse.decode_words(envelope.subject if envelope else b""))
            people = (envelope.from_ if key == "FROM" else envelope.to) if envelope else None
            first = parse.addresses(people)[:1]
            return first[0].email.split("@")[0].casefold() if first else ""

        ordered = sorted(uids, key=lambda uid: (value(uid), uid))
        return ordered[::-1] if reverse else ordered

    def summaries(self, mailbox, uids):
        """MessageSummary objects for the given UIDs, in the order given.

        Summaries come from the mailbox cache where it has them; only the others are
        fetched, and the flags too unless CONDSTORE vouches for the cached ones."""
        self._ensure_selected(mailbox)
        if not uids:
            return []
        state = self.folder_state
        found = self._cache.summaries(mailbox, state, uids) if state is not None else {}
        missing = [uid for uid in uids if uid not in found]
        if missing:
            data = self._call("fetch", missing, SUMMARY_FIELDS)
            fresh = [summary_from(uid, data[uid]) for uid in missing if uid in data]
            found.update((s.uid, s) for s in fresh)
            if state is not None:
                self._cache.keep_summaries(mailbox, state, fresh)
        unflagged = [uid for uid, s in found.items() if s.flags is None]
        if unflagged:
            data = self._call("fetch", unflagged, ["FLAGS"])
            flags = {uid: tuple(parse.to_text(f) for f in data.get(uid, {}).get(b"FLAGS", ()))
                     for uid in unflagged if uid in data}
            for uid in unflagged:
                if uid in flags:
                    found[uid] = dataclasses.replace(found[uid], flags=flags[uid])
                else:  # expunged meanwhile
                    del found[uid]
            if state is not None:
                self._cache.keep_flags(mailbox, state, flags)
        return [found[uid] for uid in uids if uid in found]

    def with_attachments(self, mailbox, uids):
        """The UIDs (order kept) whose structure holds an attachment; IMAP has no criterion."""
        self._ensure_selected(mailbox)
        keep = set()
        for start in range(0, len(uids), 500):
            batch = uids[start:start + 500]
            data = self._call("fetch", batch, ["BODYSTRUCTURE"])
            keep.update(uid for uid in batch
                        if structure.has_attachments(data.get(uid, {}).get(b"BODYSTRUCTURE")))
        return [uid for uid in uids if uid in keep]

    def page(self, mailbox, page=1, per_page=50, sort="date", reverse=True, query=None):
        """One page of a folder, newest first by default; page numbers start at 1.

        query (a search.SearchQuery) limits the page to the messages that match it.
        """
        criteria = search.criteria(query) if query is not None and query.active else None
        uids = self.sorted_uids(mailbox, sort, reverse, criteria)
        if query is not None and query.attachment:
            uids = self.with_attachments(mailbox, uids)
        total = len(uids)
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        window = uids[(page - 1) * per_page: page * per_page]
        return MessagePage(mailbox=mailbox, messages=tuple(self.summaries(mailbox, window)),
                           page=page, pages=pages, total=total)


def _base_subject(subject):
    """A subject without reply/forward prefixes, for sorting (a light RFC 5256 base subject)."""
    text = subject.strip().casefold()
    changed = True
    while changed:
        changed = False
        for prefix in ("re:", "fw:", "fwd:", "aw:", "wg:", "sv:", "vs:"):
            if text.startswith(prefix):
                text = text[len(prefix):].lstrip()
                changed = True
    return text
