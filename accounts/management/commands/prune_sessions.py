"""Forget the recorded sessions that expired on their own; meant for cron or a timer."""
from django.core.management.base import BaseCommand

from accounts import sessions


class Command(BaseCommand):
    help = ("Delete the UserSession rows of sessions that expired on their own (last seen "
            "longer than SESSION_COOKIE_AGE ago). The session store expires the sessions "
            "themselves.")

    def handle(self, *args, **options):
        deleted = sessions.prune()
        plural = "" if deleted == 1 else "s"
        self.stdout.write(f"Forgot {deleted} expired session{plural}.")
