"""How much a user may upload: HERON_MAX_MESSAGE_BYTES a draft, HERON_UPLOAD_QUOTA_BYTES in all.

Uploads run in parallel, on any frontend, so a check and what it lets through must be one
step. An upload reserves its bytes before it is stored (an Upload row with stored=False and
its declared size), and settles them once stored (its real size), each time under a lock
on the owner's user row in the primary database. Two uploads of one user meet at that lock;
uploads of different users never do; no lock is held while the bytes move. The database is
the only record: a reservation whose upload died is removed by purge_uploads.
"""
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import router, transaction
from django.db.models import Sum
from django.utils.translation import gettext

from .models import Upload


class TooLarge(Exception):
    """An upload would pass a limit; the message is for users."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def human_size(size):
    """1536 -> "1.5 KB", 25 MiB -> "25 MB": sizes as users and operators read them."""
    if size < 1024:
        return f"{size} bytes"
    value, unit = (size / 1024, "KB") if size < 1024 * 1024 else (size / 1024 / 1024, "MB")
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


@dataclass(frozen=True)
class Room:
    """What the draft and the user held before a reservation, and the bytes still free
    after it (for a file that turns out bigger than it said)."""

    in_draft: int
    in_all: int
    free: int


def _primary():
    # Limits go by the primary: a lagging replica would undercount.
    return router.db_for_write(Upload)


def _total(uploads):
    return uploads.aggregate(total=Sum("size"))["total"] or 0


def draft_total(owner, draft, *, using=None):
    """Bytes of all the owner's uploads for this draft, those being stored included."""
    return _total(Upload.objects.using(using).filter(owner=owner, draft=draft))


def _lock_and_count(owner, draft, using, excluding=()):
    """Lock the owner's user row until the transaction ends; the draft's bytes and the
    owner's bytes in storage, leaving out the uploads `excluding`. An evicted upload counts
    in its draft (the message will carry it) but not against the quota: storage holds none
    of it, its saved draft does."""
    get_user_model().objects.using(using).select_for_update().only("pk").get(pk=owner.pk)
    uploads = Upload.objects.using(using).filter(owner=owner).exclude(
        pk__in=[upload.pk for upload in excluding])
    return _total(uploads.filter(draft=draft)), _total(uploads.filter(evicted=False))


def refusal(what, adding, in_draft, in_all, over=""):
    """The TooLarge to raise if `adding` bytes more pass a limit, else None."""
    limit, quota = settings.HERON_MAX_MESSAGE_BYTES, settings.HERON_UPLOAD_QUOTA_BYTES
    if in_draft + adding > limit:
        return TooLarge(gettext(
            "Attachments are limited to %(limit)s a message; %(what)s (%(adding)s) would make "
            "it %(total)s.") % {"limit": human_size(limit), "what": what,
                                "adding": over + human_size(adding),
                                "total": over + human_size(in_draft + adding)})
    if in_all + adding > quota:
        return TooLarge(gettext(
            "Your attachments waiting to be sent are limited to %(quota)s in all; %(what)s "
            "(%(adding)s) would make them %(total)s. Send or discard a draft with attachments "
            "to make room.") % {"quota": human_size(quota), "what": what,
                                "adding": over + human_size(adding),
                                "total": over + human_size(in_all + adding)})
    return None


def reserve(owner, draft, uploads, what):
    """Record these new uploads (unsaved Uploads with stored=False and their declared
    sizes) if they fit, as one step against parallel uploads; returns the Room.

    Raises TooLarge, naming the uploads as `what`, and records nothing if they do not fit.
    """
    using = _primary()
    adding = sum(upload.size for upload in uploads)
    with transaction.atomic(using=using):
        in_draft, in_all = _lock_and_count(owner, draft, using)
        refused = refusal(what, adding, in_draft, in_all)
        if refused:
            raise refused
        Upload.objects.using(using).bulk_create(uploads)
    free = min(settings.HERON_MAX_MESSAGE_BYTES - in_draft,
               settings.HERON_UPLOAD_QUOTA_BYTES - in_all) - adding
    return Room(in_draft, in_all, free)


def settle(upload, size, sha256, key):
    """Mark a reserved upload stored, with its real size and checksum.

    Bigger than it reserved (a stream of unknown size), it is checked again against what
    the owner holds now; raises TooLarge then, leaving the row for the caller to release.
    """
    using = _primary()
    with transaction.atomic(using=using):
        if size > upload.size:
            in_draft, in_all = _lock_and_count(upload.owner, upload.draft, using, [upload])
            refused = refusal(upload.name, size, in_draft, in_all)
            if refused:
                raise refused
        Upload.objects.using(using).filter(pk=upload.pk).update(
            size=size, sha256=sha256, key=key, stored=True)
    upload.size, upload.sha256, upload.key, upload.stored = size, sha256, key, True


def release(uploads):
    """Forget the records of uploads that were refused or failed (their objects are the
    caller's to remove)."""
    Upload.objects.using(_primary()).filter(pk__in=[upload.pk for upload in uploads]).delete()
