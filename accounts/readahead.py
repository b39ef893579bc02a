"""One round trip for what every page reads of the shared cache about its user.

Modules name the per-user keys their pages read (register); the session's user is read
from the cache together with all of them (fetch, in accounts/backends.py), and each reader
takes its value from what came along (take) rather than asking the cache again. A value
is taken once: a second read in the same request (after a write, say) asks the cache.

Keys of the user's login or mail domain (register_address, register_domain) come along
too, once this process has read the user and so knows the login (learn): from the user's
second request on.

The first read. A GET request begun with begin() goes further: its session is read in the
same round trip (read_session), with the user and those keys, and with the keys of what
the request is about (register_request: the folder it names, its watcher's vouch). That
needs the session's user before the session is read: this process's guess from the
session's last request here. A wrong guess, or none, only brings keys no reader takes;
they then ask the cache. Each value is taken once (fetch, take_first), and only by the
request that read it: end() drops the rest."""
import hashlib
from contextvars import ContextVar

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache

_KEY_FUNCTIONS = []
_DOMAIN_KEY_FUNCTIONS = []
_ADDRESS_KEY_FUNCTIONS = []
_REQUEST_KEY_FUNCTIONS = []
# user id -> login, of the users this process has read. A wrong one (an operator renamed
# the user) only brings keys no reader takes: they then ask the cache.
_logins = {}
LOGINS_KEPT = 10_000
# digest of a session's cache key -> the id of its user, of the sessions this process read
_users_of = {}
# The present request's first read (a _FirstRead), None outside one. Set and cleared by
# begin() and end() around each request: a worker thread serves one request after another.
_first = ContextVar("heron_first_read", default=None)


class _FirstRead:
    def __init__(self, guess):
        self.guess = guess
        self.values = None  # {key: value or None} once read; each taken once


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


def register_request(keys_for):
    """keys_for(user_id, guess): keys a request about guess (what begin() was given) will
    read of the shared cache for that user; [] when it cannot tell."""
    _REQUEST_KEY_FUNCTIONS.append(keys_for)
    return keys_for


def remember(store, key, value):
    """store[key] = value in one of this process's guess maps, each bounded: full, it
    starts again empty (a guess lost costs a round trip, nothing more)."""
    if len(store) >= LOGINS_KEPT:
        store.clear()
    store[key] = value


def learn(user_id, login):
    remember(_logins, user_id, login)


def _keys_of(user_id):
    keys = [key_for(user_id) for key_for in _KEY_FUNCTIONS]
    login = _logins.get(user_id)
    if login is not None:
        domain = login.rsplit("@", 1)[-1] if "@" in login else ""
        keys += [key_for(domain) for key_for in _DOMAIN_KEY_FUNCTIONS]
        keys += [key_for(login) for key_for in _ADDRESS_KEY_FUNCTIONS]
    return keys


def fetch(user_id, key):
    """(the value under key, {key: value or None} of every registered key of the user):
    what the request's first read holds of them, the rest in one round trip."""
    keys = [each for each in _keys_of(user_id) if each != key]
    found = _taken([key, *keys])
    missing = [each for each in (key, *keys) if each not in found]
    if missing:
        found.update(cache.get_many(missing))
    return found.get(key), {each: found.get(each) for each in keys}


def begin(guess):
    """A GET request about guess begins: its session comes in its first read."""
    _first.set(_FirstRead(guess))


def end():
    """The request is over (or is no GET): what its first read held is dropped."""
    _first.set(None)


def forget_everything():
    """Forget whose sessions this process read (tests)."""
    _users_of.clear()


def read_session(sessions, key):
    """What the sessions cache holds under key: within a request begun with begin(), and
    when this process knows the session's user, in one round trip with the keys its pages
    read (see the module's text)."""
    first = _first.get()
    digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
    user_id = _users_of.get(digest) if first is not None and first.values is None else None
    if user_id is not None and _one_server(sessions):
        keys = [*_keys_of(user_id), *(each for keys_for in _REQUEST_KEY_FUNCTIONS
                                      for each in keys_for(user_id, first.guess))]
        value, first.values = _read_with(sessions, key, keys)
    else:
        value = sessions.get(key)
    user_id = str(value.get(SESSION_KEY, "")) if isinstance(value, dict) else ""
    if user_id.isascii() and user_id.isdigit():
        remember(_users_of, digest, int(user_id))
    else:
        _users_of.pop(digest, None)
    return value


def take_first(keys):
    """{key: value or None} of keys, when the request's first read holds every one of
    them (each taken, once); else None."""
    first = _first.get()
    if first is None or first.values is None or not all(key in first.values for key in keys):
        return None
    return _taken(keys)


def _taken(keys):
    """{key: value or None} of those of keys the request's first read holds (taken)."""
    first = _first.get()
    values = first.values if first is not None else None
    if not values:
        return {}
    return {key: values.pop(key) for key in keys if key in values}


# What each alias may set for itself: how its values are written, which its own client
# undoes when it decodes them. Every other option is the connection's, and must agree.
_VALUE_OPTIONS = ("SERIALIZER", "COMPRESSOR", "SESSION_CACHE_FORMAT")


def _one_server(sessions):
    """True when the sessions cache and the default one are the same Redis, reached the
    same way: one MGET on the default's connection reads both."""
    aliases = settings.CACHES
    own, default = aliases.get(settings.SESSION_CACHE_ALIAS, {}), aliases.get("default", {})

    def connection(alias):
        return {name: value for name, value in alias.get("OPTIONS", {}).items()
                if name not in _VALUE_OPTIONS}

    return (own.get("BACKEND") == default.get("BACKEND") == "django_redis.cache.RedisCache"
            and own.get("LOCATION") == default.get("LOCATION")
            and connection(own) == connection(default))


def _read_with(sessions, key, keys):
    """(the session under key, {each of keys: value or None}) in one MGET: each key made
    and each value decoded by its own cache's client, as its get would."""
    own, shared = sessions.client, cache.client
    names = [own.make_key(key), *(shared.make_key(each) for each in keys)]
    raw = shared.get_client(write=False).mget(names)
    return (own.decode(raw[0]) if raw[0] is not None else None,
            {each: shared.decode(value) if value is not None else None
             for each, value in zip(keys, raw[1:], strict=True)})


def attach(user, values):
    user._heron_read_ahead = values


def take(user, key):
    """What the cache holds under key: from what came along with the user (once), else
    asked now."""
    ahead = getattr(user, "_heron_read_ahead", None)
    if ahead is not None and key in ahead:
        return ahead.pop(key)
    return cache.get(key)
