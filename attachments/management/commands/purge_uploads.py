"""Remove the uploads of drafts abandoned longer than a set age; meant for cron."""
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from attachments import storage


def _age(upload, now):
    hours = int((now - upload.created).total_seconds() // 3600)
    return f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h"


class Command(BaseCommand):
    help = ("Remove uploads of drafts abandoned longer than --older-than-hours "
            "(default HERON_UPLOAD_MAX_AGE_HOURS) from storage and the database.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than-hours", type=int, default=None, metavar="N",
                            help="Age in hours (default: HERON_UPLOAD_MAX_AGE_HOURS).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Say what would be removed, remove nothing.")

    def handle(self, *args, older_than_hours=None, dry_run=False, **options):
        hours = older_than_hours
        if hours is None:
            hours = settings.HERON_UPLOAD_MAX_AGE_HOURS
        if hours < 1:
            raise CommandError("--older-than-hours must be at least 1")
        now = timezone.now()
        removed = []
        try:
            for upload in storage.stale_uploads(timedelta(hours=hours)):
                if not dry_run:
                    storage.delete_upload(upload)
                removed.append(upload)
                self.stdout.write(f"{upload.owner.get_username()}  {upload.name}  "
                                  f"{storage.human_size(upload.size)}  {_age(upload, now)} old")
        except storage.StorageUnavailable as exc:
            self._summary(removed, hours, dry_run)
            raise CommandError(f"Storage is unavailable ({exc}); stopped there.") from None
        self._summary(removed, hours, dry_run)

    def _summary(self, removed, hours, dry_run):
        if not removed:
            self.stdout.write("Nothing to remove.")
            return
        verb = "Would remove" if dry_run else "Removed"
        total = storage.human_size(sum(upload.size for upload in removed))
        plural = "" if len(removed) == 1 else "s"
        self.stdout.write(f"{verb} {len(removed)} upload{plural} ({total}) older than "
                          f"{hours} hours.")
