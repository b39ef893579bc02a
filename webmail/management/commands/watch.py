"""Run a change watcher: listens to the mail servers for the active users of its shard.

See webmail/push.py. Run one per shard (`--shard 0 --shards 2` and `--shard 1 --shards 2`
on any machines that reach Redis, the database and the IMAP servers); a watcher that stops
is to be started again (systemd's Restart=, deploy/watchers.sh in the local stack). It
stops on SIGTERM or SIGINT, closing its connections.
"""
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from webmail.push import Watcher


class Command(BaseCommand):
    help = "Run a change watcher (new mail and other clients' changes, pushed to Heron)."

    def add_arguments(self, parser):
        parser.add_argument("--shard", type=int, default=0,
                            help="Which of the --shards watchers this is (from 0).")
        parser.add_argument("--shards", type=int, default=settings.HERON_WATCH_SHARDS,
                            help="How many watchers share the users (HERON_WATCH_SHARDS).")
        parser.add_argument("--seconds", type=float, default=None,
                            help="Stop after this many seconds (tests); default: run on.")

    def handle(self, *args, shard=0, shards=1, seconds=None, **options):
        if shards < 1 or not 0 <= shard < shards:
            raise CommandError("--shard must be at least 0 and below --shards")
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        self.stdout.write(f"watcher {shard + 1} of {shards} started")
        Watcher(shard, shards).run(stopping, seconds=seconds)
        self.stdout.write("watcher stopped")
