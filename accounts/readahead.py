"""One round trip for what every page reads of the shared cache about its user.

Modules name the per-user keys their pages read (register); the session's user is read
from the cache together with all of them (fetch, in accounts/backends.py), and each reader
takes its value from what came along (take) rather than asking the cache again. A value
is taken once: a second read in the same request (after a write, say) asks the cache.

Keys of the user's mail domain (register_domain) come along too, once this process has read
the user and so knows the domain (learn): from the user's second request on."""
from django.core.cache import cache

_KEY_FUNCTIONS = []
_DOMAIN_KEY_FUNCTIONS = []
# user id -> mail domain, of the users this process has read. A wrong one (an operator
# renamed the user) only brings keys no reader takes: they then ask the cache.
_domains = {}
DOMAINS_KEPT = 10_000


def register(key_for):
    """key_for(user_id): the key of a value every page reads (a decorator)."""
    _KEY_FUNCTIONS.append(key_for)
    return key_for


def register_domain(key_for):
    """key_for(domain): the key of a value every page reads of the user's mail domain."""
    _DOMAIN_KEY_FUNCTIONS.append(key_for)
    return key_for


def learn(user_id, domain):
    if len(_domains) >= DOMAINS_KEPT:
        _domains.clear()
    _domains[user_id] = domain


def fetch(user_id, key):
    """(the value under key, {key: value or None} of every registered key of the user)."""
    keys = [key_for(user_id) for key_for in _KEY_FUNCTIONS]
    domain = _domains.get(user_id)
    if domain is not None:
        keys += [key_for(domain) for key_for in _DOMAIN_KEY_FUNCTIONS]
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
