"""Which addresses a mail domain lets its users send as without confirming them.

An admin keeps the list, one entry a line (a Domain's allowed_senders) or comma-separated
(HERON_ALLOWED_SENDERS, for logins the environment's default servers serve):

    sales@example.org     that address, for every user of the domain
    *@example.org         any address at example.org
    {local}@example.net   the login's own local part at example.net (alice@… → alice@example.net)

Pure functions: nothing here reads the database or settings.
"""
import re

from django.core.exceptions import ValidationError

LOCAL = "{local}"
# Conservative on purpose: a dot-atom local part and a host name, ASCII, no spaces.
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'+/=?^_`|~-]+(?:\.[A-Za-z0-9!#$%&'+/=?^_`|~-]+)*")
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                     r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def parse_allowed(entries):
    """The entries (an iterable of str) as lower-case patterns; blank ones are skipped.

    Raises ValueError naming the first entry that is neither an address nor a pattern."""
    patterns = []
    for raw in entries:
        entry = raw.strip().lower()
        if not entry:
            continue
        local, at, domain = entry.rpartition("@")
        if not at or not _DOMAIN.fullmatch(domain) or not (
                local in ("*", LOCAL) or _LOCAL_PART.fullmatch(local)):
            raise ValueError(f'"{raw.strip()[:100]}" is neither an address (sales@example.org) '
                             f"nor a pattern (*@example.org, {LOCAL}@example.org)")
        patterns.append(entry)
    return tuple(patterns)


def validate_allowed_senders(text):
    """Model field validator for one entry a line."""
    try:
        parse_allowed(text.splitlines())
    except ValueError as refused:
        raise ValidationError(str(refused)) from None


def allowed_by(patterns, login, address):
    """Whether `address` matches one of `patterns` (from parse_allowed) for this login."""
    address = address.strip().lower()
    local, _, domain = address.rpartition("@")
    login_local = login.strip().lower().rpartition("@")[0] or login.strip().lower()
    for pattern in patterns:
        want_local, _, want_domain = pattern.rpartition("@")
        if domain != want_domain:
            continue
        if want_local == "*" or want_local == local or (
                want_local == LOCAL and local == login_local):
            return True
    return False
