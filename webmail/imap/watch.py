"""Listening for one user's changes: the server tells, nobody asks.

A ChangeListener logs in (a service login acting for the user: no password of the user's
is needed), then, where the server offers NOTIFY (RFC 5465), asks to hear of new and
expunged messages, flag changes and folder changes in all the user's personal folders;
otherwise it selects one folder (the one the user has open) and IDLEs there (RFC 2177).
Either way it sits in IDLE, and wait() gives the Notices the server sent.

Dovecot tells NOTIFY's events as STATUS and LIST lines (about half a second after the
change: its notification delay); Cyrus, without NOTIFY, tells the selected folder's
EXISTS, EXPUNGE, VANISHED and FETCH lines in IDLE.
"""
import socket
from dataclasses import dataclass

from imapclient import imap_utf7

from . import parse
from .connection import Connection
from .errors import MailServerUnavailable

# NOTIFY SET: the events of all personal folders (no folder is selected here).
NOTIFY_EVENTS = [b"SET", b"(personal", b"(MessageNew", b"MessageExpunge", b"FlagChange",
                 b"MailboxName", b"SubscriptionChange))"]
# What a selected folder's IDLE reports, and what it means.
IDLE_KINDS = {b"EXISTS": "new", b"RECENT": "new", b"EXPUNGE": "gone", b"VANISHED": "gone",
              b"FETCH": "flags"}


@dataclass(frozen=True)
class Notice:
    """A change the server reported: of folder (None: of something unknown; a new start
    is then due) and what it was: "new", "gone", "flags", "mail" (messages came or went),
    "folders" (a folder was made, renamed or deleted)."""
    folder: str | None
    kind: str


class ChangeListener:
    """One user's listening connection. mode is "notify" or "idle" once started; folder is
    the folder IDLE listens to (None under NOTIFY, which hears them all)."""

    def __init__(self, config, timeout=15):
        self.conn = Connection(config, timeout)
        self.mode = None
        self.folder = None

    def start(self, username, password, act_as, folder="INBOX"):
        """Log in and listen: NOTIFY where the server has it, else IDLE on folder.
        Raises AuthFailed, MailServerUnavailable, MailboxNotFound-like ServerRefused."""
        self.conn.login(username, password, act_as=act_as)
        self._keep_alive()
        if self.conn.has("NOTIFY"):
            if self.conn.has("CONDSTORE"):
                # A flag changed in a folder not selected is told as STATUS HIGHESTMODSEQ,
                # which only a client that enabled CONDSTORE hears (RFC 5465 5.4).
                self.conn.call("enable", "CONDSTORE")
            self.conn.call("raw_untagged", b"NOTIFY", NOTIFY_EVENTS, response_name="STATUS",
                           uid=False, label="notify")
            self.mode, self.folder = "notify", None
        else:
            self.conn.call("select_folder", folder, readonly=True)
            self.mode, self.folder = "idle", folder
        self.conn.listen("idle")

    @property
    def idling(self):
        return self.conn.idling

    def _keep_alive(self):
        """TCP keepalive on the link, so that one that died silently (a server host gone,
        a middlebox that dropped it) is noticed within half a minute, not never."""
        sock = self.conn.listen("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for option, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3)):
            if hasattr(socket, option):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)

    def wait(self, seconds):
        """The Notices the server sent within seconds (an empty list if none). Raises
        MailServerUnavailable when the link broke or the server said BYE."""
        lines = self.conn.listen("idle_check", timeout=seconds)
        return [notice for line in lines for notice in self._notices(line)]

    def renew(self):
        """Leave IDLE and enter it again (RFC 2177 asks so within 29 minutes); the NOOP
        between proves the server still answers. Returns what it reported meanwhile."""
        _text, lines = self.conn.listen("idle_done")
        self.conn.listen("noop")
        self.conn.listen("idle")
        return [notice for line in lines for notice in self._notices(line)]

    def follow(self, folder):
        """IDLE on another folder (the user opened it); nothing to do under NOTIFY."""
        if self.mode != "idle" or folder == self.folder:
            return
        self.conn.listen("idle_done")
        self.conn.call("select_folder", folder, readonly=True)
        self.folder = folder
        self.conn.listen("idle")

    def close(self):
        self.conn.close()  # which leaves IDLE before it logs out

    def _notices(self, line):
        if not isinstance(line, tuple) or not line:
            return []
        if line[0] == b"STATUS" and len(line) > 2:
            items = line[2] if isinstance(line[2], tuple) else ()
            named = {item for item in items[::2] if isinstance(item, bytes)}
            kind = "mail" if named & {b"MESSAGES", b"UIDNEXT"} else "flags"
            return [Notice(self._name(line[1]), kind)]
        if line[0] == b"LIST" and len(line) > 3:
            return [Notice(self._name(line[3]), "folders")]
        if len(line) > 1 and line[1] in IDLE_KINDS and self.mode == "idle":
            return [Notice(self.folder, IDLE_KINDS[line[1]])]
        if line[0] == b"BYE" or (len(line) > 1 and line[1] == b"BYE"):
            raise MailServerUnavailable("the server closed the listening connection")
        if self.mode == "idle" and len(line) > 1 and line[1] in (b"OK", b"NO"):
            return []
        return [Notice(None, "changed")]

    def _name(self, raw):
        name = raw if isinstance(raw, bytes) else str(raw).encode()
        if self.conn.folder_encode:
            return imap_utf7.decode(name)
        return parse.to_text(name)
