"""What this process did lately, to spare a shared-cache round trip on the hot path.

A few marks in the shared cache exist only so that something is done at most once in a
while (a session's last-seen write, a sender counted as heard from): each page asked the
cache "not yet?" with a write of its own. A Recently remembers, in this process, the keys it
marked within its seconds, so a page skips that round trip. It is only a shortcut: a
process that forgets (a restart, a full memo) asks the shared cache as before, which stays
the one that decides across frontends.
"""
import time

_ALL = []


class Recently:
    def __init__(self, seconds, most=10_000):
        self.seconds = seconds
        self.most = most
        self._when = {}
        _ALL.append(self)

    def seen(self, key):
        """True when key was marked within the last seconds; else marks it now."""
        now = time.monotonic()
        when = self._when.get(key)
        if when is not None and now - when < self.seconds:
            return True
        if len(self._when) >= self.most:
            self._when.clear()
        self._when[key] = now
        return False

    def forget(self, key):
        self._when.pop(key, None)


def forget_everything():
    """Every memo emptied (tests, after emptying the shared cache)."""
    for memo in _ALL:
        memo._when.clear()
