"""What a request read of the shared cache before it asked for it: one round trip for
several readers (MailboxCache.read_along, the watcher's record in Vouch)."""
from django.core.cache import cache


class ReadAhead:
    """Values of the shared cache read ahead for the present request, each taken once: a
    key not read ahead, or taken already, or written since (drop), is read from the cache
    when asked for. A key read ahead and not found is held as None."""

    def __init__(self):
        self._values = {}

    def clear(self):
        self._values = {}

    def hold(self, keys, found):
        self._values.update({key: found.get(key) for key in keys})

    def holds(self, keys):
        return all(key in self._values for key in keys)

    def take(self, key):
        return self._values.pop(key) if key in self._values else cache.get(key)

    def take_many(self, keys):
        found = {key: self._values.pop(key) for key in keys if key in self._values}
        rest = [key for key in keys if key not in found]
        if rest:
            found.update(cache.get_many(rest))
        return found

    def drop(self, keys):
        for key in keys:
            self._values.pop(key, None)
