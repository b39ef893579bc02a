"""The address book: a user's books of cards, their addresses, phones and groups.

A Card keeps its whole vCard text (`vcard`): the fields below are what Heron shows and
searches, the text is the source of truth, so properties Heron does not show survive a
round trip through Heron (contacts/vcards.py updates the text rather than regenerating it).
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AddressBook(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="address_books")
    name = models.CharField(_("name"), max_length=200)
    remote_url = models.CharField(_("CardDAV address"), max_length=2000, blank=True,
                                  help_text=_("Empty for a book kept only in Heron."))
    sync_token = models.CharField(max_length=2000, blank=True)
    ctag = models.CharField(max_length=2000, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=2000, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user"], name="addressbook_user")]

    def __str__(self):
        return self.name


class Card(models.Model):
    book = models.ForeignKey(AddressBook, on_delete=models.CASCADE, related_name="cards")
    uid = models.CharField(max_length=500)
    vcard = models.TextField(blank=True)
    full_name = models.CharField(_("full name"), max_length=500, blank=True)
    given_name = models.CharField(_("given name"), max_length=200, blank=True)
    family_name = models.CharField(_("family name"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=500, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    photo = models.BinaryField(null=True, blank=True)
    photo_type = models.CharField(max_length=50, blank=True)
    href = models.CharField(max_length=2000, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    dirty = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)
    conflict_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="conflicts")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["book", "uid"], name="one_card_per_uid")]
        indexes = [models.Index(fields=["book", "full_name"], name="card_book_name")]

    def __str__(self):
        return self.full_name or self.uid


class CardEmail(models.Model):
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="emails")
    email = models.CharField(_("email address"), max_length=254,
                             help_text=_("Stored in lower case."))
    label = models.CharField(_("label"), max_length=100, blank=True)

    class Meta:
        indexes = [models.Index(fields=["email"], name="cardemail_email")]

    def __str__(self):
        return self.email


class CardPhone(models.Model):
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone number"), max_length=100)
    label = models.CharField(_("label"), max_length=100, blank=True)

    def __str__(self):
        return self.number


class Group(models.Model):
    """A list of cards; on a CardDAV server it may live as its own card (KIND:group), so it
    has the same uid/vcard/href/etag/dirty/deleted fields as a Card."""

    book = models.ForeignKey(AddressBook, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("name"), max_length=200)
    members = models.ManyToManyField(Card, blank=True, related_name="groups")
    uid = models.CharField(max_length=500, blank=True)
    vcard = models.TextField(blank=True)
    href = models.CharField(max_length=2000, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    dirty = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)

    class Meta:
        # Not unique by name: a server's book may hold two lists of the same name.
        indexes = [models.Index(fields=["book", "name"], name="group_book_name")]

    def __str__(self):
        return self.name


# A Domain's CardDAV server (contacts/davserver.py): imported here so that Django finds it.
from .davserver import CardDavServer  # noqa: E402, F401
