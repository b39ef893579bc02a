"""Tidy storage after compose windows that went quiet; meant for cron.

Of a compose window idle longer than the age: uploads that no saved draft holds are
removed; the stored copies of those a saved draft holds are evicted (the draft carries the
file, and Heron streams it back from there when it is needed). Nothing else is touched.
"""
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from attachments import lifetime, storage


def _age(upload, now):
    hours = int((now - upload.created).total_seconds() // 3600)
    return f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h"


class Command(BaseCommand):
    help = ("Remove uploads of compose windows idle longer than --older-than-hours "
            "(default HERON_UPLOAD_MAX_AGE_HOURS) that no saved draft holds, and evict the "
            "stored copies of those a saved draft in IMAP holds.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than-hours", type=int, default=None, metavar="N",
                            help="Age in hours (default: HERON_UPLOAD_MAX_AGE_HOURS).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Say what would be removed or evicted, touch nothing.")

    def handle(self, *args, older_than_hours=None, dry_run=False, **options):
        hours = older_than_hours
        if hours is None:
            hours = settings.HERON_UPLOAD_MAX_AGE_HOURS
        if hours < 1:
            raise CommandError("--older-than-hours must be at least 1")
        age, now = timedelta(hours=hours), timezone.now()
        removed, evicted = [], []
        try:
            for upload in lifetime.stale_uploads(age):
                if not dry_run:
                    storage.delete_upload(upload)
                removed.append(upload)
                self._line(upload, now)
            for upload in lifetime.evictable_uploads(age):
                if not dry_run:
                    storage.evict(upload)
                evicted.append(upload)
                self._line(upload, now, "  (kept in its saved draft)")
        except storage.StorageUnavailable as exc:
            self._summary(removed, evicted, hours, dry_run)
            raise CommandError(f"Storage is unavailable ({exc}); stopped there.") from None
        self._summary(removed, evicted, hours, dry_run)

    def _line(self, upload, now, note=""):
        self.stdout.write(f"{upload.owner.get_username()}  {upload.name}  "
                          f"{storage.human_size(upload.size)}  {_age(upload, now)} old{note}")

    def _summary(self, removed, evicted, hours, dry_run):
        if not removed and not evicted:
            self.stdout.write("Nothing to remove.")
            return
        if removed:
            verb = "Would remove" if dry_run else "Removed"
            self.stdout.write(f"{verb} {_count(removed)} older than {hours} hours.")
        if evicted:
            verb = "Would evict" if dry_run else "Evicted"
            self.stdout.write(f"{verb} the stored copies of {_count(evicted)} that saved "
                              f"drafts hold, idle longer than {hours} hours.")


def _count(uploads):
    total = storage.human_size(sum(upload.size for upload in uploads))
    return f"{len(uploads)} upload{'' if len(uploads) == 1 else 's'} ({total})"
