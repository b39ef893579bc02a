"""Dates and times as the user asked to see them (Settings → General: time format and date
format), in the active time zone and with the day and month names of the page's language."""
from django.utils import formats, timezone

# Django date-format strings (not strftime): formats.date_format() names the days and
# months in the active language.
_TIMES = {"24": "H:i", "12": "g:i A", "locale": "H:i"}
# (this year, another year) for each date format; "locale" keeps Heron's own words.
_DATES = {"locale": ("j M", "j M Y"), "dmy": ("d/m", "d/m/Y"),
          "mdy": ("m/d", "m/d/Y"), "iso": ("Y-m-d", "Y-m-d")}


def _time_format(prefs):
    return _TIMES.get(prefs.get("time_format"), _TIMES["locale"])


def _date_format(prefs, with_year):
    return _DATES.get(prefs.get("date_format"), _DATES["locale"])[1 if with_year else 0]


def short(value, prefs=None, now=None):
    """A list row's date: the time for today's mail, the weekday within the week before,
    day and month earlier this year, the full date before (now: the current time)."""
    if value is None:
        return ""
    prefs = prefs or {}
    local = timezone.localtime(value)
    today = timezone.localtime(now).date()
    days = (today - local.date()).days
    if days == 0:
        shape = _time_format(prefs)
    elif 0 < days < 7:
        shape = "D"
    else:
        shape = _date_format(prefs, with_year=local.year != today.year)
    return formats.date_format(local, shape)


def full(value, prefs=None):
    """A message's date in full: weekday, date with year, time and zone."""
    if value is None:
        return ""
    prefs = prefs or {}
    local = timezone.localtime(value)
    shape = f"D, {_date_format(prefs, with_year=True)} {_time_format(prefs)} T"
    return formats.date_format(local, shape).strip()
