from django import template
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from webmail.forms import SORT_CHOICES

register = template.Library()


@register.filter
def short_date(value):
    """Time for today's mail, day and month this year, the full date before."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    now = timezone.localtime()
    if local.date() == now.date():
        return local.strftime("%H:%M")
    if local.year == now.year:
        return local.strftime("%d %b").lstrip("0")
    return local.strftime("%d %b %Y").lstrip("0")


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
