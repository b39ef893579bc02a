"""Shared state as data, never code: how values are written to the shared cache (Redis).

django-redis pickles by default, and unpickling runs code: anyone who could write to
Redis could run it on every frontend. Every cache alias here writes JSON instead, and
refuses anything but JSON's own types (dict with str keys, list, str, int, float, bool,
None), so a value reads back exactly as it was written: no tuple comes back a list, no
datetime a string. Integers stay raw in Redis (django-redis writes them unserialized),
so incr/decr stay atomic.

Bytes that are not JSON read as None, a cache miss, never an exception; each reader
then checks the shape it expects with read() (a value of another shape is a miss too).
A key names the version of its value's shape, so two releases side by side never read
each other's entries of another shape: CACHE_SCHEMA (Django's cache VERSION of the
default alias) for the encoding itself, and per key family a version of its own.

Sessions are the one exception during the move away from pickle. They keep their keys
(a new key would log everyone out at the upgrade), and the release before this one
unpickles them: a session a new frontend wrote as JSON fails there with a 500
(tests/cluster/test_rolling_upgrade.py shows it). So SessionSerializer writes, while
SESSION_CACHE_FORMAT is "pickle-data" (the default), a pickle of JSON's types only,
which that release reads; and it reads JSON or such a pickle, the pickle through an
unpickler that resolves no name at all, so no byte in Redis can make it call anything.
Once no pickling frontend runs, SESSION_CACHE_FORMAT=json writes JSON (the next
release's default); a session written either way stays readable.
"""
import io
import json
import logging
import math
import pickle

from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django_redis.client import DefaultClient
from django_redis.compressors.identity import IdentityCompressor
from django_redis.serializers.base import BaseSerializer

logger = logging.getLogger(__name__)

# 1 was django-redis's pickle (releases before this module); 2 is JSON.
CACHE_SCHEMA = 2

SESSION_FORMATS = ("pickle-data", "json")


class NotData(TypeError):
    """A value for the shared cache holds something that is not one of JSON's types."""


class Unreadable(ValueError):
    """A cached value is not of the shape this release writes."""


def check_data(value, _depth=0):
    """Raise NotData unless value is made of JSON's types only (dict keys are str)."""
    if _depth > 64:
        raise NotData("nested too deep")
    kind = type(value)
    if kind in (str, int, bool) or value is None:
        return
    if kind is float:
        if not math.isfinite(value):
            raise NotData("a float that is not finite")
        return
    if kind is list:
        if all(type(item) in (int, str) for item in value):  # UID lists, flags: the bulk
            return
        for item in value:
            check_data(item, _depth + 1)
        return
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise NotData(f"a dict key of type {type(key).__name__}")
            check_data(item, _depth + 1)
        return
    raise NotData(f"a value of type {kind.__name__}")


