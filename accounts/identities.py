"""The addresses a user sends as: every user has at least one identity, and exactly one default.

Callers go through these functions rather than the model manager, so every lookup is scoped
by the user and the "one default" rule is kept in one place.

A user sends only as themself: as the login address, as an address their mail domain
allows (Domain.allowed_senders, or HERON_ALLOWED_SENDERS for the default servers), or as
an address they confirmed by the link mailed to it (accounts/confirmations.py). Any other
identity can be saved and chosen for a draft, but not sent from.
"""
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext

from webmail.cachejson import drop_until_committed, read

from . import readahead, senders
from .domains import domain_of
from .models import Domain, Identity

MAX_IDENTITIES = 50


class IdentityRefused(Exception):
    """A change that was not made; message is what the user is told."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class SenderRefused(Exception):
    """The identity may not be sent from (yet); user_message says why and what to do."""

    def __init__(self, address):
        super().__init__(address)
        self.user_message = gettext(
            "You have not confirmed that you send as %(address)s: nothing was sent. Check "
            "%(address)s for the confirmation link (Settings can send it again), or choose "
            "another From address. Your message is kept as a draft.") % {"address": address}


@dataclass(frozen=True)
class SendingRules:
    """What the user's mail domain allows: see accounts/senders.py and Domain."""

    allowed: tuple = ()          # patterns of accounts.senders
    trusted_relay: bool = False  # send when the SMTP server offers no AUTH


def sending_rules(user):
    """The rules of the domain the user logs in at, read afresh at every call: an admin
    may have changed them since the page was shown."""
    domain = domain_of(user.username)
    row = (Domain.objects.filter(name=domain).values("allowed_senders", "trusted_relay")
           .first() if domain else None)
    if row is not None:
        # Saved through the admin's validator; an entry that no longer parses allows nothing.
        try:
            allowed = senders.parse_allowed(row["allowed_senders"].splitlines())
        except ValueError:
            allowed = ()
        return SendingRules(allowed, row["trusted_relay"])
    try:
        allowed = senders.parse_allowed(settings.HERON_ALLOWED_SENDERS)
    except ValueError as refused:
        raise ImproperlyConfigured(f"HERON_ALLOWED_SENDERS: {refused}") from None
    return SendingRules(allowed, settings.SMTP_TRUSTED_RELAY)


def needs_confirmation(user, address, rules):
    """Whether sending as address needs the user's confirmation: it is neither the login
    address nor allowed by the domain."""
    address = address.strip().lower()
    return address != login_address(user).lower() and not senders.allowed_by(
        rules.allowed, login_address(user), address)


def may_send_as(user, identity, rules):
    return identity.is_confirmed() or not needs_confirmation(user, identity.email, rules)


def check_sender(user, identity, rules):
    """Raises SenderRefused unless the user may send as identity."""
    if not may_send_as(user, identity, rules):
        raise SenderRefused(identity.email)


def with_sending_state(user, found):
    """The identities, each with .may_send set (for pages that show or offer them)."""
    rules = sending_rules(user)
    for identity in found:
        identity.may_send = may_send_as(user, identity, rules)
    return found


def login_address(user):
    """The address a login sends as. A login without a domain (the demo server's
    "demouser") gets HERON_LOCAL_MAIL_DOMAIN, as a local MTA would add it."""
    address = (user.email or user.username).strip()
    return address if "@" in address else f"{address}@{settings.HERON_LOCAL_MAIL_DOMAIN}"


def identities_for(user):
    """The user's identities, default first; creates the default from the login on first use."""
    found = list(Identity.objects.filter(user=user))
    if found:
        return found
    try:
        with transaction.atomic():
            return [Identity.objects.create(user=user, email=login_address(user), is_default=True)]
    except IntegrityError:
        # A concurrent request created the default first; use it.
        return list(Identity.objects.filter(user=user))


def default_identity(user):
    """The identity to send as when none is chosen. Never None."""
    found = identities_for(user)
    return next((identity for identity in found if identity.is_default), found[0])


# The name and address of the default identity, which the mail pages read (the prompt for
# a name) until it has a name: kept in the shared cache, dropped at every change to one of
# the user's identities (saved or deleted, and the default moved: _forget_default).
DEFAULT_SECONDS = 3600
DEFAULT_SHAPE = 1  # the version of the kept value's shape, named in its key
_DEFAULT = {"name": str, "email": str}


