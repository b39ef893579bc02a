"""The senders whose remote images a user chose to always show ("Always show images from
this sender" on a message): listed in Settings, and each can be taken back, or all."""
from .models import TrustedSender


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
