"""The wire: one logged-in IMAP connection, each command through the wall, counted, timed,
retried once over a dropped link, and its errors translated into errors.py's.

What a command does to the selected folder's known state is not this module's idea: it
tells its listener (selection.Selection) before and after each command and lets it judge.
"""
import logging
import re
import socket
import ssl
import time

from imapclient import IMAPClient
from imapclient import exceptions as imap_exceptions

from . import adapter, hooks, parse, slots, structure, wall
from .errors import (
    AuthFailed,
    LoginElsewhere,
    MailboxElsewhere,
    MailError,
    MailServerUnavailable,
    ServerRefused,
)
from .state import MailboxCache
from .vouch import Vouch

log = logging.getLogger(__name__)

NETWORK_ERRORS = (OSError, ssl.SSLError, socket.timeout, imap_exceptions.IMAPClientAbortError)
# Commands that add, rename or remove folders or change subscriptions.
CHANGES_FOLDERS = frozenset({"create_folder", "rename_folder", "delete_folder",
                             "subscribe_folder", "unsubscribe_folder"})
# Commands after which the selected folder is no longer as SELECT described it.
CHANGES_FOLDER = frozenset({"add_flags", "remove_flags", "set_flags", "move", "copy",
                            "expunge", "uid_expunge", "append", "delete_messages"})
# Every command (by name, or a raw command by its label) that changes the account's mail.
CHANGES_ANY = CHANGES_FOLDER | CHANGES_FOLDERS | {"store_answered"}
# A refusal that names another server for the mailbox (RFC 2193); its URL's server part.
REFERRAL = re.compile(r"\[REFERRAL\b(?:\s+\w+://(?:[^@/\]\s]*@)?([^/\]\s]*))?", re.IGNORECASE)


def refusal(name, text):
    """The error for a NO or BAD answer to the command `name`: MailboxElsewhere for a
    referral to another server (a Cyrus Murder frontend sends one only after RLIST or RLSUB,
    which Heron never sends; a server may send one all the same), which Heron does not
    follow: its routing chose this server. Its log line names the server, not the URL,
    which holds the mailbox's name."""
    referred = REFERRAL.search(text)
    if referred:
        return MailboxElsewhere(f"{name} referred to {referred.group(1) or 'another server'}")
    return ServerRefused(text)


class Listener:
    """What a Connection tells of its life; Selection implements it. This class listens to
    nothing (a Connection on its own, as in tests of the wire)."""

    def logged_in(self):
        """A login succeeded: what was known of a selected folder is gone."""

    def reconnected(self):
        """The link was made again after a drop: select again what was selected."""

    def closed(self):
        """The connection was logged out."""

    def needs_folder(self, name, label):
        """Before a command: the selected folder must really be selected for it."""

    def command_starting(self, name):
        """Before each attempt of a command; what it returns is given to command_done."""

    def command_done(self, name, token):
        """After a command succeeded."""

    def fetched(self, answer, unasked):
        """A UID FETCH answered; unasked tells whether lines came of messages not asked."""


