from django import template
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from webmail import dates
from webmail.forms import SORT_CHOICES
from webmail.schedule import read_notice_tags

register = template.Library()


@register.filter
def short_date(value, now=None):
    """A list row's date in Heron's own format (now: the current time)."""
    return dates.short(value, None, now)


@register.filter
def row_date(value, prefs):
    """A list row's date in the user's date and time formats (prefs: the page's)."""
    return dates.short(value, prefs)


@register.filter
def full_date(value, prefs):
    """A message's date in full, in the user's date and time formats."""
    return dates.full(value, prefs)


@register.filter
def held_notice(notice):
    """The held message a notice names (webmail/schedule.py notice_tags), or None: its
    kind, id, and the seconds left to its time."""
    return read_notice_tags(getattr(notice, "extra_tags", ""), timezone.now())


@register.filter
def names(addresses):
    """Addresses as "Ann, Bo": each one's name, or its address where it has none."""
    return ", ".join(str(a) for a in addresses or () if str(a))


@register.simple_tag
def page_query(request, number):
    """The current list's query string with another page number."""
    params = request.GET.copy()
    params["page"] = number
    return params.urlencode()


@register.simple_tag
def sort_choices():
    return SORT_CHOICES


@register.filter
def filesizeformat_kb(value):
    return filesizeformat((value or 0) * 1024)


@register.filter
def people(addresses):
    """Addresses as "Name <email>, …" for the header block (escaped by the template)."""
    return ", ".join(f"{a.name} <{a.email}>" if a.name and a.email else (a.name or a.email)
                     for a in addresses or ())
