"""/healthz (the process lives) and /readyz (every dependency answers).

/readyz is reachable through the public site, so anyone may ask it, as often as they like:
- only the addresses and token allowed /metrics (metrics.allowed) see which dependency
  fails, probed afresh on every request; everyone else gets the status code and
  {"status": "ok"} or {"status": "failing"}, which is all a health checker needs;
- no probe writes anything, and for those others the result of a probe made in the last
  PROBE_SECONDS in this process stands in for a new one: a flood costs each dependency one
  probe per process in that time, and a dependency that dies or comes back shows within it.
"""
import time

from django.core.cache import cache
from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from redis.exceptions import RedisError

from attachments.storage import StorageUnavailable
from attachments.storage import check as check_storage_backend

from . import metrics, outbox

PROBE_SECONDS = 5

def check_database():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache():
    # A read is a round trip to Redis, which raises RedisError when it does not answer.
    cache.get("readyz-probe")


def check_storage():
    check_storage_backend()


CHECKS = {"database": check_database, "cache": check_cache, "storage": check_storage}
FAILURES = (DatabaseError, RedisError, StorageUnavailable, OSError)
clock = time.monotonic
_probed = {}  # check name -> (clock() at the probe, its result), in this process


def run_check(name, *, fresh=True):
    """"ok", or "failing: <error type>"; unless fresh, the result of a probe made in the
    last PROBE_SECONDS stands in for a new one."""
    probed = _probed.get(name)
    if not fresh and probed is not None and clock() - probed[0] < PROBE_SECONDS:
        return probed[1]
    try:
        CHECKS[name]()
    except FAILURES as exc:
        result = f"failing: {type(exc).__name__}"
    else:
        result = "ok"
    _probed[name] = (clock(), result)
    return result


@require_GET
@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request):
    operator = metrics.allowed(request)
    results = {name: run_check(name, fresh=operator) for name in CHECKS}
    ready = all(value == "ok" for value in results.values())
    answer = {"status": "ok" if ready else "failing"}
    if operator:
        answer["checks"] = results
        # The queue never takes a frontend out of the balancer (a frontend serves pages
        # without it), but an operator sees whether it keeps up.
        try:
            answer["queue"] = outbox.queue_figures()
        except DatabaseError:
            answer["queue"] = "failing: DatabaseError"
    return JsonResponse(answer, status=200 if ready else 503)
