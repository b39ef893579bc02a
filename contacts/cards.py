"""Cards in the database: saving one from its fields, finding them, what a card is called.

A Card row mirrors its vCard text: save() writes the fields into the stored text (through
contacts/vcards.py, so what Heron does not show stays) and the rows of its addresses and
phones, in one transaction.
"""
import uuid

from django.db import connections, transaction
from django.db.models import F, Q, Value

from accounts.contacts import label

from . import known, vcards
from .models import Card, CardEmail, CardPhone, Group


def data_of(card):
    """The CardData of a saved card (its rows, not its text)."""
    return vcards.CardData(
        uid=card.uid, full_name=card.full_name, given_name=card.given_name,
        family_name=card.family_name, organisation=card.organisation,
        birthday=card.birthday, notes=card.notes,
        emails=[(e.email, e.label) for e in card.emails.all()],
        phones=[(p.number, p.label) for p in card.phones.all()],
        photo=bytes(card.photo) if card.photo else None, photo_type=card.photo_type)


def component_of(card):
    """The card's stored vCard as a component (a new one for a card without text)."""
    if card.vcard:
        try:
            return vcards.parse_one(card.vcard)
        except vcards.CardSyntaxError:
            pass  # text that no longer parses is replaced by what the fields say
    return vcards.new_component(card.uid)


def _apply(card, data):
    card.full_name = data.full_name[:500]
    card.given_name = data.given_name[:200]
    card.family_name = data.family_name[:200]
    card.organisation = data.organisation[:500]
    card.birthday = data.birthday
    card.notes = data.notes
    card.photo = data.photo or None
    card.photo_type = data.photo_type if data.photo else ""


@transaction.atomic
def save(book, data, card=None, *, component=None, from_server=False):
    """Create or update the card of book holding data; returns the Card.

    With component (a card read from a file or a server), its text becomes the stored text
    as is; otherwise data is written into the card's stored text. A card changed by the
    user in a book kept on a server is marked dirty, to be written back."""
    if card is None:
        card = Card(book=book, uid=data.uid or f"urn:uuid:{uuid.uuid4()}")
    data.uid = card.uid
    if not data.full_name:
        data.full_name = (" ".join(p for p in (data.given_name, data.family_name) if p)
                          or data.organisation or (data.emails[0][0] if data.emails else ""))
    if component is None:
        component = vcards.update_component(component_of(card), data)
    _apply(card, data)
    card.vcard = vcards.serialize(component)
    card.deleted = False
    if book.remote_url and not from_server:
        card.dirty = True
    card.save()
    card.emails.all().delete()
    card.phones.all().delete()
    CardEmail.objects.bulk_create(
        [CardEmail(card=card, email=email.lower()[:254], label=tag[:100])
         for email, tag in data.emails])
    CardPhone.objects.bulk_create(
        [CardPhone(card=card, number=number[:100], label=tag[:100])
         for number, tag in data.phones])
    known.forget_senders(book.user_id)  # its addresses changed
    return card


def remove(card):
    """Delete a card: at once in a local book, as a tombstone in a server's book."""
    if card.book.remote_url and card.href:
        card.deleted = True
        card.dirty = True
        card.save(update_fields=["deleted", "dirty", "updated"])
    else:
        card.delete()


def visible(book):
    return Card.objects.filter(book=book, deleted=False)


def search(book, query, group=None):
    """The book's cards (of group, if given) matching query in a name, organisation,
    address or phone, in name order (a query set: the page takes one page of it)."""
    cards = visible(book) if group is None else visible(book).filter(groups=group)
    query = " ".join((query or "").split())[:200]
    if query:
        cards = cards.filter(Q(full_name__icontains=query) | Q(organisation__icontains=query)
                             | Q(emails__email__icontains=query)
                             | Q(phones__number__icontains=query)).distinct()
    return cards.order_by("full_name", "id").prefetch_related("emails")


def card_with_email(book, email):
    """The first card of book holding this address, or None."""
    return (visible(book).filter(emails__email=(email or "").strip().lower())
            .order_by("id").first())


def suggest(book, prefix, limit):
    """Recipient suggestions from the book in one query (a UNION; two on SQLite):
    addresses of cards whose name, organisation or address starts with prefix, then
    groups by name."""
    by_card = (CardEmail.objects
               .filter(card__book=book, card__deleted=False)
               .filter(Q(email__startswith=prefix.lower())
                       | Q(card__full_name__istartswith=prefix)
                       | Q(card__full_name__icontains=f" {prefix}")
                       | Q(card__organisation__istartswith=prefix))
               .annotate(kind=Value(0), name=F("card__full_name"))
               .order_by("card__full_name", "id")
               .values_list("kind", "name", "email")[:limit])
    groups = (Group.objects.filter(book=book, deleted=False, name__istartswith=prefix)
              .annotate(kind=Value(1), email=Value(""))
              .order_by("name").values_list("kind", "name", "email")[:limit])
    if connections[by_card.db].features.supports_slicing_ordering_in_compound:
        rows = sorted(by_card.union(groups, all=True), key=lambda row: row[0])
    else:  # SQLite (make run) cannot order and cut each half of a UNION: two queries
        rows = [*by_card, *groups]
    return [{"name": name, "email": email, "label": label(name, email)} if not kind
            else {"name": name, "email": "", "label": name, "group": True}
            for kind, name, email in rows][:limit]
