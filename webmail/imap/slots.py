"""How many IMAP connections one frontend holds per account, whatever its worker count.

A mail server limits the connections of one user from one address (Dovecot's
mail_max_userip_connections, 10 by default), and every worker process of every frontend
keeps connections of its own (pool.py). Slots is a counting semaphore per account that all
the worker processes of a frontend share: lock files in one directory,
`<digest of the account>.<i>` for i < per_account, taken with flock(LOCK_EX | LOCK_NB). A
Connection holds a slot from just before its socket opens until it closes (checked out or
idle in a pool). The kernel lets go of a lock when its process dies, so a killed worker
leaks nothing.

A process that finds every slot of an account taken asks for one back: it sets the time of
`<digest>.wanted` to now, again at each try. Each process that holds slots runs one daemon
thread that, a few times a second, looks at the wanted files of the accounts it holds and
hands each a listener (the pool), which closes one idle connection of that account; a
connection returned to the pool while its account is wanted is closed rather than kept.
The asker tries again until wait_seconds have passed, then raises TooBusy (a
MailServerUnavailable: a clear "try again" page, never a 500).

No address is in a file name: an account is named by a digest of its server and login.
"""
import atexit
import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time

from django.utils.translation import gettext_lazy as _

from .errors import MailServerUnavailable

log = logging.getLogger(__name__)

# How often a waiting process tries again (it starts faster and slows to the second), and
# how often the holders look at the wanted files.
FIRST_TRY_SECONDS = 0.01
TRY_SECONDS = 0.05
LOOK_SECONDS = 0.2
# A wanted file touched longer ago than this asks nothing any more.
WANTED_SECONDS = 1.0


class TooBusy(MailServerUnavailable):
    """Every connection this frontend may hold for the account was busy for too long."""

    user_message = _("Too many of your requests are reaching the mail server at once. "
                     "Please try again in a moment.")


def account_tag(host, port, user):
    """The name of an account in file names: a digest, never the address."""
    return hashlib.sha256(f"{host}\0{port}\0{user}".encode()).hexdigest()[:32]


class Slot:
    """One taken slot of an account; release() lets it go (more calls do nothing)."""

    def __init__(self, owner, account, fd):
        self.owner = owner
        self.account = account
        self._fd = fd

    def release(self):
        fd, self._fd = self._fd, None
        if fd is not None:
            self.owner._let_go(self.account, fd)

    def __del__(self):
        # A connection dropped without close(): the lock goes with the descriptor. The
        # count of held slots is left alone (a collection may run under its lock).
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


class _NoSlot:
    account = None

    def release(self):
        pass


class Unbounded:
    """The gate of a Connection that counts nothing (a login check, tests of the wire)."""

    def acquire(self, host, port, user):
        return _NoSlot()

    def wanted(self, account):
        return False


UNBOUNDED = Unbounded()


class Slots:
    """The per-account slots of the frontend whose processes share `directory`.

    An empty directory means one made for this process alone (a process outside gunicorn:
    the development server, a test run, a task worker); deploy/gunicorn.conf.py makes one
    per frontend that its workers share."""

    def __init__(self, directory, per_account=2, wait_seconds=5.0):
        self.directory = directory
        self.per_account = per_account
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()
        self._held = {}  # account -> slots this process holds
        self._listeners = []
        self._looker_pid = None
        self._private = None

    def listen(self, callback):
        """callback(account) is called, from this process's looker thread, while another
        process waits for a slot of an account this process holds."""
        self._listeners.append(callback)

    # --- taking and letting go ---------------------------------------------------------
    def acquire(self, host, port, user):
        """A slot of the account, waiting at most wait_seconds; raises TooBusy."""
        account = account_tag(host, port, user)
        deadline = time.monotonic() + self.wait_seconds
        pause = FIRST_TRY_SECONDS
        asked = False
        while True:
            slot = self._try(account)
            if slot is not None:
                if asked:
                    self._ask(account, now=False)
                return slot
            if time.monotonic() >= deadline:
                log.warning("IMAP connections of one account: all %d slots stayed busy for "
                            "%.1f s", self.per_account, self.wait_seconds)
                raise TooBusy(f"all {self.per_account} connection slots busy")
            self._ask(account)
            asked = True
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, TRY_SECONDS)

    def _try(self, account):
        base = self._path(account)
        for i in range(self.per_account):
            fd = os.open(f"{base}.{i}", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            with self._lock:
                self._held[account] = self._held.get(account, 0) + 1
            self._start_looking()
            return Slot(self, account, fd)
        return None

    def _let_go(self, account, fd):
        with self._lock:
            left = self._held.get(account, 0) - 1
            if left > 0:
                self._held[account] = left
            else:
                self._held.pop(account, None)
        os.close(fd)  # closing the one descriptor of the lock releases it

    def held(self):
        """{account: slots} this process holds now."""
        with self._lock:
            return dict(self._held)

    # --- asking for a slot back -----------------------------------------------------------
    def _ask(self, account, now=True):
        """Mark the account wanted (now) or no longer wanted (now=False)."""
        path = self._path(account) + ".wanted"
        try:
            if now:
                with open(path, "a"):
                    pass
                os.utime(path)
            else:
                os.utime(path, (0, 0))
        except OSError as exc:
            log.warning("cannot mark an IMAP account wanted: %s", type(exc).__name__)

    def wanted(self, account):
        """True while another process waits for a slot of the account."""
        if account is None:
            return False
        try:
            touched = os.stat(self._path(account) + ".wanted").st_mtime
        except FileNotFoundError:
            return False
        return time.time() - touched < WANTED_SECONDS

    def _start_looking(self):
        # Once per process, and again in a forked child (a thread does not survive a fork).
        with self._lock:
            if self._looker_pid == os.getpid():
                return
            self._looker_pid = os.getpid()
        threading.Thread(target=self._look, name="heron-imap-slots", daemon=True).start()

    def _look(self):
        while True:
            time.sleep(LOOK_SECONDS)
            self.look_once()

    def look_once(self):
        """Hand every wanted account this process holds to the listeners."""
        for account in self.held():
            if self.wanted(account):
                for callback in self._listeners:
                    try:
                        callback(account)
                    except Exception:  # the looker must outlive one failed close
                        log.exception("giving back an IMAP connection failed")

    # --- where -----------------------------------------------------------------------
    def _path(self, account):
        return os.path.join(self._directory(), account)

    def _directory(self):
        if self.directory:
            if not os.path.isdir(self.directory):
                os.makedirs(self.directory, mode=0o700, exist_ok=True)
            return self.directory
        with self._lock:
            if self._private is None or self._private[0] != os.getpid():
                made = tempfile.mkdtemp(prefix="heron-imap-slots-")
                atexit.register(shutil.rmtree, made, True)
                self._private = (os.getpid(), made)
            return self._private[1]
