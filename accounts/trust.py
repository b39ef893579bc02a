"""The senders whose remote images a user chose to always show ("Always show images from
this sender" on a message): listed in Settings, and each can be taken back, or all."""
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from webmail.cachejson import drop_until_committed, read

from . import readahead
from .models import TrustedSender

# Each message opened asks whether its sender is trusted: the user's trusted addresses are
# kept in the shared cache, dropped at every change to them (saved or deleted).
TRUSTED_SECONDS = 3600
TRUSTED_SHAPE = 1  # the version of the kept list's shape, named in its key


@readahead.register
def _trusted_key(user_id):
    return f"trusted-senders:v{TRUSTED_SHAPE}:{user_id}"


def is_trusted(user, email):
    """Whether the user chose to always show remote images from this address."""
    key = _trusted_key(user.pk)
    kept = read(readahead.take(user, key), [str])
    if kept is None:
        kept = sorted({each.lower() for each in TrustedSender.objects.filter(
            user=user).values_list("email", flat=True)})
        cache.set(key, kept, TRUSTED_SECONDS)
    return email.strip().lower() in kept


@receiver(post_save, sender=TrustedSender, dispatch_uid="accounts.trust.saved")
@receiver(post_delete, sender=TrustedSender, dispatch_uid="accounts.trust.deleted")
def _trusted_changed(sender, instance, **kwargs):
    drop_until_committed(cache, _trusted_key(instance.user_id))


def trusted_senders(user):
    """The user's trusted senders, by address."""
    return list(TrustedSender.objects.filter(user=user).order_by("email"))


def forget(user, trusted_id):
    """Stop trusting one sender; the address, or None when the id is not one of the
    user's (unknown, or another user's)."""
    found = TrustedSender.objects.filter(user=user, id=trusted_id).first()
    if found is None:
        return None
    found.delete()
    return found.email


def forget_all(user):
    """Stop trusting every sender; how many there were."""
    return TrustedSender.objects.filter(user=user).delete()[0]
