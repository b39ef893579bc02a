"""The Route table (accounts/models.py): a user's servers ahead of the Domain table.

Every page asks which servers its user has, so the answer lives in the shared cache, read
together with the user (accounts/readahead.py): one key per login for the exact routes, and
one key holding the (few) routes by pattern. Both are rewritten from the primary whenever a
route is saved or deleted, so every frontend routes the new way from its next request.
"""
import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from webmail import metrics
from webmail.cachejson import read
from webmail.imap.types import ServerConfig

from . import readahead
from .models import Route
from .routing import (
    SERVER_SHAPE,
    is_exact,
    matches,
    most_specific_first,
    server_from_json,
    server_json,
    sieve_server,
)

CACHE_SECONDS = 300
SHAPE = 1  # the version of the cached values' shape, named in their keys
PATTERNS_KEY = f"mail-routes:v{SHAPE}:patterns"
_NONE = "none"


@dataclass(frozen=True)
class Routed:
    """The servers a route names; smtp None: the domain's."""
    pattern: str
    imap: ServerConfig
    smtp: ServerConfig | None
    sieve: ServerConfig | None  # None: no ManageSieve server
    sieve_folders: str  # "": the domain's


def route_for(address, user=None, *, using=None):
    """The route of a login, or None. user: the login's user, whose read-ahead may hold the
    cached values. using: a database to read (and cache) from, past the cache."""
    address = address.strip().lower()
    if using is None:
        exact = read(_take(user, exact_key(address)), _EXACT_SHAPE, _exact_from_json)
        patterns = read(_take(user, PATTERNS_KEY), [_ROUTE_SHAPE], _patterns_from_json)
        metrics.cache_lookup("mail-routes", exact is not None and patterns is not None)
    else:
        exact = patterns = None
    if exact is None:
        row = _rows(using).filter(pattern=address).first() if is_exact(address) else None
        exact = _NONE if row is None else _row(row)
        _keep(exact_key(address), _as_json(exact), using)
    if exact != _NONE:
        return exact
    if patterns is None:
        patterns = _load_patterns(using)
    return next((each for each in patterns if matches(each.pattern, address)), None)


@readahead.register_address
def exact_key(address):
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"mail-routes:v{SHAPE}:login:{digest}"


readahead.register(lambda user_id: PATTERNS_KEY)


def _take(user, key):
    return readahead.take(user, key) if user is not None else cache.get(key)


def _rows(using):
    return Route.objects.using(using) if using else Route.objects.all()


def _load_patterns(using):
    wild = _rows(using).filter(Q(pattern__contains="*") | Q(pattern__contains="?"))
    rows = [_row(row) for row in wild]
    ordered = {each.pattern: each for each in rows}
    found = [ordered[p] for p in most_specific_first(ordered)]
    _keep(PATTERNS_KEY, [_as_json(each) for each in found], using)
    return found


def _keep(key, value, using):
    """A value read from the primary after a change (using) replaces what is cached; one read
    on a miss, maybe from a lagging replica, only fills an empty key, so it cannot put back
    what a change's rewrite just replaced."""
    if using:
        cache.set(key, value, CACHE_SECONDS)
    else:
        cache.add(key, value, CACHE_SECONDS)


def _row(row):
    sieve = sieve_server(row.sieve_host or row.imap_host, row.sieve_port, row.sieve_security)
    smtp = (ServerConfig(row.smtp_host, row.smtp_port, row.smtp_security)
            if row.smtp_host else None)
    return Routed(pattern=row.pattern,
                  imap=ServerConfig(row.imap_host, row.imap_port, row.imap_security),
                  smtp=smtp, sieve=sieve, sieve_folders=row.sieve_folder_encoding)


_SERVER = SERVER_SHAPE
_ROUTE_SHAPE = {"pattern": str, "imap": _SERVER, "smtp": (None, _SERVER),
                "sieve": (None, _SERVER), "sieve_folders": str}
_EXACT_SHAPE = (_NONE, _ROUTE_SHAPE)


def _as_json(found):
    if found == _NONE:
        return found
    return {"pattern": found.pattern, "imap": server_json(found.imap),
            "smtp": server_json(found.smtp), "sieve": server_json(found.sieve),
            "sieve_folders": found.sieve_folders}


def _from_json(value):
    return Routed(pattern=value["pattern"], imap=server_from_json(value["imap"]),
                  smtp=server_from_json(value["smtp"]), sieve=server_from_json(value["sieve"]),
                  sieve_folders=value["sieve_folders"])


def _exact_from_json(value):
    return value if value == _NONE else _from_json(value)


def _patterns_from_json(value):
    return [_from_json(each) for each in value]


@receiver(pre_save, sender=Route, dispatch_uid="accounts.routes.saving")
def _note_old_pattern(sender, instance, **kwargs):
    if instance.pk:
        instance._heron_old_pattern = (Route.objects.using("default").filter(pk=instance.pk)
                                       .values_list("pattern", flat=True).first())


@receiver(post_save, sender=Route, dispatch_uid="accounts.routes.saved")
@receiver(post_delete, sender=Route, dispatch_uid="accounts.routes.deleted")
def _changed(sender, instance, **kwargs):
    """Once the change commits, the cached values it touches are read again from the
    primary (a replica may lag) and written over the old ones."""
    names = {instance.pattern, getattr(instance, "_heron_old_pattern", None)} - {None}

    def rewrite():
        if not all(map(is_exact, names)):
            _load_patterns("default")
        for name in filter(is_exact, names):
            route_for(name, using="default")

    transaction.on_commit(rewrite)
