"""/healthz (the process lives) and /readyz (every dependency answers)."""
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from redis.exceptions import RedisError

from attachments.storage import StorageUnavailable
from attachments.storage import check as check_storage_backend


def check_database():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache():
    cache.set("readyz-probe", "ok", 10)
    if cache.get("readyz-probe") != "ok":
        raise RedisError("cache did not keep a value")


def check_storage():
    check_storage_backend()


CHECKS = {"database": check_database, "cache": check_cache, "storage": check_storage}
FAILURES = (DatabaseError, RedisError, StorageUnavailable, OSError)


@require_GET
@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except FAILURES as exc:
            results[name] = f"failing: {type(exc).__name__}"
        else:
            results[name] = "ok"
    ready = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if ready else "failing", "checks": results},
                        status=200 if ready else 503)
