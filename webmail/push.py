"""The change watcher: the mail server tells Heron what changed, instead of every page asking.

`manage.py watch` runs a Watcher. It reads which users are active (webmail.events: a user
with a mail page or the event stream open in the last ACTIVE_SECONDS) and keeps, for
each of them that its shard owns, one listening connection (webmail/imap/watch.py):
NOTIFY for all the user's folders where the server has it, else IDLE on the folder the
user has open. Each change it hears:
1. moves the watcher's vouch for that folder on (webmail/imap/vouch.py), so that no
   frontend serves the folder from the shared cache as it was;
2. drops the account's cached folder list (its counts changed);
3. is published to the user's browsers (webmail.events.publish), which refresh the list.
While it listens and has heard nothing, frontends serve the folder's pages with no IMAP
command at all.

How it gets in: the service login (HERON_SERVICE_USER, a Dovecot master user or a Cyrus
proxy-authorization identity, see docs/deploy.md), the one task workers use already,
acting for each user. No password of a user's is handed to the watcher or stored: the
vault's promise holds. Without a service login the watcher watches nobody, and Heron
asks the server on every page, as it always did.

Users are spread over several watchers by a stable hash of their login (shard_of); a
watcher that dies stops vouching within VOUCH_SECONDS (its records expire), frontends ask
the server again meanwhile, and the watcher started in its place begins with new epochs.
"""
import hashlib
import logging
import threading
import time

from django.conf import settings
from django.db import connection as database

from . import events
from .imap.errors import AuthFailed, MailError
from .imap.state import MailboxCache
from .imap.vouch import Voucher
from .imap.watch import ChangeListener
from .mail import service_account, service_available

log = logging.getLogger(__name__)

ACTIVE_SECONDS = 15 * 60
RENEW_SECONDS = 10 * 60  # IDLE is left and entered again this often (RFC 2177: < 29 min)
WAIT_SECONDS = 1.0  # how long one wait for the server's news lasts; the vouch's pulse
RETRY_SECONDS = (1, 2, 5, 10, 30)  # after a failed connection, the next try waits so long


def shard_of(username, shards):
    """Which of `shards` watchers watches username: stable across processes and releases."""
    digest = hashlib.sha256(username.strip().lower().encode()).digest()
    return int.from_bytes(digest[:8], "big") % max(1, shards)


class UserWatch:
    """One user's listening connection, in a thread of its own, until stopped."""

    def __init__(self, username, folder, clock=time.monotonic):
        self.username = username
        self.folder = folder or "INBOX"
        self.clock = clock
        self.stopping = threading.Event()
        self.listening = threading.Event()  # set while a connection listens
        self.thread = threading.Thread(target=self._run, name="watch", daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.stopping.set()

    def _run(self):
        failures = 0
        while not self.stopping.is_set():
            try:
                self._listen()
                failures = 0
            except AuthFailed as exc:
                log.warning("watcher: the service login cannot act for a user: %s", exc)
                failures += 1
            except MailError as exc:
                log.info("watcher: listening connection lost: %s", exc)
                failures += 1
            except Exception:  # a thread that dies would leave its user unwatched for good
                log.exception("watcher: unexpected error")
                failures += 1
            if not self.stopping.is_set():
                self.stopping.wait(RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1]
                                   if failures else 0)

    def _listen(self):
        account = service_account(self.username)
        database.close()  # this thread needs the database no more; no connection kept
        listener = ChangeListener(account.servers.imap, timeout=settings.IMAP_TIMEOUT)
        voucher = None
        try:
            folder = self.folder
            listener.start(account.username, account.password, account.act_as, folder)
            cache = listener.conn.cache
            voucher = Voucher(cache.account)
            voucher.start(listener.mode == "notify", listener.folder)
            self.listening.set()
            # Whatever happened while nobody listened, the browsers look again.
            events.publish(self.username, {"folder": None, "kind": "reset"})
            renewed = self.clock()
            while not self.stopping.is_set():
                notices = listener.wait(WAIT_SECONDS)
                if self.clock() - renewed > RENEW_SECONDS:
                    notices += listener.renew()
                    renewed = self.clock()
                if notices:
                    self._tell(notices, voucher, cache)
                if listener.mode == "idle" and self.folder != listener.folder:
                    listener.follow(self.folder)
                    voucher.start(False, listener.folder)
                voucher.refresh()
        finally:
            self.listening.clear()
            if voucher is not None:
                voucher.stop()
            listener.close()

    def _tell(self, notices, voucher, cache: MailboxCache):
        # The vouch moves on before anyone is told: a browser that refreshes on the event
        # finds the folder's cached state no longer vouched for, and asks the server.
        log.debug("watcher: %d notices", len(notices))
        for notice in notices:
            voucher.bump(notice.folder)
        cache.forget_folders()
        told = set()
        for notice in notices:
            if (notice.folder, notice.kind) not in told:
                told.add((notice.folder, notice.kind))
                events.publish(self.username, {"folder": notice.folder, "kind": notice.kind})


class Watcher:
    """The users of one shard, each with a UserWatch, following who is active."""

    def __init__(self, shard=0, shards=1, active_seconds=ACTIVE_SECONDS):
        self.shard = shard
        self.shards = shards
        self.active_seconds = active_seconds
        self.watching: dict[str, UserWatch] = {}

    def wanted(self):
        """{username: open folder} of the active users this watcher owns."""
        return {username: folder for username, folder in events.active_users(self.active_seconds)
                if shard_of(username, self.shards) == self.shard}

    def step(self):
        """Start watching users who became active, stop those who left, follow folders."""
        wanted = self.wanted() if service_available() else {}
        for username in [name for name in self.watching if name not in wanted]:
            self.watching.pop(username).stop()
        for username, folder in wanted.items():
            watch = self.watching.get(username)
            if watch is None:
                watch = self.watching[username] = UserWatch(username, folder)
                watch.start()
            elif folder:
                watch.folder = folder

    def run(self, stopping, seconds=None, pulse=1.0):
        """step() every pulse seconds until stopping is set (or seconds have passed)."""
        started = time.monotonic()
        if not service_available():
            log.warning("watcher: no service login (HERON_SERVICE_USER): watching nobody; "
                        "pages ask the mail server as without a watcher")
        try:
            while not stopping.is_set():
                self.step()
                if seconds is not None and time.monotonic() - started > seconds:
                    break
                stopping.wait(pulse)
        finally:
            for watch in self.watching.values():
                watch.stop()
            for watch in self.watching.values():
                watch.thread.join(WAIT_SECONDS * 3)
            self.watching.clear()
