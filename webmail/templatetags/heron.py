from django import template
from django.utils import timezone

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