class Connection:
    """One account's link to its IMAP server: login, the commands, close.

    cache is the account's MailboxCache (made at login); commands and imap_seconds count
    what this request has cost (begin_request starts the count again). gate bounds the
    connections per account (slots.py): a slot is taken before the socket opens and let go
    when the connection closes."""

    def __init__(self, config, timeout=15, listener=None, gate=None):
        self.config = config
        self.timeout = timeout
        self.listener = listener or Listener()
        self.gate = gate or slots.UNBOUNDED
        self.slot = None
        self.commands = 0
        self.imap_seconds = 0.0
        self.cache = None
        self.vouch = None
        self._client = None
        self._credentials = None
        self._capabilities = None  # the server's, as the last login here saw them
        self.idling = False  # between listen("idle") and listen("idle_done")

    def begin_request(self):
        self.commands = 0
        self.imap_seconds = 0.0

    # --- the link ------------------------------------------------------------------------
    def _connect(self, user):
        """A new socket to the server, with a slot of user's account (taken here unless
        this connection holds one already)."""
        if self.slot is None:
            host, port = self.config.mailbox_server
            self.slot = self.gate.acquire(host, port, user)
        try:
            return self._open()
        except MailServerUnavailable:
            self._release_slot()
            raise

    def _release_slot(self):
        slot, self.slot = self.slot, None
        if slot is not None:
            slot.release()

    def _open(self):
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
        except NETWORK_ERRORS as exc:
            raise MailServerUnavailable(f"{type(exc).__name__}: {exc}") from None
        client.normalise_times = False
        adapter.quiet(client)
        return client

    def login(self, username, password, act_as=None, lazy=False):
        """Connect and log in; raises AuthFailed or MailServerUnavailable.

        With act_as, username and password are a service login that acts for the user
        act_as (AUTHENTICATE PLAIN with act_as as authorization identity, RFC 4616): the
        session is act_as's mailbox, and its cache is act_as's.

        lazy: keep the login for the first command and connect then (the pool's sessions,
        whose password the user's own login checked already): a page that the shared cache
        answers whole, under a watcher's vouch, opens no connection at all."""
        method = wall.login_method(username, password, act_as)
        if lazy:
            self._credentials = (username, password, act_as)
            self._made_for(act_as or username)
            self.listener.logged_in()
            return
        client = self._connect(act_as or username)
        started = time.monotonic()
        logged_in = False
        try:
            if method == "login":
                client.login(username, password)
            elif client.has_capability("AUTH=PLAIN"):
                client.plain_login(username, password, authorization_identity=act_as)
            else:
                raise imap_exceptions.LoginError("the server cannot take this login name")
        except imap_exceptions.LoginError as exc:
            self._quietly_close(client)
            if "[REFERRAL " in str(exc).upper():
                raise LoginElsewhere("the server referred the login elsewhere") from None
            if "socket error" in str(exc):
                # The connection ended instead of an answer: an IMAP proxy (nginx) does so
                # when it cannot reach or route to the server behind it.
                raise MailServerUnavailable("the connection closed during login") from None
            raise AuthFailed("the server refused the login") from None
        except imap_exceptions.IMAPClientError as exc:
            self._quietly_close(client)
            raise AuthFailed(str(exc)) from None
        except NETWORK_ERRORS as exc:
            self._quietly_close(client)
            raise MailServerUnavailable(f"{type(exc).__name__}") from None
        else:
            logged_in = True
        finally:
            self._count("login", time.monotonic() - started)
            if not logged_in:
                self._release_slot()
        self._client = client
        self._credentials = (username, password, act_as)
        cache = self._made_for(act_as or username)
        self._capabilities = frozenset(client.capabilities())
        cache.keep_capabilities(self._capabilities)
        self.listener.logged_in()

    def _made_for(self, owner):
        host, port = self.config.mailbox_server
        cache = self.cache = MailboxCache(host, port, owner)
        self.vouch = Vouch(cache.account, cache.ahead)
        return cache

    @property
    def connected(self):
        return self._client is not None

    def close(self):
        """Log out and drop the connection; never raises. A connection in IDLE leaves it
        first: a LOGOUT sent in IDLE is no DONE, the server never answered it, and the
        close waited out the whole timeout with the session still open on its folders
        (a folder deleted and made again meanwhile was listed with the old one's mail)."""
        client, self._client = self._client, None
        idling, self.idling = self.idling, False
        self.listener.closed()
        if client is not None:
            try:
                if idling:
                    client.idle_done()
                client.logout()
            except (imap_exceptions.IMAPClientError, *NETWORK_ERRORS):
                self._quietly_close(client)
        self._release_slot()

    @staticmethod
    def _quietly_close(client):
        try:
            client.shutdown()
        except (imap_exceptions.IMAPClientError, *NETWORK_ERRORS):
            log.debug("closing a broken IMAP connection failed")

    def _reconnect(self):
        if self._credentials is None:
            raise MailServerUnavailable("not logged in")
        if self._client is not None:
            self._quietly_close(self._client)
            self._client = None
        self.login(*self._credentials)
        self.listener.reconnected()

    def _wire(self):
        """The logged-in imapclient connection, made again if it was dropped."""
        if self._client is None:
            self._reconnect()
        if self._client is None:
            raise MailServerUnavailable("not connected")
        return self._client

    def has(self, capability):
        """True when the server announced the capability (after login). Before a lazy
        session connects, the capabilities its server showed the account's last login
        answer (kept in the shared cache), so asking costs no connection."""
        if self._client is None and self._capabilities is None and self.cache is not None:
            self._capabilities = self.cache.capabilities()
        if self._client is None and self._capabilities is not None:
            return capability.upper().encode() in self._capabilities
        return self._wire().has_capability(capability)

    @property
    def folder_encode(self):
        """Whether folder names go modified UTF-7 encoded (imapclient's setting)."""
        return self._wire().folder_encode

    # --- commands ------------------------------------------------------------------------
    def call(self, name, *args, label=None, **kwargs):
        """Run one imapclient method, counted and timed; retry once on a dropped link.
        label names the command in the metrics where the method's name does not."""
        wall.check_command(name, args, kwargs)
        args = wall.protect_criteria(name, args)
        self.listener.needs_folder(name, label)
        for attempt in (1, 2):
            if self._client is None:
                self._reconnect()
            started = time.monotonic()
            token = self.listener.command_starting(name)
            try:
                if name == "fetch":
                    answer = self._fetch(*args, **kwargs)
                elif name == "append":
                    answer = self._append(*args, **kwargs)
                elif name == "raw_untagged":
                    answer = adapter.raw_untagged(self._client, *args, **kwargs)
                else:
                    answer = getattr(self._client, name)(*args, **kwargs)
                self.listener.command_done(name, token)
                return answer
            except NETWORK_ERRORS as exc:
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
                raise refusal(name, parse.to_text(str(exc))) from None
            finally:
                self._count(label or name, time.monotonic() - started)
                if self.cache is not None and self.vouch is not None and {
                        name, label} & CHANGES_ANY:
                    # After the change, so that a folder list read while it ran (another
                    # tab's poll) does not stay cached with the counts from before it.
                    self.cache.forget_folders()
                    # Nor may a watcher's vouch stand for a state from before it.
                    self.vouch.changed()
        raise MailServerUnavailable(name)

    def listen(self, name, **kwargs):
        """One imapclient method of listening (idle, idle_check, idle_done, noop, socket)
        on the live link, counted, never retried: a link re-made in the middle of IDLE
        would no longer be listening, so a broken one raises MailServerUnavailable and the
        listener starts again (webmail/imap/watch.py)."""
        if self._client is None:
            raise MailServerUnavailable("not connected")
        started = time.monotonic()
        try:
            answer = getattr(self._client, name)(**kwargs)
        except (*NETWORK_ERRORS, imap_exceptions.IMAPClientError) as exc:
            self._quietly_close(self._client)
            self._client, self.idling = None, False
            raise MailServerUnavailable(f"{type(exc).__name__} while listening") from None
        finally:
            if name != "socket":
                self._count(name, time.monotonic() - started)
        self.idling = name == "idle" or (self.idling and name != "idle_done")
        return answer

    def _fetch(self, messages, data, modifiers=None):
        """UID FETCH, answered as imapclient's fetch() answers ({uid: {item: value}}), but
        a line about a message not asked for (a change another client made, which the
        server may report with any FETCH) is not dropped unseen: the listener hears of it."""
        if not messages:
            return {}
        words = ["FETCH", parse.uid_ranges(messages),
                 "(" + " ".join(str(item).upper() for item in data) + ")"]
        if modifiers:
            words.append("(" + " ".join(str(item).upper() for item in modifiers) + ")")
        client = self._wire()
        lines = adapter.uid_fetch(client, words)
        # Keyed by sequence number first: a line without a UID (allowed before QRESYNC) is
        # another client's change, never to be filed under a UID of the same number.
        by_sequence = structure.fetch_response(lines, client.normalise_times, False)
        asked = set(messages)
        answer: dict = {}
        for item in by_sequence.values():
            uid = item.pop(b"UID", None)  # the key, as in imapclient's fetch() answer
            if uid in asked:
                answer.setdefault(uid, {}).update(item)
        self.listener.fetched(answer, unasked=len(answer) < len(by_sequence))
        return answer

    def _append(self, mailbox, raw, flags=()):
        """APPEND raw to mailbox, as imapclient's append() does, but without the copies.

        imaplib's append() runs a regular expression over the whole message to make its
        line ends CRLF, and builds a new bytes object (a 34 MB message cost 147 MB more at
        its peak). A message Heron built has CRLF line ends already, so its buffer is
        handed to imaplib as the literal (adapter.append_buffer): the socket sends from the
        one buffer. A message with a bare LF goes through imapclient's append()."""
        client = self._wire()
        if raw.count(b"\n") != raw.count(b"\r\n"):
            return client.append(mailbox, raw, flags)
        return adapter.append_buffer(client, mailbox, raw, flags)

    def _count(self, name, seconds):
        self.commands += 1
        self.imap_seconds += seconds
        hooks.imap_command(name, seconds)

    def response_code(self, name):
        """The data of the last [NAME ...] response code the server sent, then forgotten.

        imapclient returns no response codes from COPY and MOVE, so the COPYUID of
        UIDPLUS is read from imaplib's public response() of the underlying connection.
        """
        values = self.untagged(name)
        return values[-1] if values else None

    def untagged(self, name):
        """Every untagged NAME response imaplib kept (and forgets them)."""
        if self._client is None:
            return []
        return adapter.responses(self._client, name)

    def folder_list(self, lines):
        """LIST lines (from raw_untagged) as list_folders() answers them."""
        return adapter.folder_list(self._client, lines)
