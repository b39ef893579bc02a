"""Login throttling, kept in the shared cache so it holds across every frontend.

An attempt is counted before the password is tried, with an atomic increment, so parallel
attempts cannot all pass a check made before any of them was counted. Attempts count
against the address tried and against the client (an IPv4 address, or an IPv6 /64).

- After LOGIN_FAILURES_BEFORE_DELAY counted attempts on an address, each further attempt
  must first take that address's gate, which stays shut for a delay that doubles with
  each attempt (at most a minute): tries are spaced out, however many run in parallel.
- After LOGIN_FAILURES_BEFORE_LOCK attempts on an address (LOGIN_IP_FAILURES_BEFORE_LOCK
  from one client), more are refused until LOGIN_LOCK_SECONDS have passed since the first.
- A refused attempt is uncounted again (it never reached the mail server); a good login
  clears its address and uncounts itself from the client's tally.

So in one lock period at most LOGIN_FAILURES_BEFORE_LOCK passwords per address reach the
mail server, whatever the number of frontends, workers or parallel requests.
"""
import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from webmail.cachejson import read

from .client import client_network

# Bumped when what a key counts, or its value's shape, changes.
_VERSION = "v2"
# Every value here is a raw integer in Redis (django-redis writes ints unserialized), which
# reads the same whatever a release's encoding: so every release counts under the cache
# version the pickling releases used, and a rolling upgrade gives no address a second
# set of attempts. (The lock period's start is a whole second for this reason.)
_SHARED = {"version": 1}


class Throttled(Exception):
    """The attempt was refused before it reached the server; wait is in seconds."""

    def __init__(self, wait):
        super().__init__(f"throttled for {wait} s")
        self.wait = max(1, math.ceil(wait))


def _key(part, kind, value):
    digest = hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()[:32]
    return f"login-{part}:{_VERSION}:{kind}:{digest}"


@dataclass
class _Counter:
    kind: str
    value: str
    limit: int

    @property
    def key(self):
        return _key("tries", self.kind, self.value)

    @property
    def since_key(self):
        return _key("since", self.kind, self.value)

    def count(self):
        """Count one attempt; returns the count including it (atomic across frontends)."""
        # add() starts the lock period; incr() keeps its expiry.
        cache.add(self.since_key, int(time.time()), settings.LOGIN_LOCK_SECONDS, **_SHARED)
        cache.add(self.key, 0, settings.LOGIN_LOCK_SECONDS, **_SHARED)
        try:
            return cache.incr(self.key, **_SHARED)
        except ValueError:
            # Expired between add() and incr(): this is the first of a new period.
            cache.add(self.key, 1, settings.LOGIN_LOCK_SECONDS, **_SHARED)
            return 1

    def uncount(self):
        try:
            cache.decr(self.key, **_SHARED)
        except ValueError:
            pass  # the period ended meanwhile: nothing left to take back

    def locked_for(self):
        # An older release's float start (pickled) does not read: counted from now.
        since = read(cache.get(self.since_key, **_SHARED), float) or time.time()
        return since + settings.LOGIN_LOCK_SECONDS - time.time()


def _delay(count):
    """Seconds the gate stays shut after the count-th attempt on an address."""
    over = count - settings.LOGIN_FAILURES_BEFORE_DELAY
    return min(60, 2 ** over) if over >= 0 else 0


@dataclass
class Attempt:
    """A login attempt admitted by begin(); pass it to succeeded() when the password was
    right (a wrong one needs nothing: it stays counted)."""

    username: str
    counters: list

    def unanswered(self):
        """The mail server could not be asked: the attempt is not held against anyone."""
        for counter in self.counters:
            counter.uncount()

    def succeeded(self):
        cache.delete_many([_key(part, "user", self.username)
                           for part in ("tries", "since", "gate")], **_SHARED)
        for counter in self.counters:
            if counter.kind == "ip":
                counter.uncount()


def begin(username, client_ip):
    """Count a login attempt for username from client_ip before it is tried.

    Returns an Attempt, or raises Throttled (with the seconds to wait) when the address or
    the client has used up its attempts, or the address's gate is shut."""
    counters = [_Counter("user", username, settings.LOGIN_FAILURES_BEFORE_LOCK)]
    network = client_network(client_ip)
    if network:
        counters.append(_Counter("ip", network, settings.LOGIN_IP_FAILURES_BEFORE_LOCK))
    counted = []
    try:
        for counter in counters:
            count = counter.count()
            counted.append(counter)
            if count > counter.limit:
                raise Throttled(counter.locked_for())
            delay = _delay(count) if counter.kind == "user" else 0
            # One attempt at a time through the gate, then it stays shut for the delay.
            if delay and not cache.add(_key("gate", "user", username), 1, delay, **_SHARED):
                raise Throttled(delay)
    except Throttled:
        for counter in counted:
            counter.uncount()
        raise
    return Attempt(username, counters)
