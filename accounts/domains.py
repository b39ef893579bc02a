"""Which mail servers serve an address: the Route table, then the Domain table, else the
environment's defaults."""
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.cache import cache

from webmail import metrics
from webmail.cachejson import read
from webmail.imap.types import ServerConfig

from . import readahead, routes
from .models import Domain
from .routing import SERVER_SHAPE, server_from_json, server_json, sieve_server

CACHE_SECONDS = 60
SHAPE = 3  # the version of the cached value's shape, named in its key


@dataclass(frozen=True)
class MailServers:
    imap: ServerConfig
    smtp: ServerConfig
    active: bool = True
    # The ManageSieve server (filters and vacation); None: the domain has none.
    sieve: ServerConfig | None = None
    sieve_folders: str = "utf-8"  # how its scripts name folders: "utf-8" or "utf-7"
    route: str = ""  # the Route pattern that chose these servers; "": the domain or defaults


def domain_of(address):
    return address.rsplit("@", 1)[-1].strip().lower() if "@" in address else ""


# What the shared cache holds for a domain without a row: the environment's defaults are
# this frontend's own (a canary may run with another IMAP_HOST), never another's.
_NO_ROW = "default"


def servers_for(address, user=None, *, backend=False):
    """The IMAP, SMTP and ManageSieve servers for a login address: its Route (by login or
    pattern), else its Domain row, else this process's defaults from the environment; all
    cached briefly, shared by frontends. user: the user of that login, whose read-ahead may
    hold the rows. Heron's own IMAP connections go to IMAP_PROXY_HOST when one is set;
    backend=True: the server behind it (what the proxy is told)."""
    domain = domain_of(address)
    key = _cache_key(domain)
    kept = readahead.take(user, key) if user is not None else cache.get(key)
    found = read(kept, _SHAPE, _from_json)
    metrics.cache_lookup("domain-servers", found is not None)
    if found is None:
        found = _lookup(domain)
        cache.set(key, _as_json(found), CACHE_SECONDS)
    servers = _defaults() if found == _NO_ROW else found
    route = routes.route_for(address, user) if not address.startswith("@") else None
    if route is not None:
        servers = replace(servers, imap=route.imap, smtp=route.smtp or servers.smtp,
                          sieve=route.sieve,
                          sieve_folders=route.sieve_folders or servers.sieve_folders,
                          route=route.pattern)
    if settings.IMAP_PROXY_HOST and not backend:
        servers = replace(servers, imap=ServerConfig(
            settings.IMAP_PROXY_HOST, settings.IMAP_PROXY_PORT, settings.IMAP_PROXY_SECURITY,
            mailbox_host=servers.imap.host, mailbox_port=servers.imap.port))
    return servers


def user_servers(user):
    """servers_for the user's login, looked up once per user object (once per request:
    the middleware's check that the domain is active and the mail views both ask)."""
    found = getattr(user, "_heron_servers", None)
    if found is None:
        found = user._heron_servers = servers_for(user.get_username(), user)
    return found


@readahead.register_domain
def _cache_key(domain):
    return f"domain-servers:v{SHAPE}:{domain or '-'}"


_SERVER = SERVER_SHAPE
_SHAPE = (_NO_ROW, {"imap": _SERVER, "smtp": _SERVER, "sieve": (None, _SERVER),
                    "sieve_folders": str, "active": bool})


def _as_json(found):
    if found == _NO_ROW:
        return found
    return {"imap": server_json(found.imap), "smtp": server_json(found.smtp),
            "sieve": server_json(found.sieve),
            "sieve_folders": found.sieve_folders, "active": found.active}


def _from_json(value):
    if value == _NO_ROW:
        return value
    return MailServers(imap=server_from_json(value["imap"]),
                       smtp=server_from_json(value["smtp"]), active=value["active"],
                       sieve=server_from_json(value["sieve"]),
                       sieve_folders=value["sieve_folders"])


def _defaults():
    return MailServers(
        imap=ServerConfig(settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SECURITY),
        smtp=ServerConfig(settings.SMTP_HOST, settings.SMTP_PORT, settings.SMTP_SECURITY),
        sieve=sieve_server(settings.MANAGESIEVE_HOST, settings.MANAGESIEVE_PORT,
                           settings.MANAGESIEVE_SECURITY),
        sieve_folders=settings.MANAGESIEVE_FOLDER_ENCODING,
    )


def _lookup(domain):
    row = Domain.objects.filter(name=domain).first() if domain else None
    if row is None:
        return _NO_ROW
    return MailServers(
        imap=ServerConfig(row.imap_host, row.imap_port, row.imap_security),
        smtp=ServerConfig(row.smtp_host, row.smtp_port, row.smtp_security),
        active=row.active,
        sieve=sieve_server(row.sieve_host or row.imap_host, row.sieve_port,
                           row.sieve_security),
        sieve_folders=row.sieve_folder_encoding,
    )


def forget_domain(domain):
    cache.delete(_cache_key(domain))
