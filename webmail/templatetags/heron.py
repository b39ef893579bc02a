from django import template
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats, timezone, translation

from webmail import dates
from webmail.forms import SORT_CHOICES
from webmail.language import CATALOG_VERSION
from webmail.schedule import read_notice_tags

register = template.Library()


@register.simple_tag
def catalog_url():
    """The JavaScript catalog of the page's language, its URL naming this release's."""
    return reverse("javascript-catalog", args=[translation.get_language(), CATALOG_VERSION])


# Every date format a page uses, in one place: letters of Django's date filter, whose day
# and month names follow the active language, or the names of its localized formats.
DATE_FORMATS = {
    "time": "H:i", "weekday": "D", "day": "j M", "day-year": "j M Y",
    "long": "l j F Y, H:i", "header": "D, j M Y H:i T", "message": "D, j M Y H:i",
    "date": "j M Y",
}


@register.filter(expects_localtime=True)
def when(value, style="long"):
    """A date shown in one of DATE_FORMATS' styles, in the page's language and zone."""
    if value is None:
        return ""
    return formats.date_format(value, DATE_FORMATS[style])


@register.filter
def short_date(value, now=None):
    """A list row's date in Heron's own format and the page's language (now: the current time)."""
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
def page_query(query, number):
    """The current list's query string (query: request.GET.urlencode()) with another page
    number."""
    params = QueryDict(query, mutable=True)
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


@register.simple_tag
def hidden_folders(folders, current=None):
    """Names of the folders the tree hides until the user asks for all: neither subscribed
    (nor holding a subscribed folder), nor special, nor the one open or a folder holding it."""
    parents = {folder.name: folder.parent for folder in folders}
    shown = set()
    name = current.name if current else ""
    while name and name not in shown:
        shown.add(name)
        name = parents.get(name, "")
    return {folder.name for folder in folders
            if not folder.subscribed and not folder.role and folder.name not in shown}
