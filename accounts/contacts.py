"""The address book built from mail: who a user writes to and hears from, for suggestions."""
import hashlib
from email.errors import HeaderParseError
from email.headerregistry import Address

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from webmail.recently import Recently

from .identities import own_addresses
from .models import Contact

MAX_CONTACTS = 5_000  # per user; the least recently seen go first
MAX_PER_CALL = 500  # a message to thousands of recipients should not stall sending or reading
MAX_LIMIT = 50
HEARD_SECONDS = 24 * 3600  # a sender opened again within a day is not counted again
_heard = Recently(HEARD_SECONDS)  # what this process counted: no cache round trip again


def _name_and_email(item):
    """(name, lower-case email) from an Address, a webmail Address or a (name, email) pair."""
    if hasattr(item, "addr_spec"):
        name, email = item.display_name, item.addr_spec
    elif hasattr(item, "email"):
        name, email = item.name, item.email
    else:
        name, email = item
    email = (email or "").strip().lower()
    if not email or len(email) > 254:
        return None
    try:
        validate_email(email)
    except ValidationError:
        return None
    name = " ".join("".join(ch if ch.isprintable() else " " for ch in name or "").split())[:200]
    return ("" if name.lower() == email else name), email


def label(name, email):
    """How a contact reads in a recipient field: quoted where the name needs it."""
    try:
        return str(Address(display_name=name, addr_spec=email))
    except (ValueError, HeaderParseError):
        return f"{name} <{email}>" if name else email


def heard_from(user, sender):
    """remember() the sender of a message the user opened, at most once a day per sender:
    opening mail is the hot path, and a database write on each view would also pin the
    user's reads to the primary. The once-a-day mark lives in the shared cache."""
    parsed = _name_and_email(sender)
    if parsed is None:
        return
    digest = hashlib.sha256(f"{user.pk}:{parsed[1]}".encode()).hexdigest()[:24]
    if not _heard.seen(digest) and cache.add(f"heron:heard:{digest}", 1, HEARD_SECONDS):
        remember(user, [sender])


def remember(user, addresses, *, weight=1):
    """Count these addresses as seen now by user: new ones are added, known ones counted.

    Invalid or empty addresses and the user's own are ignored. A non-empty name replaces the
    stored one; an empty one never erases it. Each distinct address counts once per call.
    Beyond MAX_CONTACTS, the least recently seen contacts are dropped.
    """
    if weight < 1:
        raise ValueError("weight must be a positive integer")
    names = {}
    for item in addresses:
        parsed = _name_and_email(item)
        if parsed is None:
            continue
        name, email = parsed
        if email not in names and len(names) >= MAX_PER_CALL:
            continue
        names[email] = name or names.get(email, "")
    for own in own_addresses(user):
        names.pop(own, None)
    if not names:
        return
    now = timezone.now()
    with transaction.atomic():
        known = {c.email: c for c in Contact.objects.filter(user=user, email__in=list(names))}
        new = [Contact(user=user, email=email, name=name, times=weight, last_seen=now)
               for email, name in names.items() if email not in known]
        for email, contact in known.items():
            # F(): two requests counting the same contact at once both count.
            contact.times = F("times") + weight
            contact.last_seen = now
            contact.name = names[email] or contact.name
        if known:
            Contact.objects.bulk_update(known.values(), ["name", "times", "last_seen"])
        if new:
            Contact.objects.bulk_create(new, ignore_conflicts=True)
            _drop_beyond_cap(user)


def _drop_beyond_cap(user):
    mine = Contact.objects.filter(user=user)
    excess = mine.count() - MAX_CONTACTS
    if excess > 0:
        oldest = mine.order_by("last_seen", "times", "id").values_list("id", flat=True)[:excess]
        Contact.objects.filter(id__in=list(oldest)).delete()


def suggest(user, prefix, limit=8):
    """user's contacts whose address, name or a word of the name starts with prefix.

    Case-insensitive; most often seen first, then most recently seen. Returns dicts with
    name, email and label (see label()). An empty prefix suggests nothing.
    """
    # NUL and other controls are in no name or address (and PostgreSQL refuses NUL).
    prefix = "".join(ch if ch.isprintable() else " " for ch in (prefix or "")[:1000])
    prefix = " ".join(prefix.split()).lower()[:254]
    if not prefix:
        return []
    limit = max(1, min(int(limit), MAX_LIMIT))
    matches = (Contact.objects.filter(user=user)
               .filter(Q(email__startswith=prefix) | Q(name__istartswith=prefix)
                       | Q(name__icontains=f" {prefix}"))
               .exclude(email__in=own_addresses(user))
               .order_by("-times", "-last_seen", "id")
               .values_list("name", "email")[:limit])
    return [{"name": name, "email": email, "label": label(name, email)}
            for name, email in matches]
