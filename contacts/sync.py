"""Two-way sync of an AddressBook with its CardDAV book, and its place in a user's requests.

Heron logs in to CardDAV as the user with the mail password, which it holds only during
the user's own requests (accounts/vault.py): so a sync runs inside one, within a time
budget (HERON_CARDDAV_TIMEOUT for the whole exchange), when the user opens Contacts, when
they ask for suggestions (at most every HERON_CARDDAV_SYNC_SECONDS, through the shared
cache) and right after each edit (write-through).

Nothing is lost: every card is saved on its own as it arrives, so a sync cut short by the
budget or a broken server keeps what came and is simply picked up next time; a card
changed both in Heron and on the server keeps the server's version and gets a second card
with the user's version (conflict_of), both shown until the user removes one.
"""
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables

from accounts.domains import domain_of
from accounts.vault import open_vault

from . import davcards as card_store
from . import davgroups
from .carddav import CardDavClient, CardDavError, Conflict, RemoteCard, discover
from .davhttp import Rejected
from .davserver import server_of_domain
from .models import AddressBook, Card, Group

log = logging.getLogger(__name__)
SYNC_KEY_SHAPE = 1


@dataclass
class Report:
    """What one sync did, and the message for the user when it went wrong."""
    received: int = 0
    sent: int = 0
    removed: int = 0
    conflicts: int = 0
    unreadable: int = 0
    error: str = ""

    def message(self):
        parts = [self.error] if self.error else []
        if self.conflicts:
            parts.append(ngettext(
                "%(count)d card was changed both here and on the server: both versions "
                "are kept.", "%(count)d cards were changed both here and on the server: "
                "both versions are kept.", self.conflicts) % {"count": self.conflicts})
        if self.unreadable:
            parts.append(ngettext(
                "%(count)d card on the server could not be read and was left there.",
                "%(count)d cards on the server could not be read and were left there.",
                self.unreadable) % {"count": self.unreadable})
        return " ".join(parts)


# -- which book ---------------------------------------------------------------------------

def server_for(username):
    """The CardDavServer of the user's mail domain, or None."""
    return server_of_domain(domain_of(username))


@sensitive_variables("password")
def remote_book(user, password):
    """The user's AddressBook on their domain's CardDAV server (its URL found by template
    or discovery and kept), or None when the domain has none. Raises CardDavError when
    discovery fails."""
    server = server_for(user.username)
    if server is None:
        return None
    book = AddressBook.objects.filter(user=user).exclude(remote_url="").order_by("id").first()
    if book is not None:
        return book
    url = server.book_url(user.username) or discover(
        server.url, user.username, password, seconds=settings.HERON_CARDDAV_TIMEOUT,
        max_bytes=settings.HERON_CARDDAV_MAX_BYTES)
    # The personal book becomes the server's: cards already in it go up at the next sync.
    book = AddressBook.objects.filter(user=user).order_by("id").first()
    if book is None:
        book = AddressBook(user=user, name=_("Contacts"))
    book.remote_url = url
    book.save()
    return book


# -- in a user's request ------------------------------------------------------------------

def _throttle_key(user):
    return f"heron:carddav:v{SYNC_KEY_SHAPE}:{user.pk}"


@sensitive_variables("password")
def sync_for_request(request, *, force=True):
    """Sync the request user's CardDAV book, if their domain has one. force=False (for
    suggestions) syncs at most every HERON_CARDDAV_SYNC_SECONDS per user. Returns the
    Report, or None when nothing was done. Never raises for a server's fault."""
    user = request.user
    if server_for(user.username) is None:
        return None
    if not force and not cache.add(_throttle_key(user), 1, settings.HERON_CARDDAV_SYNC_SECONDS):
        return None
    password = open_vault(request)
    if password is None:
        return None
    try:
        book = remote_book(user, password)
    except CardDavError as error:
        return Report(error=str(error))
    return sync_book(book, user.username, password)


