"""What the templates need of snoozing (webmail/snooze.py): the Snooze menu's times in the
user's zone, the "Snoozed on" note of a list row, and the folder list's Snoozed entry."""
from functools import lru_cache
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone, translation

from webmail import pending, schedule, snooze

register = template.Library()


@register.simple_tag(takes_context=True)
def snooze_choices(context):
    """The Snooze menu's presets, the picker's bounds and the zone they are in, for the
    page's user (worked out once a request); None when snoozing is off. Inside a kept part
    (webmail/templatetags/kept.py), the ones the page worked out, handed in by name."""
    if "kept_snooze_choices" in context:
        return context["kept_snooze_choices"]
    request = context.get("request")
    if request is None or not request.user.is_authenticated or not snooze.available():
        return None
    choices = getattr(request, "_heron_snooze_choices", None)
    if choices is None:
        minute = timezone.now().replace(second=0, microsecond=0)
        choices = request._heron_snooze_choices = dict(_choices(
            minute, schedule.zone_for(request).key, translation.get_language()))
    return choices


@lru_cache(maxsize=256)
def _choices(minute, zone_name, language):
    # The same for every request of a minute, zone and language (the presets' names).
    zone = ZoneInfo(zone_name)
    return {"presets": tuple(snooze.presets(minute, zone)),
            "bounds": schedule.picker_bounds(minute, zone), "zone": zone_name}


@register.filter
def snoozed_on(notes, uid):
    """When the message with this UID was snoozed, if it came back from a snooze."""
    return (notes or {}).get(uid)


@register.simple_tag(takes_context=True)
def snoozed_link(context):
    """The folder list's Snoozed entry: {"count": snoozes waiting, "shown": whether to
    offer it (something is waiting, or snoozing is on)}. Inside a kept part, the one the
    page worked out, handed in by name."""
    if "kept_snoozed_nav" in context:
        return context["kept_snoozed_nav"]
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"count": 0, "shown": False}
    count = pending.figures(request.user)["snoozed"]
    return {"count": count, "shown": bool(count) or snooze.available()}
