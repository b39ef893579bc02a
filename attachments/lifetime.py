"""How long uploads stay, and what purge_uploads (cron) may take away.

An upload is the compose window's handle on a file. Of a compose window idle longer than
the age (none of its uploads is newer), the uploads that no saved draft holds are removed:
the window was abandoned before they were saved. Those a saved draft holds keep their
records and lose only their stored bytes (storage.evict): the draft in IMAP carries the
file, and Heron streams it back from there. An upload that is in no saved draft yet is
never touched while its window may still be working.
"""
from datetime import timedelta

from django.db import router
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import Upload
from .storage import delete_upload, evict

# An upload still not stored this long after its reservation died on the way (a request
# lasts at most the worker timeout); purge_uploads removes what it left.
UNSTORED_AFTER = timedelta(hours=1)


def _idle(older_than):
    """Uploads of compose windows idle longer than older_than: the upload is older, and so
    is every other upload of its draft (a draft still being worked on keeps its early
    attachments)."""
    cutoff = timezone.now() - older_than
    recent = Upload.objects.filter(owner=OuterRef("owner"), draft=OuterRef("draft"),
                                   created__gte=cutoff)
    return Q(created__lt=cutoff) & ~Exists(recent)


def _on_primary():
    return Upload.objects.db_manager(router.db_for_write(Upload))


def stale_uploads(older_than):
    """Uploads to remove, oldest first: those of compose windows idle longer than
    `older_than` (a timedelta) that no saved draft holds, and reservations whose upload died
    before it was stored (older than UNSTORED_AFTER).

    An upload a saved draft holds is never among them: its draft carries the file, and
    only the stored copy may go (evictable_uploads)."""
    died = Q(stored=False, created__lt=timezone.now() - UNSTORED_AFTER)
    abandoned = _idle(older_than) & Q(stored=True, saved_uid__isnull=True)
    return list(_on_primary().filter(abandoned | died).select_related("owner")
                .order_by("created"))


def evictable_uploads(older_than):
    """Uploads whose bytes storage still holds though a saved draft holds them too, of
    compose windows idle longer than `older_than`, oldest first."""
    return list(_on_primary().filter(
        _idle(older_than), stored=True, evicted=False, saved_uid__isnull=False)
        .select_related("owner").order_by("created"))


def purge(older_than):
    """Remove the stale uploads (objects, then records); returns what was removed."""
    removed = stale_uploads(older_than)
    for upload in removed:
        delete_upload(upload)
    return removed


def evict_saved(older_than):
    """Evict the stored copies of the evictable uploads; returns the uploads evicted."""
    evicted = evictable_uploads(older_than)
    for upload in evicted:
        evict(upload)
    return evicted