@sensitive_variables("password")
def sync_book(book, username, password, *, use_sync_collection=True):
    """Bring book and its CardDAV book level, both ways; the error, if any, is kept in
    book.last_error and in the Report. use_sync_collection=False compares ctag and ETags
    even where the server offers sync-collection."""
    report = Report()
    # One sync of a book at a time (the contacts page and suggestions may ask together):
    # a second one would fetch and create the same cards. The lock outlives a stuck
    # process by little more than the budget.
    lock = f"heron:carddav-lock:v{SYNC_KEY_SHAPE}:{book.pk}"
    if not cache.add(lock, 1, settings.HERON_CARDDAV_TIMEOUT + 5):
        return report
    try:
        with CardDavClient(book.remote_url, username, password,
                           seconds=settings.HERON_CARDDAV_TIMEOUT,
                           max_bytes=settings.HERON_CARDDAV_MAX_BYTES) as client:
            _pull(book, client, report, use_sync_collection)
            _push(book, client, report)
    except CardDavError as error:
        report.error = str(error)
    finally:
        cache.delete(lock)
    book.last_error = report.error[:2000]
    if not report.error:
        book.synced_at = timezone.now()
    book.save(update_fields=["last_error", "synced_at", "ctag", "sync_token"])
    return report


@sensitive_variables("password")
def write_through(request, card):
    """Right after the user changed or deleted card (of a server's book): write it to the
    server at once, within the budget. Returns the Report, or None when card's book is
    not a server's. On failure the card stays marked, and the next sync sends it."""
    book = card.book
    if not book.remote_url or card.pk is None or card.conflict_of_id:
        return None
    password = open_vault(request)
    if password is None:
        return None
    report = Report()
    try:
        with CardDavClient(book.remote_url, request.user.username, password,
                           seconds=settings.HERON_CARDDAV_TIMEOUT,
                           max_bytes=settings.HERON_CARDDAV_MAX_BYTES) as client:
            push_card(client, card, report)
    except CardDavError as error:
        report.error = str(error)
        AddressBook.objects.filter(pk=book.pk).update(last_error=report.error[:2000])
    return report


def tell(request, report):
    """Show what went wrong in a sync, or the conflicts it kept, as a notice."""
    if report is not None and report.message():
        messages.warning(request, report.message())


def resolve(copy, *, keep_mine):
    """End a conflict: keep_mine puts the user's version (copy) into the card it
    conflicts with, to go to the server; either way copy is removed."""
    with transaction.atomic():
        card = copy.conflict_of
        if keep_mine and card is not None:
            card_store.store_edit(card, card_store.with_uid(copy.vcard, card.uid))
        copy.delete()


# -- from the server ----------------------------------------------------------------------

def _pull(book, client, report, use_sync_collection):
    ctag, token, offers_sync = client.state()
    if ctag and ctag == book.ctag and (token or "") == book.sync_token:
        return  # nothing changed on the server since the last sync
    if offers_sync and use_sync_collection:
        try:
            changes = client.sync(book.sync_token)
        except Rejected as error:
            if error.status not in (403, 409):
                raise
            changes = client.sync("")  # the server forgot our token: list it all again
    else:
        changes = client.listing()
    known = {card.href: card for card in Card.objects.filter(book=book).exclude(href="")}
    known_groups = {group.href: group
                    for group in Group.objects.filter(book=book).exclude(href="")}
    wanted = [href for href, etag in changes.changed.items()
              if (known.get(href) or known_groups.get(href) or Card(etag="")).etag != etag]
    fetched = []
    for remote in client.fetch(wanted):
        try:
            fetched.append((remote, card_store.parse(remote.vcard)))
        except card_store.UnreadableCard:
            report.unreadable += 1
    report.unreadable += client.too_large
    # Cards first, so that the groups coming in find their members.
    for remote, parsed in sorted(fetched, key=lambda pair: pair[1].kind == "group"):
        if parsed.kind == "group":
            davgroups.take(book, known_groups.get(remote.href), remote.href, remote.etag,
                           remote.vcard, parsed)
            report.received += 1
        else:
            _take(book, known.get(remote.href), remote, report, parsed)
    gone = list(changes.removed)
    if changes.complete:
        gone += [href for href in [*known, *known_groups] if href not in changes.changed]
    for href in gone:
        if href in known:
            _gone_on_server(known[href], report)
        elif href in known_groups and not known_groups[href].dirty:
            known_groups[href].delete()
            report.removed += 1
    book.ctag = ctag
    book.sync_token = changes.token if offers_sync and use_sync_collection else ""


