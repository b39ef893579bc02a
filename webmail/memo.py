"""A bounded, thread-safe memo of one process: what a key stands for, least recently used
dropped first. For values that are a function of their key, so that a process may keep
them as long as it likes (webmail/imap/pagememo.py, webmail/templatetags/kept.py)."""
import threading
from collections import OrderedDict


class Memo:
    def __init__(self, most):
        self.most = most
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        """The value kept for key, or None; TypeError for a key that cannot be one."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key, value):
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.most:
                self._values.popitem(last=False)

    def items(self):
        with self._lock:
            return list(self._values.items())

    def clear(self):
        with self._lock:
            self._values.clear()

    def __len__(self):
        return len(self._values)
