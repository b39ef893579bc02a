"""Login throttling, kept in the shared cache so it holds across every frontend.

Each failed login counts against the address tried and against the client address. After a
few failures the next attempt must wait (the wait doubles with each failure); after many,
attempts are refused until the lock time has passed since the last failure.
"""
import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

from webmail import metrics


def _key(kind, value):
    digest = hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()[:32]
    return f"login-fail:{kind}:{digest}"


def _state(kind, value):
    found = cache.get(_key(kind, value))
    metrics.cache_lookup("login-throttle", found is not None)
    return found or {"count": 0, "last": 0.0}


def wait_seconds(username, client_ip, now=None):
    """Seconds the caller must wait before this login may be tried; 0 means go ahead."""
    now = time.time() if now is None else now
    waits = [0.0]
    checks = [("user", username, settings.LOGIN_FAILURES_BEFORE_LOCK)]
    if client_ip:
        checks.append(("ip", client_ip, settings.LOGIN_IP_FAILURES_BEFORE_LOCK))
    for kind, value, lock_after in checks:
        state = _state(kind, value)
        count, since = state["count"], now - state["last"]
        if count >= lock_after:
            waits.append(settings.LOGIN_LOCK_SECONDS - since)
        elif kind == "user" and count >= settings.LOGIN_FAILURES_BEFORE_DELAY:
            delay = min(60, 2 ** (count - settings.LOGIN_FAILURES_BEFORE_DELAY + 1))
            waits.append(delay - since)
    return max(0, math.ceil(max(waits)))


def record_failure(username, client_ip, now=None):
    now = time.time() if now is None else now
    for kind, value in (("user", username), ("ip", client_ip)):
        if not value:
            continue
        state = _state(kind, value)
        state = {"count": state["count"] + 1, "last": now}
        cache.set(_key(kind, value), state, settings.LOGIN_LOCK_SECONDS)


def record_success(username):
    """A good login clears the address's failures (not the client address's)."""
    cache.delete(_key("user", username))