def _take(book, card, remote, report, parsed=None):
    """A card that is new or changed on the server comes in."""
    if parsed is None:
        try:
            parsed = card_store.parse(remote.vcard)
        except card_store.UnreadableCard:
            report.unreadable += 1
            return
    with transaction.atomic():
        if card is None:
            card = Card.objects.filter(book=book, uid=parsed.uid).first() if parsed.uid else None
        if card is not None and (card.dirty or card.deleted):
            _keep_both(card, report)
        if card is None:
            card = Card(book=book, uid=parsed.uid or uuid.uuid4().hex)
        card.href, card.etag, card.dirty, card.deleted = remote.href, remote.etag, False, False
        card_store.store(card, remote.vcard, parsed)
    report.received += 1


def _keep_both(card, report):
    """The user's version of card becomes a card of its own (conflict_of=card), kept in
    Heron only until the user chooses; card then takes the server's version."""
    if not card.deleted:
        copy = Card(book=card.book, uid=uuid.uuid4().hex, conflict_of=card)
        card_store.store(copy, card_store.with_uid(card.vcard, copy.uid))
    report.conflicts += not card.deleted


def _gone_on_server(card, report):
    if card.dirty:
        # Edited here, deleted there: the edit wins and goes up again as a new card.
        Card.objects.filter(pk=card.pk).update(href="", etag="")
        return
    card.delete()
    report.removed += 1


# -- to the server ------------------------------------------------------------------------

def _push(book, client, report):
    pending = Card.objects.filter(book=book, conflict_of=None).filter(
        dirty=True) | Card.objects.filter(book=book, conflict_of=None, href="", deleted=False)
    for card in pending.distinct().order_by("id"):
        push_card(client, card, report)
    groups = Group.objects.filter(book=book).filter(dirty=True) | Group.objects.filter(
        book=book, href="", deleted=False)
    for group in groups.distinct().order_by("id"):
        push_group(client, group, report)


def push_group(client, group, report):
    """Write one group's change to the server. A group changed on both sides takes the
    server's version (its members are not worth a second list)."""
    try:
        if group.deleted:
            if group.href:
                client.delete(group.href, group.etag)
            group.delete()
        else:
            href = group.href or client.new_href(group.uid)
            text = davgroups.text_of(group)
            etag = client.put(href, text, group.etag if group.href else None)
            Group.objects.filter(pk=group.pk).update(href=href, etag=etag, vcard=text,
                                                     dirty=False)
        report.sent += 1
    except Conflict:
        found = client.get(group.href)
        if found is None:
            Group.objects.filter(pk=group.pk).update(href="", etag="")
            return
        vcard, etag = found
        try:
            data = card_store.parse(vcard)
        except card_store.UnreadableCard:
            report.unreadable += 1
            return
        davgroups.take(group.book, group, group.href, etag, vcard, data)


def push_card(client, card, report):
    """Write one card's change to the server (edit, new card or deletion)."""
    if card.deleted:
        if card.href:
            try:
                client.delete(card.href, card.etag)
            except Conflict:
                _server_wins(client, card, report)
                return
        card.delete()
        report.sent += 1
        return
    href = card.href or client.new_href(card.uid)
    try:
        etag = client.put(href, card.vcard, card.etag if card.href else None)
    except Conflict:
        _server_wins(client, card, report)
        return
    Card.objects.filter(pk=card.pk).update(href=href, etag=etag, dirty=False)
    report.sent += 1


def _server_wins(client, card, report):
    """The server's card changed since Heron read it (412): keep both."""
    found = client.get(card.href) if card.href else None
    if found is None:
        # Gone there meanwhile: ours goes up as a new card next time.
        Card.objects.filter(pk=card.pk).update(href="", etag="")
        return
    vcard, etag = found
    _take(card.book, card, RemoteCard(card.href, etag, vcard), report)
