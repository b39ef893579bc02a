"""The task queue's periodic tick (django-tasks, database backend; run by
`manage.py heron_worker`).

Each job lives beside the service it runs (webmail/delivery.py's deliver_job, which sends
one held message at its time) and imports this module, never the other way round. A job may
run twice, or for something taken back since: its row decides, so that is harmless.

- tick(due): every HERON_QUEUE_TICK_SECONDS, run each function in RECOVERIES (a service
  registers one to pick up what a killed worker left: a send whose lease ran out, a job
  that died with its worker) and prune finished jobs. The
  database backend has no periodic jobs of its own, so each tick queues the next one; the
  QueueBeat row names the one pending tick, so two workers starting together, or a tick
  queued twice, never make two chains. A worker starting, and every held message, mend a
  chain that broke (a worker killed inside a tick's own transaction).
"""
import logging
import os
import socket
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult, get_date_max

from .models import QueueBeat

log = logging.getLogger(__name__)
TICK = "tick"
# Finished jobs are kept this long for the admin to look at, then removed by a tick.
KEEP_FINISHED = timedelta(days=2)
# f(now) -> {what: how many}, run by every tick; services append theirs at import.
RECOVERIES = []


def worker_name():
    """This process, as the held messages it takes name it."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


@task(queue_name=settings.HERON_QUEUE)
def tick(due):
    now = timezone.now()
    with transaction.atomic():
        beat = QueueBeat.objects.select_for_update().filter(name=TICK).first()
        if beat is None or beat.due.isoformat() != due:
            return "stale"
        beat.due, beat.ran = _next(now), now
        beat.save()
        tick.using(run_after=beat.due).enqueue(beat.due.isoformat())
    done = {}
    for recovery in RECOVERIES:
        done.update(recovery(now))
    DBTaskResult.objects.finished().filter(finished_at__lt=now - KEEP_FINISHED).delete()
    if any(done.values()):
        log.info("tick: %s", ", ".join(f"{k} {v}" for k, v in done.items() if v))
    return done


def queue_figures(now=None):
    """The queue as a whole (every kind of job), for /readyz and /metrics: jobs waiting
    (due or not), jobs due now, how long the oldest due one has waited (a queue no worker
    takes from grows it), jobs running, and jobs that failed in the last day."""
    now = now or timezone.now()
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    asap = get_date_max()
    due = ready.filter(Q(run_after__lte=now) | Q(run_after=asap))
    since = due.aggregate(timed=Min("run_after", filter=~Q(run_after=asap)),
                          asap=Min("enqueued_at", filter=Q(run_after=asap)))
    oldest = min((moment for moment in since.values() if moment is not None), default=None)
    return {"jobs_waiting": ready.count(), "jobs_due": due.count(),
            "oldest_due_seconds": max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
            "jobs_running": DBTaskResult.objects.filter(
                status=TaskResultStatus.RUNNING).count(),
            "jobs_failed_last_day": DBTaskResult.objects.filter(
                status=TaskResultStatus.FAILED, finished_at__gte=now - timedelta(days=1)).count()}


def _next(now):
    return now + timedelta(seconds=settings.HERON_QUEUE_TICK_SECONDS)


def ensure_tick(now=None):
    """Queue a tick unless a chain of them is alive (its next tick not long overdue);
    True when it queued one."""
    now = now or timezone.now()
    stalled = now - timedelta(seconds=3 * settings.HERON_QUEUE_TICK_SECONDS)
    with transaction.atomic():
        beat = QueueBeat.objects.select_for_update().filter(name=TICK).first()
        if beat is not None and beat.due > stalled:
            return False
        QueueBeat.objects.update_or_create(name=TICK, defaults={"due": now})
        tick.using(run_after=now).enqueue(now.isoformat())
    return True
