"""What a user has waiting in the task queue, as every mail page shows it: the count beside
Scheduled and beside Snoozed, failures not told yet, and whether any message came back from
a snooze (its "Snoozed on" note, its place on top).

Read once a request, in two queries (one a table); and for a user with nothing of the
kind, which is most users most of the time, not at all: their "quiet" flag in the shared
cache spares the queries, so a warm page costs no more than it did before the queue.

The flag is set only when both queries found nothing, and removed whenever a row that
could show is made (a message held, a message snoozed): every other row that shows
(a failure, a woken message) grows out of one that was counted already, so it cannot
appear while the flag stands.
"""
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Count, Q
from redis.exceptions import RedisError

from accounts import readahead

from .models import HeldMessage, Snooze

KEY = "pending:v1:{}"
readahead.register(KEY.format)
QUIET_SECONDS = 300
NOTHING = {"scheduled": 0, "untold": 0, "snoozed": 0, "woken": 0}
Held, Snoozed = HeldMessage.State, Snooze.State
# What the Scheduled view lists (outbox.scheduled_for): all but the sent and taken back.
LISTED = [state for state in Held.values if state not in (Held.SENT, Held.CANCELLED)]
WAITING = (Snoozed.WAITING, Snoozed.WAKING)
BACK = (Snoozed.WOKEN, Snoozed.DONE)


def figures(user):
    """{"scheduled", "untold", "snoozed", "woken"}: counts for the user's pages. A database
    outage gives zeros, so that the error page itself still draws."""
    found = getattr(user, "_heron_pending", None)
    if found is None:
        found = user._heron_pending = _read(user)
    return found


def _read(user):
    key = KEY.format(user.pk)
    try:
        if readahead.take(user, key):
            return dict(NOTHING)
    except RedisError:
        pass  # read them: the page draws without the shared cache
    try:
        held = HeldMessage.objects.filter(owner=user).filter(
            Q(state__in=LISTED) | Q(untold=True)).aggregate(
            scheduled=Count("pk", filter=Q(state__in=LISTED)),
            untold=Count("pk", filter=Q(untold=True)))
        snoozes = Snooze.objects.filter(owner=user, state__in=(*WAITING, *BACK)).aggregate(
            snoozed=Count("pk", filter=Q(state__in=WAITING)),
            woken=Count("pk", filter=Q(state__in=BACK)))
    except DatabaseError:
        return dict(NOTHING)
    found = {**held, **snoozes}
    if not any(found.values()):
        try:
            cache.set(key, True, QUIET_SECONDS)
        except RedisError:
            pass
    return found


def stirred(user):
    """A row that shows was made for the user: the next page reads the figures again."""
    cache.delete(KEY.format(user.pk))  # a RedisError here fails the caller: it must
    if hasattr(user, "_heron_pending"):
        del user._heron_pending
