"""A bounded, thread-safe memo of one process: what a key stands for, least recently used
dropped first. For values that are a function of their key, so that a process may keep
them as long as it likes (webmail/imap/pagememo.py, webmail/templatetags/kept.py)."""
import threading
import time
from collections import OrderedDict


class Memo:
    """At most `most` values; with `seconds`, each for that long at most after it was put
    (what a user's mail left in a process is gone within the hour, read or not)."""

    def __init__(self, most, seconds=None):
        self.most = most
        self.seconds = seconds
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        """The value kept for key, or None; TypeError for a key that cannot be one."""
        with self._lock:
            found = self._values.get(key)
            if found is None:
                return None
            value, until = found
            if until is not None and time.monotonic() > until:
                del self._values[key]
                return None
            self._values.move_to_end(key)
            return value

    def put(self, key, value):
        until = time.monotonic() + self.seconds if self.seconds is not None else None
        with self._lock:
            self._values[key] = (value, until)
            self._values.move_to_end(key)
            while len(self._values) > self.most:
                self._values.popitem(last=False)

    def get_or_make(self, key, make, keep=True):
        """The value kept for key, else make()'s, kept unless keep is False. A key that
        cannot be one (an unhashable value in it), or None, gets make()'s, not kept."""
        if key is None:
            return make()
        try:
            found = self.get(key)
        except TypeError:
            return make()
        if found is None:
            found = make()
            if keep:
                self.put(key, found)
        return found

    def items(self):
        with self._lock:
            return [(key, value) for key, (value, _until) in self._values.items()]

    def clear(self):
        with self._lock:
            self._values.clear()

    def __len__(self):
        return len(self._values)
