"""Run a task-queue worker: sends held messages at their time, wakes snoozed ones.

django-tasks' database worker (`db_worker`) on Heron's queue, after making sure the
periodic tick runs (webmail/tasks.py). Run as many as you like, on any machine that
reaches the primary database: each job is taken by one of them.
"""
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from webmail import tasks


class Command(BaseCommand):
    help = "Run a worker of Heron's task queue (send later, undo send, snooze)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds between looks at the queue when it is idle.")
        parser.add_argument("--batch", action="store_true",
                            help="Run the jobs that are due, then exit.")

    def handle(self, *args, interval=1.0, batch=False, **options):
        tasks.ensure_tick()
        call_command("db_worker", queue_name=settings.HERON_QUEUE, interval=interval,
                     batch=batch, reload=False, startup_delay=False,
                     worker_id=tasks.worker_name(), verbosity=options.get("verbosity", 1))
