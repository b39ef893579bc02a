"""Which address books a user has: one personal book, made on first use."""
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from .models import AddressBook


def personal_book(user):
    """The user's personal book (the first one), created on first use."""
    book = existing_book(user)
    if book is not None:
        return book
    try:
        with transaction.atomic():
            return AddressBook.objects.create(user=user, name=gettext("Personal"))
    except IntegrityError:  # pragma: no cover - a parallel request made it first
        return AddressBook.objects.filter(user=user).order_by("id").first()


def existing_book(user):
    """The user's personal book if made already, else None: reading never creates one."""
    return AddressBook.objects.filter(user=user).order_by("id").first()
