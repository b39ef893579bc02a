"""Send later and Undo send as the user sees them: times in the user's time zone, the
presets the compose window offers, a picked time read and checked, and the notice that
names a held message (webmail/outbox.py holds it).

The zone is the browser's (theme.js reports Intl's zone in a cookie on every page, and the
Send later form posts it too; the last one posted is kept in Preferences.time_zone), else
the server's TIME_ZONE. A time may be chosen from now to a year ahead.
"""
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import dateformat
from django.utils.translation import gettext

from accounts.models import Preferences
from accounts.preferences import effective, preferences_for, store

from .zones import ZONE_COOKIE, zone_named

FURTHEST = timedelta(days=365)
MORNING, EVENING = time(8), time(18)
# "Later today" is offered while it is at least an hour away.
LATER_TODAY_BEFORE = time(17)
# The notice of a held message carries "held:<kind>:<id>:<its time, in Unix seconds>" in
# its extra tags: the Undo button posts the id, the countdown counts down to the time.
NOTICE_TAG = "held"


class TimeRefused(ValueError):
    """A chosen time that cannot be used; `message` says why, for the page."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def zone_for(request):
    """The user's zone: the one fixed in Settings, else the browser's, else the one last
    remembered, else TIME_ZONE."""
    return (zone_named(effective(request.user, "zone"))
            or zone_named(unquote(request.COOKIES.get(ZONE_COOKIE, "")))
            or zone_named(preferences_for(request.user).time_zone)
            or ZoneInfo(settings.TIME_ZONE))


def remember_zone(user, name):
    """Keep the zone the browser posted, when it is one."""
    preferences = preferences_for(user)
    if zone_named(name) is not None and preferences.time_zone != name:
        Preferences.objects.filter(pk=preferences.pk).update(time_zone=name)
        preferences.time_zone = name
        store(user, preferences)


def shown(moment, zone, now=None):
    """A time as the user reads it: "Tue 3 Dec, 08:00" (with the year when not this one)."""
    local = moment.astimezone(zone)
    this_year = local.year == (now or datetime.now(zone)).astimezone(zone).year
    # Day and month names in the page's language (Django's date format letters).
    return dateformat.format(local, "D j M, H:i" if this_year else "D j M Y, H:i")


@dataclass(frozen=True)
class Preset:
    """One time the Send later menu offers."""
    label: str
    at: datetime
    shown: str

    @property
    def value(self):
        """What its button posts: the moment with its offset, the same in any zone."""
        return self.at.isoformat()


def presets(now, zone):
    """Later today (18:00, until 17:00), tomorrow morning and Monday morning (08:00), in
    the user's zone; Monday is left out when it is tomorrow."""
    local = now.astimezone(zone)
    today, tomorrow = local.date(), local.date() + timedelta(days=1)
    monday = today + timedelta(days=7 - today.weekday())

    def at(label, day, clock):
        moment = datetime.combine(day, clock, tzinfo=zone)
        return Preset(label, moment, shown(moment, zone, now))

    found = ([at(gettext("Later today"), today, EVENING)]
             if local.time() < LATER_TODAY_BEFORE else [])
    found.append(at(gettext("Tomorrow morning"), tomorrow, MORNING))
    if monday != tomorrow:
        found.append(at(gettext("Monday morning"), monday, MORNING))
    return found


def picker_bounds(now, zone):
    """(min, max) for a datetime-local input: from this minute to a year ahead."""
    low = now.astimezone(zone).replace(second=0, microsecond=0)
    return (f"{low:%Y-%m-%dT%H:%M}", f"{(low + FURTHEST):%Y-%m-%dT%H:%M}")


def chosen(preset, local, zone, now):
    """The moment the user chose: a preset's value (ISO 8601 with its offset) or a
    datetime-local value read in `zone`. Raises TimeRefused for no time, one that is
    not a time, one that has passed or one more than a year ahead."""
    text = (preset or local or "").strip()
    if not text:
        raise TimeRefused(gettext("Choose when to send it: a suggested time, or a date and time."))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TimeRefused(gettext("“%(text)s” is not a date and time. Choose one with the "
                                  "date and time picker.") % {"text": text[:40]}) from None
    if preset and moment.tzinfo is None:
        raise TimeRefused(gettext("That suggested time is not a full time. Choose it again."))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    check(moment, zone, now)
    return moment


def check(moment, zone, now):
    """Raise TimeRefused unless moment is between now and a year ahead."""
    if moment <= now:
        raise TimeRefused(gettext("%(time)s has passed. Choose a later time; nothing was sent.")
                          % {"time": shown(moment, zone, now)})
    if moment > now + FURTHEST:
        raise TimeRefused(gettext("%(time)s is more than a year ahead. Choose a time within a "
                                  "year; nothing was sent.") % {"time": shown(moment, zone, now)})


def notice_tags(held):
    """The extra tags of the notice that names a held message (see NOTICE_TAG)."""
    return f"{NOTICE_TAG}:{held.kind}:{held.id}:{int(held.send_at.timestamp())}"


@dataclass(frozen=True)
class HeldNotice:
    kind: str
    id: uuid.UUID
    seconds: int  # left until its time


def read_notice_tags(tags, now):
    """The HeldNotice that notice_tags() wrote into a notice's extra tags, or None."""
    for tag in str(tags or "").split():
        name, _, rest = tag.partition(":")
        kind, _, rest = rest.partition(":")
        held_id, _, until = rest.partition(":")
        if name != NOTICE_TAG or not until.isdigit():
            continue
        try:
            return HeldNotice(kind, uuid.UUID(held_id),
                              max(0, math.ceil(int(until) - now.timestamp())))
        except ValueError:
            continue
    return None