@readahead.register
def _default_key(user_id):
    return f"default-identity:v{DEFAULT_SHAPE}:{user_id}"


def default_sender(user):
    """{"name", "email"} of the default identity: one query at most."""
    key = _default_key(user.pk)
    kept = read(readahead.take(user, key), _DEFAULT)
    if kept is None:
        default = default_identity(user)
        kept = {"name": default.name, "email": default.email}
        cache.set(key, kept, DEFAULT_SECONDS)
    return kept


def _forget_default(user_id):
    drop_until_committed(cache, _default_key(user_id))


@receiver(post_save, sender=Identity, dispatch_uid="accounts.identities.saved")
@receiver(post_delete, sender=Identity, dispatch_uid="accounts.identities.deleted")
def _identity_changed(sender, instance, **kwargs):
    _forget_default(instance.user_id)


def name_default(user, name):
    """Give the default identity a display name."""
    identity = default_identity(user)
    identity.name = name
    identity.save(update_fields=["name"])
    return identity


def get_identity(user, identity_id):
    """The user's identity with this id, or None (also for another user's id or a bad id)."""
    try:
        identity_id = int(identity_id)
    except (TypeError, ValueError):
        return None
    return Identity.objects.filter(user=user, id=identity_id).first()


def own_addresses(user):
    """Lower-case addresses that are the user's own: the login and every identity."""
    emails = set(Identity.objects.filter(user=user).values_list("email", flat=True))
    emails.update((user.username, user.email or ""))
    return {email.strip().lower() for email in emails if email and email.strip()}


def save(user, identity):
    """Save a new or edited identity of user's, keeping exactly one default.

    identity.is_default=True makes it the default; an identity that is the default stays
    the default (choose another one to change it). The login-address identity is created
    first if the user has none yet.
    """
    with transaction.atomic():
        # The login address is always the first identity, even when another is added first.
        mine = (list(Identity.objects.select_for_update().filter(user=user))
                or identities_for(user))
        if identity.pk is None and len(mine) >= MAX_IDENTITIES:
            raise IdentityRefused(gettext("You can have at most %(count)s identities.") % {
                "count": MAX_IDENTITIES})
        was_default = any(each.is_default for each in mine if each.pk == identity.pk)
        others_default = any(each.is_default for each in mine if each.pk != identity.pk)
        identity.user = user
        before = next((each for each in mine if each.pk == identity.pk), None)
        if before is not None and before.email.strip().lower() != identity.email.strip().lower():
            # A new address needs its own confirmation, even one confirmed before.
            identity.confirmed_email = identity.confirm_nonce = ""
        identity.is_default = identity.is_default or was_default or not others_default
        if identity.is_default and others_default:
            Identity.objects.filter(user=user, is_default=True).exclude(pk=identity.pk).update(
                is_default=False)
        identity.save()
        _forget_default(user.pk)
    return identity


def set_default(user, identity):
    """Make identity (which must be user's) the default and the others not."""
    with transaction.atomic():
        # Lock the user's rows so two concurrent flips cannot leave two defaults or none.
        list(Identity.objects.select_for_update().filter(user=user))
        if not Identity.objects.filter(user=user, pk=identity.pk).exists():
            raise Identity.DoesNotExist(f"identity {identity.pk} is not this user's")
        Identity.objects.filter(user=user, is_default=True).exclude(pk=identity.pk).update(
            is_default=False)
        Identity.objects.filter(user=user, pk=identity.pk).update(is_default=True)
        _forget_default(user.pk)
    identity.is_default = True


def delete(user, identity):
    """Delete one of user's identities; the oldest remaining one becomes default if needed.

    Raises IdentityRefused for the last identity: there must always be one to send as.
    """
    with transaction.atomic():
        mine = list(Identity.objects.select_for_update().filter(user=user)
                    .order_by("created", "id"))
        if identity.pk not in {each.pk for each in mine}:
            raise Identity.DoesNotExist(f"identity {identity.pk} is not this user's")
        rest = [each for each in mine if each.pk != identity.pk]
        if not rest:
            raise IdentityRefused(gettext(
                "You cannot delete your only identity. Add another one first."))
        Identity.objects.filter(user=user, pk=identity.pk).delete()
        if not any(each.is_default for each in rest):
            Identity.objects.filter(pk=rest[0].pk).update(is_default=True)
        _forget_default(user.pk)
