"""Dates and times as the user asked to see them (Settings → General: time format and date
format), in the active time zone."""
from django.utils import timezone

_TIMES = {"24": "%H:%M", "12": "%I:%M %p", "locale": "%H:%M"}
# (this year, another year) for each date format; "locale" keeps Heron's own words.
_DATES = {"locale": ("%d %b", "%d %b %Y"), "dmy": ("%d/%m", "%d/%m/%Y"),
          "mdy": ("%m/%d", "%m/%d/%Y"), "iso": ("%Y-%m-%d", "%Y-%m-%d")}


def _time(local, prefs):
    text = local.strftime(_TIMES.get(prefs.get("time_format"), "%H:%M"))
    return text.lstrip("0") if prefs.get("time_format") == "12" else text


def _date(local, prefs, with_year):
    kind = prefs.get("date_format", "locale")
    text = local.strftime(_DATES.get(kind, _DATES["locale"])[1 if with_year else 0])
    return text.lstrip("0") if kind == "locale" else text


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
        return _time(local, prefs)
    if 0 < days < 7:
        return local.strftime("%a")
    return _date(local, prefs, with_year=local.year != today.year)


def full(value, prefs=None):
    """A message's date in full: weekday, date with year, time and zone."""
    if value is None:
        return ""
    prefs = prefs or {}
    local = timezone.localtime(value)
    return (f"{local.strftime('%a')}, {_date(local, prefs, with_year=True)} "
            f"{_time(local, prefs)} {local.strftime('%Z')}").strip()
