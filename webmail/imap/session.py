"""MailSession: one logged-in IMAP connection, its capabilities and its fallbacks.

Everything Heron asks of an IMAP server goes through a MailSession; the rest of the code
sees only the domain objects of types.py and the errors of errors.py.
"""
import bisect
import dataclasses
import logging
import math
import socket
import ssl
import time

from imapclient import IMAPClient
from imapclient import exceptions as imap_exceptions
from imapclient.imap_utf7 import decode as decode_utf7
from imapclient.response_parser import parse_response

from . import adapter, hooks, parse, search, structure, wall
from .conversations import ConversationsMixin
from .drafts import DraftsMixin
from .errors import AuthFailed, MailboxNotFound, MailError, MailServerUnavailable, ServerRefused
from .folders import FoldersMixin
from .organise import OrganiseMixin
from .reading import ReadingMixin
from .state import FolderState, MailboxCache, searchable
from .summary import SUMMARY_FIELDS, summary_from
from .threads import base_subject
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
        self._qresync = False
        self._fresh = False  # _current was confirmed in this request: no NOOP needed again
        self._uids_now = None  # (folder, state, UIDs) as _restat found them
        self._looked = None  # what this request's last NOOP said, until Heron changes mail

    def begin_request(self):
        """Start a request's count of commands; what an earlier request learnt of the
        selected folder is to be confirmed again (the pool calls this at each checkout)."""
        self.commands = 0
        self.imap_seconds = 0.0
        self.folder_state = None
        self._fresh = False
        self._uids_now = None
        self._looked = None

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
        method = wall.login_method(username, password)
        client = self._connect()
        started = time.monotonic()
        try:
            if method == "login":
                client.login(username, password)
            elif client.has_capability("AUTH=PLAIN"):
                client.plain_login(username, password)
            else:
                raise imap_exceptions.LoginError("the server cannot take this login name")
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
        self._condstore = self._qresync = self._fresh = False
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
            self._select(selected[0])

    def _call(self, name, *args, label=None, **kwargs):
        """Run one imapclient method, counted and timed; retry once on a dropped link.
        label names the command in the metrics where the method's name does not."""
        wall.check_command(name, args, kwargs)
        args = wall.protect_criteria(name, args)
        for attempt in (1, 2):
            if self._client is None:
                self._reconnect()
            started = time.monotonic()
            kept = self._current
            if name in _CHANGES_FOLDER:
                # The folder changes under the state SELECT reported; the cache must not
                # trust it again before the next SELECT.
                self.folder_state = self._current = self._looked = None
            try:
                if name == "fetch":
                    answer = self._fetch(*args, **kwargs)
                elif name == "append":
                    answer = self._append(*args, **kwargs)
                elif name == "raw_untagged":
                    answer = adapter.raw_untagged(self._client, *args, **kwargs)
                else:
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
            except imap_exceptions.ProtocolError as exc:
                # A connection out of step with the server is not used again.
                self._quietly_close(self._client)
                self._client = None
                raise MailServerUnavailable(f"unreadable answer to {name}: {exc}") from None
            except imap_exceptions.IMAPClientError as exc:
                raise ServerRefused(parse.to_text(str(exc))) from None
            finally:
                self._count(label or name, time.monotonic() - started)
                if name in _CHANGES_FOLDER or name in _CHANGES_FOLDERS:
                    # After the change, so that a folder list read while it ran (another
                    # tab's poll) does not stay cached with the counts from before it.
                    if self._cache is not None:
                        self._cache.forget_folders()
        raise MailServerUnavailable(name)

    def _fetch(self, messages, data, modifiers=None):
        """UID FETCH, answered as imapclient's fetch() answers ({uid: {item: value}}), but
        a line about a message not asked for (a change another client made, which the
        server may report with any FETCH) is not dropped unseen: then the folder's known
        state no longer holds. So too when a line carries a MODSEQ above the known
        HIGHESTMODSEQ."""
        if not messages:
            return {}
        words = ["FETCH", parse.uid_ranges(messages),
                 "(" + " ".join(str(item).upper() for item in data) + ")"]
        if modifiers:
            words.append("(" + " ".join(str(item).upper() for item in modifiers) + ")")
        lines = adapter.uid_fetch(self._client, words)
        # Keyed by sequence number first: a line without a UID (allowed before QRESYNC) is
        # another client's change, never to be filed under a UID of the same number.
        by_sequence = structure.fetch_response(lines, self._client.normalise_times, False)
        asked = set(messages)
        answer = {}
        for item in by_sequence.values():
            uid = item.pop(b"UID", None)  # the key, as in imapclient's fetch() answer
            if uid in asked:
                answer.setdefault(uid, {}).update(item)
        state = self._current[1] if self._current is not None else None
        newer = state is not None and state.modseq is not None and any(
            int((item.get(b"MODSEQ") or (0,))[0]) > state.modseq for item in answer.values())
        if newer or len(answer) < len(by_sequence):
            self._current = None
        return answer

    def _append(self, mailbox, raw, flags=()):
        """APPEND raw to mailbox, as imapclient's append() does, but without the copies.

        imaplib's append() runs a regular expression over the whole message to make its
        line ends CRLF, and builds a new bytes object (a 34 MB message cost 147 MB more at
        its peak). A message Heron built has CRLF line ends already, so its buffer is
        handed to imaplib as the literal (adapter.append_buffer): the socket sends from the
        one buffer. A message with a bare LF goes through imapclient's append()."""
        if raw.count(b"\n") != raw.count(b"\r\n"):
            return self._client.append(mailbox, raw, flags)
        return adapter.append_buffer(self._client, mailbox, raw, flags)

    def _count(self, name, seconds):
        self.commands += 1
        self.imap_seconds += seconds
        hooks.imap_command(name, seconds)

    def _response_code(self, name):
        """The data of the last [NAME ...] response code the server sent, then forgotten.

        imapclient returns no response codes from COPY and MOVE, so the COPYUID of
        UIDPLUS is read from imaplib's public response() of the underlying connection.
        """
        values = self._untagged(name)
        return values[-1] if values else None

    def _untagged(self, name):
        """Every untagged NAME response imaplib kept (and forgets them)."""
        if self._client is None:
            return []
        return adapter.responses(self._client, name)

    def has(self, capability):
        """True when the server announced the capability (after login)."""
        if self._client is None:
            self._reconnect()
        return self._client.has_capability(capability)

    # --- folders -------------------------------------------------------------------------
    def list_mailboxes(self, fresh=False):
        """All folders as ordered Mailbox objects with unread and total counts.

        The list is kept in the mailbox cache for FOLDER_LIST_SECONDS and dropped by any
        change Heron makes (flags, moves, folders), so it follows the user's own actions at
        once and another client's within that time; the open folder's counts are polled
        more often by the page. fresh asks the server whatever the cache holds (a poll does,
        where LIST-STATUS makes that one command)."""
        if self._cache is not None and not fresh:
            found = self._cache.folders()
            if found is not None:
                return found
        folders = self._list_mailboxes()
        if self._cache is not None:
            self._cache.keep_folders(folders)
        return folders

    def _list_mailboxes(self):
        if self._selected:
            # STATUS of the folder this connection has selected is answered from what it
            # has seen; NOOP first so that its counts include what arrived since.
            self._noop()
        if self.has("LIST-STATUS"):
            return self._list_with_status()
        listing = self._call("list_folders")
        return parse.build_mailboxes(listing, self._counted(listing, {}))

    def _counted(self, listing, counts):
        """counts ({name: (unread, total)}) with a STATUS for each listed folder that can
        be selected and has none yet."""
        for flags, _delimiter, name in listing:
            lowered = {flag.lower() for flag in flags if isinstance(flag, bytes)}
            if parse.to_text(name) in counts or lowered & {b"\\noselect", b"\\nonexistent"}:
                continue
            try:
                status = self._call("folder_status", name, ["MESSAGES", "UNSEEN"])
            except ServerRefused:
                continue
            counts[parse.to_text(name)] = (status.get(b"UNSEEN", 0), status.get(b"MESSAGES", 0))
        return counts

    def _list_with_status(self):
        """Every folder with its counts in one command: LIST-STATUS (RFC 5819), where
        otherwise each folder costs a STATUS of its own."""
        lines = self._call("raw_untagged", b"LIST", [
            b'""', b'"*"', b"RETURN", b"(STATUS", b"(MESSAGES", b"UNSEEN))"],
            response_name="LIST", uid=False, label="list_status")
        statuses = self._untagged("STATUS")
        try:
            listing = adapter.folder_list(self._client, lines)
            parsed = parse_response(statuses)
        except (imap_exceptions.ProtocolError, ValueError):
            log.warning("unreadable LIST-STATUS answer; asking folder by folder")
            listing, parsed = self._call("list_folders"), ()
        counts = {}
        for name, items in zip(parsed[::2], parsed[1::2]):
            if name is None or not isinstance(items, tuple):
                continue
            status = dict(zip(items[::2], items[1::2]))
            counts[self._folder_name(name)] = (int(status.get(b"UNSEEN", 0)),
                                               int(status.get(b"MESSAGES", 0)))
        # A server may leave out the selected folder (RFC 5819): that one is asked alone.
        counts = self._counted(listing, counts)
        return parse.build_mailboxes(listing, counts)

    def _folder_name(self, raw):
        """A folder name as a server response gives it, as list_folders() would."""
        if isinstance(raw, int):
            return str(raw)
        return decode_utf7(raw) if self._client.folder_encode else parse.to_text(raw)

    def _ensure_selected(self, mailbox):
        """Select the folder unless it is already selected (either way)."""
        if not self._selected or self._selected[0] != mailbox:
            self._select(mailbox)

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
        it in, and one ESEARCH tells the folder's new state (_restat), where a SELECT would
        rescan the folder: on Dovecot's Maildir 300 ms at 100,000 messages after a change.
        Only a notice of another kind (Dovecot answers NOOP with a NO when the selected
        folder was deleted) makes it SELECT again."""
        if not self._condstore and self.has("CONDSTORE"):
            # QRESYNC includes CONDSTORE and adds VANISHED to CHANGEDSINCE answers.
            self._qresync = self.has("QRESYNC")
            self._call("enable", "QRESYNC" if self._qresync else "CONDSTORE")
            self._condstore = True
        if self._condstore and self._selected and self._selected[0] == mailbox:
            known = self._current is not None and self._current[0] == mailbox
            if known and self._fresh:
                # Confirmed once per request: a second look within it would see the same.
                self.folder_state = self._current[1]
                return self.folder_state
            # A NOOP of this request (the folder list's) that found changes has taken them
            # in already: no second one before _restat.
            looked = "changed" if not known and self._looked == "changed" else self._noop()
            if looked != "odd":
                if self._current is not None:  # "same"
                    self.folder_state = self._current[1]
                    return self.folder_state
                state = self._restat(mailbox)
                if state is not None:
                    return state
        try:
            info = self._call("select_folder", mailbox, readonly=False)
        except ServerRefused:
            self._selected = self._current = self.folder_state = None
            raise MailboxNotFound(mailbox) from None
        self._forget_notices()
        self._fresh = True
        self._selected = (mailbox, False)
        self.folder_state = FolderState.from_select(info)
        self._current = (mailbox, self.folder_state)
        self._validity[mailbox] = self.folder_state.uidvalidity
        return self.folder_state

    def _restat(self, mailbox):
        """The selected folder's state from one ESEARCH, after a NOOP; None without ESEARCH
        (then SELECT). UID SEARCH RETURN (ALL COUNT MAX) MODSEQ 0 answers which UIDs there
        are (kept for _resorted, which needs them next), how many, the highest, and the
        highest MODSEQ of any message. Those stand in for SELECT's UIDNEXT, EXISTS and
        HIGHESTMODSEQ as cache keys: UIDs only grow, so any change of which messages exist
        changes the count or the highest UID, and any flag change raises the highest MODSEQ.
        A key made so may differ from SELECT's for the same folder (after the newest
        messages were expunged), which costs a cache miss, never a wrong list; that a kept
        message is still there is for flags_of() to confirm. STATUS would tell the real
        numbers, but STATUS of the selected folder answers from the connection's view, and
        Dovecot marks it CLIENTBUG (Heron asks it only in _counted, after a NOOP, of a
        folder LIST-STATUS left out). An empty answer gives None too (see below)."""
        if not self.has("ESEARCH") or mailbox not in self._validity:
            return None
        found = self._esearch([b"RETURN", b"(ALL", b"COUNT", b"MAX)", b"MODSEQ", b"0"])
        uids = sorted(parse.expand_uid_set(found.get("ALL", "")))
        if not uids:
            # Every message gone: emptied, or the folder deleted and made again under its
            # name (Cyrus then reports all of the old one VANISHED). SELECT tells which.
            return None
        modseq = found.get("MODSEQ")
        state = FolderState(self._validity[mailbox], int(found.get("MAX", 0)) + 1, len(uids),
                            int(modseq) if modseq else None)
        self.folder_state, self._current, self._fresh = state, (mailbox, state), True
        self._uids_now = (mailbox, state, uids)
        return state

    def _esearch(self, words, label="esearch"):
        """{result name: value} of one UID SEARCH with ESEARCH's RETURN options."""
        lines = self._call("raw_untagged", b"SEARCH", words,
                           response_name="ESEARCH", label=label)
        found = {}
        for line in lines:
            tokens = parse.to_text(line or b"").split()
            if tokens and tokens[0].upper() == "(TAG":
                tokens = tokens[2:]
            if tokens and tokens[0].upper() == "UID":
                tokens = tokens[1:]
            found.update((name.upper(), value) for name, value in zip(tokens[::2], tokens[1::2]))
        return found

    _NOTICES = ("EXISTS", "EXPUNGE", "FETCH", "VANISHED", "RECENT")
    # What a server says of the selected folder's changes; anything else is "odd".
    _CHANGE_NOTICES = frozenset({b"EXISTS", b"EXPUNGE", b"FETCH", b"RECENT", b"VANISHED",
                                 b"FLAGS"})

    def _forget_notices(self):
        """Drop the change notices imaplib kept from earlier answers; True if any."""
        return any([self._response_code(code) is not None for code in self._NOTICES])

    def _noop(self):
        """NOOP, which also lets the server tell what changed in the selected folder.
        Every NOOP goes through here: a notice it brings (or one kept from an earlier
        answer) means the folder's known state no longer holds, and nobody else will see
        that notice again. Answers "same" (the state holds for this request), "changed"
        (notices of changes, now taken in) or "odd" (some other notice: SELECT again)."""
        kept = self._forget_notices()
        _message, notices = self._call("noop")
        self._forget_notices()  # imaplib kept the same lines too
        if not notices and not kept:
            self._fresh = self._current is not None
            self._looked = "same"
            return "same"
        self._current = None
        odd = [notice for notice in notices
               if not (isinstance(notice, tuple) and len(notice) > 1
                       and {notice[0], notice[1]} & self._CHANGE_NOTICES)]
        self._looked = "odd" if odd else "changed"
        return self._looked

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
        state = self._select(mailbox)
        if not state.exists:
            return []
        order = f"{key}:{'desc' if reverse else 'asc'}"
        cacheable = searchable(state, criteria)
        kept = self._cache.sorted(mailbox, state, order, criteria) if cacheable else None
        if kept is not None and kept.current:
            return kept.uids
        uids = None
        if kept is not None:
            uids = self._resorted(key, reverse, kept.uidnext, kept.uids, state.uidnext,
                                  criteria)
        if uids is None and self.has("SORT"):
            uids = list(self._call("sort", ["REVERSE", key] if reverse else [key],
                                   criteria or ["ALL"], "UTF-8"))
        elif uids is None:
            uids = self._sort_locally(key, reverse, criteria or ["ALL"])
        if cacheable:
            self._cache.keep_sorted(mailbox, state, order, uids, criteria)
        return uids

    def around(self, mailbox, uid, sort="date", reverse=True, index=None):
        """(previous, next) UIDs around uid when it is at index of the folder's kept list
        in that order (what the list page that linked to it said), read from the one or
        two blocks that hold them; None when that cannot be told (then the whole list)."""
        if index is None or not self._condstore:
            return None
        self._select(mailbox)
        if self.folder_state is None:
            return None
        order = f"{SORT_KEYS.get(sort, 'DATE')}:{'desc' if reverse else 'asc'}"
        near = self._cache.sorted_around(mailbox, self.folder_state, order, index)
        if near is None or near[1] != uid:
            return None
        return near[0], near[2]

    def _resorted(self, key, reverse, uidnext, uids, limit, criteria=None):
        """A sorted list made when the folder's UIDNEXT was uidnext, brought up to date
        from the difference alone; None where that cannot be done exactly (then the
        caller sorts the whole folder).

        One ESEARCH tells which UIDs exist now, as ranges (a few bytes for a folder whose
        UIDs run on). Those that left are dropped from the old order. Those that came are
        sorted by the server together with the message they would have to come before
        (the old first, for a descending order, where new mail goes) or after (the old
        last, for an ascending one): if they all do, they go there, and the order is the
        server's own. Otherwise, and where the server has no ESEARCH or SORT, None.
        UIDs from limit (the UIDNEXT of the state the list is for) on are left for later.
        For search results (criteria, which must not depend on flags) only the new
        messages are searched."""
        if not (self.has("ESEARCH") and self.has("SORT")) or uidnext > limit:
            return None  # (a list newer than this state, from another frontend: sort)
        now = self._all_uids()  # ascending
        now = now[:bisect.bisect_left(now, limit)]
        arrived = now[bisect.bisect_left(now, uidnext):]
        if criteria is not None:
            present = set(now)
            kept = [uid for uid in uids if uid in present]
            known = set(kept)
            arrived = [uid for uid in arrived if uid not in known]
            if arrived:
                arrived = self.search_uids(["UID", parse.uid_ranges(arrived), *criteria],
                                           label="search_arrived")
        elif len(uids) + len(arrived) == len(now):
            kept = uids  # nothing left (a UID below UIDNEXT cannot come back)
        else:
            present = set(now)
            kept = [uid for uid in uids if uid in present]
            if len(kept) + len(arrived) != len(now):
                return None  # a UID below the old UIDNEXT that the old list did not have
        if not arrived:
            return kept
        program = ["REVERSE", key] if reverse else [key]
        edge = (kept[0] if reverse else kept[-1]) if kept else None
        merged = list(self._call("sort", program,
                                 ["UID", parse.uid_ranges(arrived + [edge] * bool(kept))],
                                 "UTF-8", label="sort_arrived"))
        if edge is None or not merged:
            return merged or None  # (all of them gone meanwhile: sort the folder)
        if reverse and merged[-1] == edge:
            return merged[:-1] + kept
        if not reverse and merged[0] == edge:
            return kept + merged[1:]
        return None

    def _all_uids(self):
        """The UIDs of the selected folder, ascending, by ESEARCH (RFC 4731): as ranges, so
        100,000 UIDs that run on cost a few bytes. The set _restat just learnt is used."""
        mailbox = self._selected and self._selected[0]
        if self._uids_now is not None and self._uids_now[:2] == (mailbox, self.folder_state):
            return self._uids_now[2]
        found = self._esearch([b"RETURN", b"(ALL)", b"ALL"], label="esearch_all")
        return sorted(parse.expand_uid_set(found.get("ALL", "")))

    def search_uids(self, criteria, label=None):
        """UIDs of the selected folder that match, ascending."""
        charset = "UTF-8" if search.needs_charset(criteria) else None
        return sorted(self._call("search", criteria, charset, label=label))

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
                return base_subject(parse.decode_words(envelope.subject if envelope else b""))
            people = (envelope.from_ if key == "FROM" else envelope.to) if envelope else None
            first = parse.addresses(people)[:1]
            return first[0].email.split("@")[0].casefold() if first else ""

        ordered = sorted(uids, key=lambda uid: (value(uid), uid))
        return ordered[::-1] if reverse else ordered

    def summaries(self, mailbox, uids, confirm=False):
        """MessageSummary objects for the given UIDs, in the order given.

        Summaries come from the mailbox cache where it has them; only the others are
        fetched, and the flags as flags_of() has them. UIDs not from a list of the folder
        (one from a URL) need confirm, so that an expunged one is left out."""
        self._ensure_selected(mailbox)
        if not uids:
            return []
        state = self.folder_state
        found = self._cache.summaries(mailbox, state, uids) if state is not None else {}
        missing = [uid for uid in uids if uid not in found]
        flags = {}
        if missing:
            data = self._call("fetch", missing, SUMMARY_FIELDS)
            fresh = [summary_from(uid, data[uid]) for uid in missing if uid in data]
            found.update((s.uid, s) for s in fresh)
            flags = {s.uid: s.flags for s in fresh}
            if state is not None:
                self._cache.keep_summaries(mailbox, state, fresh)
                self._cache.keep_flags(mailbox, state, flags)
        flags.update(self.flags_of(mailbox, [uid for uid in found if uid not in flags],
                                   confirm=confirm))
        return [dataclasses.replace(found[uid], flags=flags[uid]) for uid in uids
                if uid in found and uid in flags]

    def flags_of(self, mailbox, uids, confirm=False):
        """{uid: flags} of messages of the selected folder.

        With CONDSTORE flags are kept with the HIGHESTMODSEQ they were read at. Those read
        at the folder's current one cost nothing; older ones are asked again with
        CHANGEDSINCE (RFC 7162), so the server answers only for those that changed, and
        with QRESYNC also names those expunged (VANISHED); unknown ones are fetched.

        Kept flags say nothing of whether the message is still there (an expunge need not
        raise the highest MOD-SEQUENCE of those left). The callers of summaries() have
        their UIDs from a list valid for the folder's state; with confirm, UIDs for which
        no server answer vouched are fetched, and expunged ones left out."""
        self._ensure_selected(mailbox)
        state = self.folder_state
        if not uids:
            return {}
        if state is None or state.modseq is None:
            return self._fetch_flags(uids)
        known = self._cache.flags(mailbox, state, uids)
        current = {uid: f for uid, (seen_at, f) in known.items() if seen_at >= state.modseq}
        stale = [uid for uid in uids if uid in known and uid not in current]
        unknown = [uid for uid in uids if uid not in known]
        fresh, vouched = {}, set()
        if unknown:
            fresh = self._fetch_flags(unknown + stale)
            vouched = set(fresh)
        elif stale:
            changed, gone = self._changed_flags(stale, min(known[uid][0] for uid in stale))
            fresh = {uid: changed.get(uid, known[uid][1]) for uid in stale if uid not in gone}
            # With QRESYNC, VANISHED named the expunged; without, the unchanged are not
            # vouched for (their flags still hold, and are kept as read at this state).
            vouched = set(fresh) if self._qresync else set(changed)
        if fresh:
            self._cache.keep_flags(mailbox, state, fresh)
        found = {**current, **fresh}
        doubtful = [uid for uid in found if uid not in vouched] if confirm else []
        if doubtful:
            confirmed = self._fetch_flags(doubtful)
            self._cache.keep_flags(mailbox, state, confirmed)
            found = {uid: confirmed.get(uid, f) for uid, f in found.items()
                     if uid in vouched or uid in confirmed}
        return found

    # Up to this many messages a STORE asks for their new flags back (see _store).
    STORE_ANSWERED = 1000

    def _store(self, mailbox, uids, flags, on=True):
        """Add or remove flags (bytes) on messages of the selected folder.

        With CONDSTORE and at most STORE_ANSWERED messages the STORE is not .SILENT: the
        server answers each changed message's FLAGS and MODSEQ. Those flags go to the
        cache, and the folder's state moves on to the highest MODSEQ, so the next page
        trusts the cache instead of fetching flags again (a change another client made
        meanwhile still shows as a notice at the next NOOP). Otherwise the state forgets
        its MODSEQ, and flags are fetched until the folder's state is learnt again."""
        uids = list(uids)
        kept = self._current
        if not (self._condstore and kept is not None and kept[0] == mailbox
                and kept[1].modseq is not None and len(uids) <= self.STORE_ANSWERED):
            self._call("add_flags" if on else "remove_flags", uids, flags, silent=True)
            return
        lines = self._call("raw_untagged", b"STORE", label="store_answered", args=[
            parse.uid_ranges(uids).encode(), b"+FLAGS" if on else b"-FLAGS",
            b"(" + b" ".join(flags) + b")"], response_name="FETCH")
        self._cache.forget_folders()  # unread counts changed (after: see _call)
        try:
            by_sequence = structure.fetch_response(lines, False, False)
        except (imap_exceptions.ProtocolError, ValueError):
            by_sequence = None
        if by_sequence == {} and self._current is kept:
            return  # nothing changed: the state holds
        answered = {data[b"UID"]: data for data in (by_sequence or {}).values()
                    if b"UID" in data}
        modseqs = [int(data[b"MODSEQ"][0]) for data in answered.values() if data.get(b"MODSEQ")]
        if (self._current is not kept or not by_sequence or len(answered) < len(by_sequence)
                or set(answered) - set(uids) or not modseqs):
            # The link was re-made meanwhile, another client's change came with the answer,
            # or it lacks UIDs or MODSEQ: the folder's state is learnt again next time.
            self.folder_state = self._current = None
            return
        state = dataclasses.replace(kept[1], modseq=max(modseqs + [kept[1].modseq]))
        self.folder_state = state
        self._current = (mailbox, state)
        self._cache.keep_flags(mailbox, state, {
            uid: parse.flag_names(data) for uid, data in answered.items() if b"FLAGS" in data})

    def _fetch_flags(self, uids):
        data = self._call("fetch", uids, ["FLAGS"])
        return {uid: parse.flag_names(data[uid]) for uid in uids if uid in data}

    def _changed_flags(self, uids, since):
        """({uid: flags} of those changed since the mod-sequence, {UIDs expunged})."""
        modifiers = [f"CHANGEDSINCE {since}"] + (["VANISHED"] if self._qresync else [])
        data = self._call("fetch", uids, ["FLAGS"], modifiers=modifiers, label="fetch_changed")
        gone = set()
        for line in self._untagged("VANISHED"):
            text = parse.to_text(line)
            if "(EARLIER)" not in text.upper():
                self._current = None  # expunged just now, not an answer to CHANGEDSINCE
            gone.update(parse.expand_uid_set(text.upper().replace("(EARLIER)", "")))
        changed = {uid: parse.flag_names(data[uid]) for uid in uids if uid in data}
        return changed, gone

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
        if (criteria is None and not (query is not None and query.attachment)
                and self._condstore):  # (without, each _select is a SELECT: one is enough)
            # A plain list: only the part of the kept order that the page shows is read.
            self._select(mailbox)
            key = SORT_KEYS.get(sort, "DATE")
            found = self._cache.sorted_window(
                mailbox, self.folder_state, f"{key}:{'desc' if reverse else 'asc'}",
                page, per_page) if self.folder_state is not None else None
            if found is not None:
                window, total, page = found
                return MessagePage(mailbox=mailbox,
                                   messages=tuple(self.summaries(mailbox, window)), page=page,
                                   pages=max(1, math.ceil(total / per_page)), total=total,
                                   offset=(page - 1) * per_page)
        uids = self.sorted_uids(mailbox, sort, reverse, criteria)
        if query is not None and query.attachment:
            uids = self.with_attachments(mailbox, uids)
        total = len(uids)
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        window = uids[(page - 1) * per_page: page * per_page]
        return MessagePage(mailbox=mailbox, messages=tuple(self.summaries(mailbox, window)),
                           page=page, pages=pages, total=total,
                           offset=(page - 1) * per_page if criteria is None and not (
                               query is not None and query.attachment) else None)
