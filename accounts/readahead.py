"""One round trip for what every page reads of the shared cache about its user.

Modules name the per-user keys their pages read (register); the session's user is read
from the cache together with all of them (fetch, in accounts/backends.py), and each reader
takes its value from what came along (take) rather than asking the cache again. A value
is taken once: a second read in the same request (after a write, say) asks the cache."""
from django.core.cache import cache

_KEY_FUNCTIONS = []


def register(key_for):
    """key_for(user_id): the key of a value every page reads (a decorator)."""
    _KEY_FUNCTIONS.append(key_for)
    return key_for


def fetch(user_id, key):
    """(the value under key, {key: value or None} of every registered key of the user)."""
    keys = [key_for(user_id) for key_for in _KEY_FUNCTIONS]
    found = cache.get_many([key, *keys])
    return found.get(key), {each: found.get(each) for each in keys}


def attach(user, values):
    user._heron_read_ahead = values


def take(user, key):
    """What the cache holds under key: from what came along with the user (once), else
    asked now."""
    ahead = getattr(user, "_heron_read_ahead", None)
    if ahead is not None and key in ahead:
        return ahead.pop(key)
    return cache.get(key)
