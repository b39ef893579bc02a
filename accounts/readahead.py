"""One round trip for what every page reads of the shared cache about its user.

Modules name the per-user keys their pages read (register); the session's user is read
from the cache together with all of them (fetch, in accounts/backends.py), and each reader
takes its value from what came along (take) rather than asking the cache again. A value
is taken once: a second read in the same request (after a write, say) asks the cache.

Keys of the user's login or mail domain (register_address, register_domain) come along
too, once this process has read the user and so knows the login (learn): from the user's
second request on."""
from django.core.cache import cache

_KEY_FUNCTIONS = []
_DOMAIN_KEY_FUNCTIONS = []
_ADDRESS_KEY_FUNCTIONS = []
# user id -> login, of the users this process has read. A wrong one (an operator renamed
# the user) only brings keys no reader takes: they then ask the cache.
_logins = {}
LOGINS_KEPT = 10_000


def register(key_for):
    """key_for(user_id): the key of a value every page reads (a decorator)."""
    _KEY_FUNCTIONS.append(key_for)
    return key_for


def register_domain(key_for):
    """key_for(domain): the key of a value every page reads of the user's mail domain."""
    _DOMAIN_KEY_FUNCTIONS.append(key_for)
    return key_for


def register_address(key_for):
    """key_for(login): the key of a value every page reads of the user's login."""
    _ADDRESS_KEY_FUNCTIONS.append(key_for)
    return key_for


def learn(user_id, login):
    if len(_logins) >= LOGINS_KEPT:
        _logins.clear()
    _logins[user_id] = login


def fetch(user_id, key):
    """(the value under key, {key: value or None} of every registered key of the user)."""
    keys = [key_for(user_id) for key_for in _KEY_FUNCTIONS]
    login = _logins.get(user_id)
    if login is not None:
        domain = login.rsplit("@", 1)[-1] if "@" in login else ""
        keys += [key_for(domain) for key_for in _DOMAIN_KEY_FUNCTIONS]
        keys += [key_for(login) for key_for in _ADDRESS_KEY_FUNCTIONS]
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
