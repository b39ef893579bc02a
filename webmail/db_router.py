"""Writes to the primary; reads to a replica unless this request or user is pinned.

A request is pinned to the primary when it has written (db_for_write was asked) or when
PrimaryPinningMiddleware saw the user's recent-write cookie. A replica that failed to
connect is skipped for REPLICA_RETRY_SECONDS.
"""
import random
import time
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections

pinned = ContextVar("heron_pinned_to_primary", default=False)
wrote = ContextVar("heron_wrote", default=False)
# The task queue and the messages it holds (or snoozes) are read where they are written: a
# worker must never take a job from a replica's stale copy, nor lock a row there.
PRIMARY_ONLY = frozenset({"django_tasks_database.dbtaskresult", "webmail.heldmessage",
                          "webmail.queuebeat", "webmail.snooze"})
_down_until = {}  # replica alias -> monotonic time until which it is skipped


def mark_down(alias, now=None):
    now = time.monotonic() if now is None else now
    _down_until[alias] = now + settings.REPLICA_RETRY_SECONDS


def healthy_replicas(now=None):
    now = time.monotonic() if now is None else now
    return [alias for alias in settings.DATABASE_REPLICAS if _down_until.get(alias, 0) <= now]


def _reachable(alias):
    """Open (or reuse) the replica connection; a failure marks it down."""
    connection = connections[alias]
    try:
        # A connection kept from an earlier request may have died with the replica:
        # ensure_connection() alone would reuse it and the query would fail.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError:
        mark_down(alias)
        return False
    return True


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        # The database cache's stand-in model (make run's shared cache) has no label.
        if pinned.get() or wrote.get() or (
                model is not None
                and getattr(model._meta, "label_lower", None) in PRIMARY_ONLY):
            return "default"
        candidates = healthy_replicas()
        random.shuffle(candidates)
        for alias in candidates:
            if _reachable(alias):
                return alias
        return "default"

    def db_for_write(self, model, **hints):
        wrote.set(True)
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
