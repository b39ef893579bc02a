"""Whole pages drawn once per process for the values they show, then shown again.

A kept part (webmail/templatetags/kept.py) spares the drawing of one part; on the message
page and the reading pane the glue between the parts, the keys of the parts and the
template machinery still cost about as much as the view's own work. A kept page is the
same idea for the whole response: its key is every value the page shows, taken where the
page takes it (the view's context, the context processors, the values the page's tags work
out for the request, the language, zone, day and URL prefix), so that a page kept for a
key is exactly the page any request with that key would draw.

What a page shows that is not in its key is drawn with stand-ins and swapped on the way
out, kept or not: the request's CSRF token, the page's style nonce, and the notices (told
once, so drawn for each request and put in their place). The stand-ins are drawn anew by
each process, so that no mail can spell one.
"""
import secrets

from django.contrib.messages import get_messages
from django.db import DatabaseError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from redis.exceptions import RedisError

from accounts.context_processors import name_prompt
from accounts.csrf import get_token
from accounts.preferences import shown

from . import pending
from .context_processors import HeldFigures
from .memo import Memo
from .templatetags.kept import frozen, place
from .templatetags.snoozing import snooze_choices, snoozed_link
from .vacation_summary import vacation_banner

# Pages kept per process, for an hour at most (the user's mail held in memory, as the
# page memo's is): a message page is about 20 kB, a reading pane about 10.
PAGES_KEPT = 256
PAGE_SECONDS = 3600
CSRF_STAND_IN = "keptpagecsrf" + secrets.token_hex(16)
NONCE_STAND_IN = "keptpagenonce" + secrets.token_hex(16)
NOTICES_STAND_IN = "keptpagenotices" + secrets.token_hex(16)
_pages = Memo(PAGES_KEPT, PAGE_SECONDS)


def request_values(request):
    """What a page shows of the request and its user besides the view's context: who,
    where, in which language, zone and day, and what the context processors and the
    page's tags work out (the Snooze menu's times, the Snoozed and Scheduled entries, the
    display-name prompt, the screen preferences)."""
    user = request.user
    probe = {"request": request}
    return (
        ("user", user.pk, user.get_username()),
        ("path", request.get_full_path()),
        ("place", *place()),
        ("prefs", frozen(shown(user))),
        ("ask_name", name_prompt(request).get("ask_name")),
        ("held", HeldFigures(user).heron_kept_key()),
        ("snoozed_nav", frozen(snoozed_link(probe))),
        ("snooze", frozen(snooze_choices(probe))),
    )


def page(request, template, context, *, shows=(), nonce=None, notices=False, keep=True):
    """The response of template drawn from context, kept for its values.

    shows: (name, value) pairs of what the page's own tags work out for it beyond
    request_values (the sender's card in the address book, say). nonce: the page's style
    nonce, where it has one; the page (its <meta>, srcdoc documents) draws NONCE_STAND_IN
    in its place. notices: the page draws NOTICES_STAND_IN where the request's notices go
    (webmail/_notices.html). keep: False for a page that shows a moment no other request
    will see again (the message it marked read)."""
    token = get_token(request)
    told = _notices(request) if notices else ""
    context = {**context, "page_style_nonce": NONCE_STAND_IN if nonce is not None else None}
    try:
        key = (template, request_values(request), tuple(shows),
               tuple(sorted((name, frozen(value)) for name, value in context.items())))
    except (RedisError, DatabaseError):
        # A value that cannot be read with Redis or the database down: drawn, not kept
        # (the context processors then leave it out).
        key = None
    drawn = _pages.get_or_make(key, lambda: render_to_string(template, {
        **context, "csrf_token": CSRF_STAND_IN,
        "notices_html": mark_safe(NOTICES_STAND_IN)}, request), keep=keep)
    shown_page = drawn.replace(CSRF_STAND_IN, token)
    if nonce is not None:
        shown_page = shown_page.replace(NONCE_STAND_IN, nonce)
    return HttpResponse(shown_page.replace(NOTICES_STAND_IN, told))


def _notices(request):
    """The request's notices (webmail/_notices.html) drawn, or nothing when it has none
    to tell, which is most pages: no messages, no failed send, no vacation reply on."""
    user = request.user
    # The count of untold failed sends, not the failures: reading those tells them.
    if (not len(get_messages(request)) and not pending.figures(user)["untold"]
            and vacation_banner(user) is None):
        return ""
    return render_to_string("webmail/_notices.html", request=request)


def kept_count():
    return len(_pages)


def forget_everything():
    """Every kept page forgotten (tests)."""
    _pages.clear()