def dumps(value):
    """value as JSON bytes; NotData if it holds anything but JSON's types."""
    check_data(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def loads(data):
    """The value of JSON bytes, or None when they are not JSON (a miss)."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None


class JSONSerializer(BaseSerializer):
    """django-redis's serializer for every alias but sessions."""

    def dumps(self, value):
        return dumps(value)

    def loads(self, value):
        return loads(value)


class _NoNames(pickle.Unpickler):
    """Builds lists, dicts, strings and numbers; refuses every class and function, the
    only way a pickle can make the reader call something."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refused {module}.{name}: sessions are data")


def _data_pickle(data):
    """The dict a pickle of JSON's types holds, or None."""
    try:
        value = _NoNames(io.BytesIO(data)).load()
        check_data(value)
    except (pickle.UnpicklingError, NotData, EOFError, ValueError, TypeError, KeyError,
            IndexError, AttributeError, RecursionError, OverflowError, MemoryError):
        # Bytes from outside: whatever the unpickler makes of them is "unreadable".
        logger.warning("a session in the cache is not a data-only pickle; read as none")
        return None
    return value if type(value) is dict else None


class SessionSerializer(BaseSerializer):
    """The sessions alias: reads JSON or a data-only pickle, writes the format that
    OPTIONS["SESSION_CACHE_FORMAT"] names (see the module's docstring)."""

    def __init__(self, options):
        super().__init__(options=options)
        self.format = options.get("SESSION_CACHE_FORMAT", "json")
        if self.format not in SESSION_FORMATS:
            raise ValueError(f"SESSION_CACHE_FORMAT must be one of {SESSION_FORMATS}")

    def dumps(self, value):
        if self.format == "json":
            return dumps(value)
        check_data(value)
        return pickle.dumps(value, protocol=4)

    def loads(self, value):
        if value[:1] == b"\x80":  # a pickle's first opcode (PROTO); JSON never starts so
            return _data_pickle(value)
        return loads(value)


# The bytes an integer can begin with, as int() reads them: django-redis stores an int bare.
_INT_START = frozenset(b" \t\n\r\x0b\x0c+-0123456789")


class RedisClient(DefaultClient):
    """django-redis's client, reading a value it wrote through the serializer without first
    trying it as a bare integer when its first byte says it cannot be one (a JSON object,
    list or string): the ValueError that try costs, and the no-op decompression's context
    manager, were about 0.9 µs of each value read, 17 of them on a warm page."""

    def decode(self, value):
        if (isinstance(value, bytes) and value[:1] and value[0] not in _INT_START
                and type(self._compressor) is IdentityCompressor):
            return self._serializer.loads(value)
        return super().decode(value)


def keep_as_written(store, key, value, seconds):
    """After a write to the database of what store keeps under key: the kept copy is
    dropped at once (a write rolled back leaves what the database has), and once the write
    commits value is kept as written (not read back: a replica may lag; a read between the
    two, of the row before the write, is overwritten)."""
    store.delete(key)
    transaction.on_commit(lambda: store.set(key, value, seconds))


def drop_until_committed(store, key):
    """After a change to the rows what store keeps under key was read from: the kept copy
    is dropped now, and again once the change commits (a read between the two may have kept
    the rows as they were before it)."""
    store.delete(key)
    transaction.on_commit(lambda: store.delete(key))


def read(value, shape, build=None):
    """build(value) if value has shape, else None: how a reader takes a cached value.

    shape: a type (int is not bool; float takes int), a constant (None, False, "x"), a
    tuple of alternatives, [shape] for a list of those, {key: shape} for a dict with
    exactly those keys. A missing,
    extra or mistyped field, or a ValueError or TypeError from build (a list of the
    wrong length for a dataclass, a malformed date), is a miss."""
    if value is None:
        return None
    try:
        _conform(value, shape)
        return build(value) if build is not None else value
    except (Unreadable, ValueError, TypeError):
        return None


_INT_ONLY = {int}


def _conform(value, shape):
    if isinstance(shape, tuple):
        for choice in shape:
            try:
                _conform(value, choice)
                return
            except Unreadable:
                continue
        raise Unreadable(f"none of {shape}")
    if isinstance(shape, list):
        if type(value) is not list:
            raise Unreadable("not a list")
        if shape[0] is int and set(map(type, value)) <= _INT_ONLY:  # C speed: 100k UIDs
            return
        for item in value:
            _conform(item, shape[0])
        return
    if isinstance(shape, dict):
        if type(value) is not dict or value.keys() != shape.keys():
            raise Unreadable("not a dict with these keys")
        for key, item in value.items():
            _conform(item, shape[key])
        return
    if not isinstance(shape, type):  # a constant: None, False, "default"
        if type(value) is not type(shape) or value != shape:
            raise Unreadable(f"not {shape!r}")
        return
    if shape is float and type(value) is int:
        return
    if type(value) is not shape:
        raise Unreadable(f"not {shape.__name__}")


class SharedDatabaseCache(DatabaseCache):
    """The cache of `make run` (no Redis): a table of its SQLite database, so that the
    development server and the change watcher, two processes, share one cache. Held to
    the JSON rule as LocalCache is; Django's own code pickles what it stores there, in a
    database only this machine's processes read."""

    def add(self, key, value, *args, **kwargs):
        check_data(value)
        return super().add(key, value, *args, **kwargs)

    def set(self, key, value, *args, **kwargs):
        check_data(value)
        return super().set(key, value, *args, **kwargs)


class LocalCache(LocMemCache):
    """The cache of a frontend without Redis (development, the unit tests): one process's
    memory, where pickle is harmless, but held to the same rule as Redis, so that a
    value that would not survive JSON fails here first."""

    def add(self, key, value, *args, **kwargs):
        check_data(value)
        return super().add(key, value, *args, **kwargs)

    def set(self, key, value, *args, **kwargs):
        check_data(value)
        super().set(key, value, *args, **kwargs)
