"""A per-process pool of logged-in MailSessions, so a connection outlives a request.

Sessions are keyed by (Django session key, account); one request at a time holds a
MailSession (it is removed from the pool while checked out), idle ones are closed after
IMAP_POOL_IDLE_SECONDS, and the pool never holds more than IMAP_POOL_MAX of them.

With a gate (slots.Slots), the sessions it makes hold a slot of their account while
connected, and an idle one is closed when another process waits for a slot of its account.
"""
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager

from .errors import MailError, MailServerUnavailable
from .session import MailSession


class SessionPool:
    def __init__(self, max_size=64, idle_seconds=300, factory=MailSession, clock=time.monotonic,
                 gate=None):
        self.max_size = max_size
        self.idle_seconds = idle_seconds
        self.factory = factory
        self.clock = clock
        self.gate = gate
        self._lock = threading.Lock()
        self._idle = OrderedDict()  # key -> list of (session, last_used), oldest first
        if gate is not None:
            gate.listen(self.give_up_idle)

    def new_session(self, config, timeout=15):
        """A MailSession not logged in yet, bounded by the pool's gate."""
        if self.gate is None:
            return self.factory(config, timeout=timeout)
        return self.factory(config, timeout=timeout, gate=self.gate)

    def give_up_idle(self, account):
        """Close one idle session whose connection holds a slot of account (another
        process waits for one)."""
        found = None
        with self._lock:
            for key, entries in self._idle.items():
                for i, (session, _last_used) in enumerate(entries):
                    if session.slot is not None and session.slot.account == account:
                        found = entries.pop(i)[0]
                        break
                if found is not None:
                    if not entries:
                        del self._idle[key]
                    break
        if found is not None:
            found.close()

    def _take(self, key):
        """An idle, unexpired session for key, or None; expired ones are closed."""
        stale = []
        found = None
        with self._lock:
            entries = self._idle.get(key, [])
            now = self.clock()
            while entries:
                session, last_used = entries.pop()
                if now - last_used > self.idle_seconds or not session.connected:
                    stale.append(session)
                    continue
                found = session
                break
            if not entries:
                self._idle.pop(key, None)
        for session in stale:
            session.close()
        return found

    def give_back(self, key, session):
        """Pool an already logged-in session under key."""
        self._give_back(key, session)

    def _give_back(self, key, session):
        if self.gate is not None and session.slot is not None and \
                self.gate.wanted(session.slot.account):
            session.close()  # another process waits for this account's slot
            return
        evicted = []
        with self._lock:
            self._idle.setdefault(key, []).append((session, self.clock()))
            self._idle.move_to_end(key)
            while self.size_locked() > self.max_size:
                oldest_key = next(iter(self._idle))
                entries = self._idle[oldest_key]
                evicted.append(entries.pop(0)[0])
                if not entries:
                    del self._idle[oldest_key]
        for old in evicted:
            old.close()

    def size_locked(self):
        return sum(len(entries) for entries in self._idle.values())

    def size(self):
        with self._lock:
            return self.size_locked()

    @contextmanager
    def session(self, key, config, username, password, timeout=15, act_as=None):
        """Check out a logged-in MailSession for the block, and return it afterwards.

        With act_as, username and password are a service login acting for act_as (see
        Connection.login); the key must then be one no other kind of login uses.
        A session that raised a network error is closed instead of returned.
        """
        session = self._take(key)
        if session is not None and session.config != config:
            # The user's server changed (an operator saved a Route or Domain): the
            # connection to the old one goes, however recently it was used.
            session.close()
            session = None
        if session is None:
            session = self.new_session(config, timeout=timeout)
            # Connected at its first command: a page the shared cache answers opens none.
            session.login(username, password, act_as=act_as, lazy=True)
        session.begin_request()
        try:
            yield session
        except MailServerUnavailable:
            session.close()
            raise
        except MailError:
            self._give_back(key, session)
            raise
        except BaseException:
            session.close()
            raise
        else:
            if session.connected:
                self._give_back(key, session)

    def discard(self, key):
        """Close every pooled session of key (on logout)."""
        with self._lock:
            entries = self._idle.pop(key, [])
        for session, _last_used in entries:
            session.close()

    def clear(self):
        with self._lock:
            everything = [entry for entries in self._idle.values() for entry in entries]
            self._idle.clear()
        for session, _last_used in everything:
            session.close()
