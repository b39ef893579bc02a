"""The message list's rows, each drawn once per process and shown again while nothing it
shows has changed.

A row (templates/webmail/_message_row.html) is drawn from a few values only, handed to it
in a plain Context (no request, no context processors): the message summary, where it sits
in the list, the list's folder, sort and view, whether the folder's rights let the user
flag, the user's date and time formats, and the page's language, time zone, day and URL
prefix. That whole tuple is the memo's key, so a row kept for a key is exactly the row that
any request with the same key would draw: it cannot go stale (a changed flag, subject or
position is another key) and cannot show one user anything another user's inputs did not
already equal. Drawing fifty rows with the
template engine was most of the CPU of a list page; a kept row costs a dictionary lookup.
"""
from functools import lru_cache

from django import template
from django.template import Context
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from .kept import place

register = template.Library()
ROW_TEMPLATE = "webmail/_message_row.html"
# Rows kept per process (least recently shown dropped first): some pages of each of some
# hundred active users, about 2 kB each.
KEPT_ROWS = 8192


@register.simple_tag(takes_context=True)
def message_rows(context):
    """The <tr> of each message of the page, in order (the page's context: page, query,
    current, snoozed, prefs)."""
    page, query = context["page"], context["query"]
    current, prefs = context.get("current"), context.get("prefs") or {}
    snoozed = context.get("snoozed") or {}
    shared = (*place(), page.mailbox,
              getattr(current, "role", ""), bool(query.get("threads")), query.get("sort"),
              query.get("order"), prefs.get("date_format"), prefs.get("time_format"),
              getattr(current, "may_flag", True))
    rows = []
    for index, message in enumerate(page.messages):
        at = None if page.offset is None else page.offset + index
        key = (shared, message, at, snoozed.get(message.uid))
        try:
            rows.append(_kept_row(key))
        except TypeError:  # a value that cannot be a key: drawn, not kept
            rows.append(_draw_row(key))
    return mark_safe("".join(rows))


@lru_cache(maxsize=KEPT_ROWS)
def _kept_row(key):
    return _draw_row(key)


def _draw_row(key):
    shared, message, at, snoozed_on = key
    page_mailbox, role, threads, sort, order, date_format, time_format, may_flag = shared[4:]
    return get_template(ROW_TEMPLATE).template.render(Context({
        "m": message, "page_mailbox": page_mailbox, "role": role, "threads": threads,
        "sort": sort, "order": order, "at": at, "snoozed_on": snoozed_on,
        "prefs": {"date_format": date_format, "time_format": time_format},
        "may_flag": may_flag}))
