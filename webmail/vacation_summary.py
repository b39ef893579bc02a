"""What the mail pages' vacation banner needs of the user's vacation reply: a VacationSummary
row, kept whenever Heron loads or saves the active Sieve script (webmail/filters.py), and
kept again in the shared cache, since every mail page reads it: rewritten by
remember_vacation, its only writer."""
from datetime import date

from django.core.cache import cache
from django.utils import timezone

from accounts import readahead

from .cachejson import keep_as_written, read
from .models import VacationSummary

VACATION_SECONDS = 3600
VACATION_SHAPE = 1  # the version of the kept summary's shape, named in its key
_VACATION = {"on": bool, "first_day": (None, str), "last_day": (None, str)}


def _vacation_key(user):
    return _vacation_id_key(user.pk)


@readahead.register
def _vacation_id_key(user_id):
    return f"vacation-summary:v{VACATION_SHAPE}:{user_id}"


def _vacation_json(on, first_day, last_day):
    return {"on": on, "first_day": first_day and first_day.isoformat(),
            "last_day": last_day and last_day.isoformat()}


def remember_vacation(user, vacation):
    """Keep what the mail pages' banner needs of the active script's vacation reply."""
    on = vacation is not None and vacation.enabled
    first_day, last_day = (vacation.first_day, vacation.last_day) if on else (None, None)
    VacationSummary.objects.update_or_create(user=user, defaults={
        "enabled": on, "first_day": first_day, "last_day": last_day})
    keep_as_written(cache, _vacation_key(user), _vacation_json(on, first_day, last_day),
                    VACATION_SECONDS)


def vacation_banner(user):
    """The VacationSummary of a user whose vacation reply answers today, else None. One
    query at most (the summary is kept in the shared cache); no ManageSieve."""
    key = _vacation_key(user)
    kept = read(readahead.take(user, key), _VACATION)
    if kept is None:
        found = VacationSummary.objects.filter(user=user, enabled=True).first()
        kept = (_vacation_json(True, found.first_day, found.last_day) if found
                else _vacation_json(False, None, None))
        cache.set(key, kept, VACATION_SECONDS)
    if not kept["on"]:
        return None
    summary = VacationSummary(user_id=user.pk, enabled=True, first_day=kept["first_day"] and (
        date.fromisoformat(kept["first_day"])), last_day=kept["last_day"] and (
        date.fromisoformat(kept["last_day"])))
    today = timezone.localdate()
    if (summary.first_day and summary.first_day > today) or (
            summary.last_day and summary.last_day < today):
        return None
    return summary
