"""Whether a message's sender has a card in the user's address books, as the message view
shows it ("In contacts" or "Add to contacts"). Every message opened asks, so each answer is
kept in the shared cache under the user's generation of their books: any change to one of
the user's books, cards or card addresses moves the generation on (now, and again once the
change commits), and what was kept under the one before is never read again."""
import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts import readahead
from webmail.cachejson import read
from webmail.memo import Memo

from .models import AddressBook, Card

KNOWN_SECONDS = 600
KNOWN_SHAPE = 1  # the version of the kept answers' shape, named in their keys
_ANSWER = {"pk": (None, int), "name": str}


@dataclass(frozen=True)
class Known:
    """The card that holds the sender's address."""
    pk: int
    full_name: str


@readahead.register
def _generation_key(user_id):
    return f"contacts-generation:v{KNOWN_SHAPE}:{user_id}"


def _generation(user):
    key = _generation_key(user.pk)
    found = readahead.take(user, key)
    if not isinstance(found, int):
        # A generation lost from the cache starts again where no kept answer can be.
        cache.add(key, time.time_ns() // 1000, None)
        found = cache.get(key)
    return found


def sender_card(user, email):
    """The user's card (its Known pk and name) that holds this address, else None."""
    email = email.strip().lower()[:254]
    if not email:
        return None
    digest = hashlib.sha256(email.encode()).hexdigest()[:24]
    key = f"sender-card:v{KNOWN_SHAPE}:{user.pk}:{_generation(user)}:{digest}"
    kept = _answers.get(key)
    if kept is None:
        kept = read(cache.get(key), _ANSWER)
        if kept is None:
            card = (Card.objects.filter(book__user=user, deleted=False, emails__email=email)
                    .order_by("id").first())
            kept = {"pk": card and card.pk, "name": card.full_name if card else ""}
            cache.set(key, kept, KNOWN_SECONDS)
        _answers.put(key, kept)
    return Known(kept["pk"], kept["name"]) if kept["pk"] else None


# The answers, kept in the process too under the same keys: the generation in a key comes
# from the shared cache on every request, so an answer kept here is never read after the
# change that moved it on, on whichever frontend the change was made.
ANSWERS_KEPT = 4096
_answers = Memo(ANSWERS_KEPT, KNOWN_SECONDS)


def forget_kept_answers():
    """Every answer kept in this process forgotten (tests, after emptying the cache)."""
    _answers.clear()


def forget_senders(user_id):
    """Move the user's generation on: what was kept of their cards is read no more."""
    def move_on():
        try:
            cache.incr(_generation_key(user_id))
        except ValueError:  # not in the cache: the next read starts a new one
            pass
    move_on()
    transaction.on_commit(move_on)


@receiver(post_save, sender=AddressBook, dispatch_uid="contacts.known.book-saved")
@receiver(post_delete, sender=AddressBook, dispatch_uid="contacts.known.book-deleted")
def _book_changed(sender, instance, **kwargs):
    forget_senders(instance.user_id)


@receiver(post_save, sender=Card, dispatch_uid="contacts.known.card-saved")
@receiver(post_delete, sender=Card, dispatch_uid="contacts.known.card-deleted")
def _card_changed(sender, instance, **kwargs):
    # (A card's addresses are written by contacts.cards.save, which tells forget_senders.)
    owner = AddressBook.objects.filter(pk=instance.book_id).values_list("user_id", flat=True)
    for user_id in owner:  # none when the book went first (its own signal told)
        forget_senders(user_id)
