"""Route patterns: which logins a Route (accounts/models.py) names, checked where they enter;
and the servers of a Route or Domain as the shared cache keeps them.

A pattern is a login or a shell-style pattern of logins: "*" stands for any characters and
"?" for one. It holds only the characters of an address (no brackets, which fnmatch would
read as a set), lower case, as logins are.
"""
import re
from fnmatch import fnmatchcase

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from webmail.imap.types import ServerConfig

_PATTERN = re.compile(r"[a-z0-9!#$%&'+/=^_`{|}~.*?-]+(@[a-z0-9.*?-]+)?")
# A host name or an IP address (IPv6 without brackets): what a socket connects to.
_HOST = re.compile(r"[A-Za-z0-9.:-]{1,253}")


def validate_route_pattern(value):
    text = (value or "").strip().lower()
    if len(text) > 254 or not _PATTERN.fullmatch(text):
        raise ValidationError(
            _("Enter a login such as frank@example.org, or a pattern of logins where * "
              "stands for any characters and ? for one, such as *@sales.example.org."),
            code="invalid")


def validate_host(value):
    if value and not _HOST.fullmatch(value):
        raise ValidationError(_("Enter a host name or an IP address."), code="invalid")


def is_exact(pattern):
    return "*" not in pattern and "?" not in pattern


def matches(pattern, address):
    return fnmatchcase(address, pattern)


def most_specific_first(patterns):
    """Patterns in the order they are tried: more fixed characters first, then by name (so
    the same table always routes the same way)."""
    return sorted(patterns, key=lambda p: (-(len(p) - p.count("*") - p.count("?")), p))


SERVER_SHAPE = {"host": str, "port": int, "security": str}


def server_json(config):
    """A server as the shared cache keeps it (None stays None)."""
    return config and {"host": config.host, "port": config.port, "security": config.security}


def server_from_json(data):
    return data and ServerConfig(**data)


def sieve_server(host, port, security):
    """The ManageSieve server, or None when the port is 0 (no ManageSieve)."""
    return ServerConfig(host, port, security) if port else None
