"""Groups (lists) of cards, and what a group's name stands for in a recipient field."""
import uuid

from django.db import transaction
from django.db.models.functions import Lower

from accounts.contacts import label
from webmail.mime.compose import split_entries

from .books import existing_book
from .models import CardEmail, Group

MAX_EXPANDED = 500  # addresses one group name may stand for (the field's own cap is 500)


def visible(book):
    return Group.objects.filter(book=book, deleted=False)


def create(book, name):
    return Group.objects.create(book=book, name=name, uid=f"urn:uuid:{uuid.uuid4()}",
                                dirty=bool(book.remote_url))


def rename(group, name):
    group.name = name
    group.dirty = bool(group.book.remote_url)
    group.save(update_fields=["name", "dirty"])


def remove(group):
    if group.book.remote_url and group.href:
        group.deleted = group.dirty = True
        group.save(update_fields=["deleted", "dirty"])
    else:
        group.delete()


@transaction.atomic
def set_members(group, cards, *, add):
    """Add (or with add=False, take out) these cards of the group's own book."""
    cards = [card for card in cards if card.book_id == group.book_id]
    (group.members.add if add else group.members.remove)(*cards)
    if group.book.remote_url:
        Group.objects.filter(pk=group.pk).update(dirty=True)


def member_labels(group):
    """"Name <address>" of each member's first address, in name order."""
    rows = (CardEmail.objects.filter(card__groups=group, card__deleted=False)
            .order_by("card__full_name", "card_id", "id")
            .values_list("card_id", "card__full_name", "email")[:MAX_EXPANDED * 4])
    seen, found = set(), []
    for card_id, name, email in rows:
        if card_id not in seen:
            seen.add(card_id)
            found.append(label(name, email))
    return found[:MAX_EXPANDED]


def _group_name(entry):
    """The group name an entry may be: one without an address in it, quotes dropped."""
    if "@" in entry or "<" in entry:
        return None
    name = entry.strip().strip('"').strip()
    return name[:200] or None


def named(book, name):
    """The book's group called name (any case), or None."""
    name = " ".join(str(name or "").split())[:200]
    if not name:
        return None
    return (visible(book).annotate(lower=Lower("name")).filter(lower=name.lower())
            .order_by("id").first())


def expand(book, text):
    """text with each entry that is exactly a group's name (any case) replaced by its
    members' addresses. An entry holding an address is never touched, so nothing the user
    typed as an address changes; text without a group name comes back as it was."""
    entries = list(split_entries(text))
    names = {name.lower() for name in map(_group_name, entries) if name}
    if not names:
        return text
    groups = {}
    for group in (visible(book).annotate(lower=Lower("name")).filter(lower__in=names)
                  .order_by("id")):
        groups.setdefault(group.name.lower(), group)
    if not groups:
        return text
    out = []
    for entry in entries:
        name = _group_name(entry)
        group = groups.get(name.lower()) if name else None
        out.extend(member_labels(group) if group else [entry])
    return ", ".join(out)


def expand_groups(user, text):
    """expand() in the user's personal book; text as it was for a user without one."""
    if "@" in (text or "") and not any(_group_name(e) for e in split_entries(text)):
        return text
    book = existing_book(user)
    return expand(book, text) if book else text
