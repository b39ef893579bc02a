import dataclasses

from django.contrib import messages as notices
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import contacts, preferences, trust
from accounts.models import TrustedSender
from contacts.known import sender_card

from .. import events, kept_page, woken
from ..forms import MessageViewForm
from ..http import safe_next
from ..imap import navigation
from ..links import message_link
from ..mail import mail_for, shown_body
from ..memo import Memo
from ..middleware import STYLE_NONCE, style_nonce
from ..mime.display import with_style_nonce

# The frame's own look, under its body.
FRAME_STYLE = ("body{margin:0;padding:8px;font:15px/1.5 system-ui,sans-serif;color:#1d2430;"
               "background:#fff;overflow-wrap:anywhere}img{max-width:100%;height:auto}"
               "pre{white-space:pre-wrap}")
# A body up to this long rides in the message page or the reading pane (srcdoc); a longer
# one, or one allowed to load remote images, comes in a frame of its own.
INLINE_BODY_CHARS = 64 * 1024
# Stands for the page's style nonce in a kept srcdoc document, swapped on the way out
# with the rest of the page's (kept_page): letters and digits, so that escaping leaves it
# as it is, and drawn anew by each process, so that no mail can spell it.
NONCE_STAND_IN = kept_page.NONCE_STAND_IN
# srcdoc documents made once per body, for an hour at most: drawing one (the template and
# the stylesheets' nonces) costs about 3 ms for a 50 kB body, on every open otherwise.
FRAMES_KEPT = 128
_frames = Memo(FRAMES_KEPT, 3600)


def _allows_remote(request, query, sender):
    """Whether the body may load content from the web (Settings → Reading): never, when
    asked (Show images), from trusted senders or when asked, or always."""
    policy = preferences.effective(request.user, "remote_content")
    if policy in ("never", "always"):
        return policy == "always"
    if query["images"]:
        return True
    return policy == "trusted" and bool(sender.email) and trust.is_trusted(request.user,
                                                                         sender.email)


def _view_query(request):
    """The message query, showing HTML or text as the user prefers unless the link says."""
    query = MessageViewForm.query_of(request.GET)
    if not request.GET.get("view"):
        query["view"] = preferences.effective(request.user, "prefer")
    return query


def _cid_url(message):
    def url(content_id):
        part = message.cid_part(content_id)
        if part is None or not part.is_image:
            return None
        return message_link("part", (message.uid, part.section), message.mailbox, inline=1)
    return url


def _frame_policy(allow_remote):
    """What a message body's document may load and apply: its own styles and images from
    Heron (and the web, when allowed), nothing else. Sent with the frame's own response,
    and written in its document too, for the srcdoc frame, which has no response."""
    remote = " https: http:" if allow_remote else ""
    return (f"default-src 'none'; img-src 'self' data:{remote}; style-src 'unsafe-inline'; "
            "font-src 'none'; form-action 'none'; base-uri 'none'")


def _frame_document(body, allow_remote, nonce=None):
    """The body as a document of its own; with a nonce, for a srcdoc frame of a page whose
    policy gives its <style> elements that nonce (middleware.style_nonce)."""
    if nonce is not None:
        body = dataclasses.replace(body, html=SafeString(with_style_nonce(body.html, nonce)))
    return render_to_string("webmail/body.html", {
        "body": body, "frame_style": FRAME_STYLE, "frame_policy": _frame_policy(allow_remote),
        "nonce": nonce})


def _inline_frame(request, body, allow_remote, pane):
    """(the body's document for a srcdoc frame, with NONCE_STAND_IN where the page's
    style nonce goes; that nonce), when the page can hold its HTML body itself and spare
    the browser a second request; else (None, None): a frame of its own.

    A srcdoc document takes the policy of the page that holds it: the message page is
    this response, whose policy gets a style nonce; the reading pane is held by the mail
    page that asked for it, which says its own nonce (X-Heron-Style-Nonce). Not with
    remote images (a page's images stay Heron's), nor for a long body."""
    if allow_remote or not body.is_html or len(body.html) > INLINE_BODY_CHARS:
        return None, None
    if pane:
        nonce = request.headers.get("X-Heron-Style-Nonce", "")
        if not STYLE_NONCE.fullmatch(nonce):
            return None, None
    else:
        nonce = style_nonce(request)
    return _frames.get_or_make(body, lambda: _frame_document(body, False, NONCE_STAND_IN)), nonce


def _link_query(query, at, step):
    """The sort order, and the neighbour's place in it, for a prev/next link."""
    place = {"sort": query["sort"], "order": query["order"]}
    if at is not None and at + step >= 0:
        place["at"] = at + step
    return place


@never_cache
@vary_on_headers("HX-Request", "X-Heron-Style-Nonce")
@login_required
@require_GET
def message(request, uid):
    """One message: headers, body (text here, HTML in a sandboxed frame), attachments."""
    query = _view_query(request)
    mark_read = preferences.effective(request.user, "mark_read") == "now"
    events.present(request.user.username, query["mailbox"])
    with mail_for(request) as mail:
        folders = mail.list_mailboxes()
        # The folder's list, which the prev/next links need, also vouches that the
        # message is still there, so its cached flags need no FETCH.
        place = navigation.place_of(mail, query["mailbox"], uid, query["sort"],
                                    query["reverse"], query["at"])
        shown = mail.message(query["mailbox"], uid, prefer=query["view"], fetch_body=False,
                             listed=place.listed, mark_read=mark_read)
        allow = _allows_remote(request, query, shown.sender)
        body = shown_body(mail, shown, allow_remote=allow, cid_url=_cid_url(shown))
    folders = navigation.after_reading(folders, shown)
    contacts.heard_from(request.user, shown.sender)  # people one hears from, to suggest
    current = navigation.current_folder(folders, shown.mailbox)
    mailbox = shown.mailbox
    pane = bool(request.headers.get("HX-Request"))
    template = "webmail/_message_pane.html" if pane else "webmail/message.html"
    frame_doc, nonce = _inline_frame(request, body, allow, pane)
    # Kept whole for the values it shows (kept_page).
    return kept_page.page(request, template, {"pane": pane,
        "folders": folders, "message": shown, "body": body, "current": current,
        "query": query, "images_allowed": allow, "frame_doc": frame_doc,
        "frame_url": message_link("body", uid, mailbox, view=query["view"],
                                  **({"images": "1"} if allow else {})),
        "previous_url": place.previous and message_link(
            "message", place.previous, mailbox, **_link_query(query, place.at, -1)),
        "next_url": place.following and message_link(
            "message", place.following, mailbox, **_link_query(query, place.at, 1)),
        "print_mode": request.resolver_match.url_name == "print",
        "snoozed_on": woken.notes(request.user, mailbox).get(uid),
    }, shows=[("known", sender_card(request.user, shown.sender.email))], nonce=nonce,
        notices=not pane, keep=not shown.read_now)


@never_cache
@xframe_options_sameorigin
@login_required
@require_GET
def body(request, uid):
    """The sanitized HTML body as a document of its own, for the sandboxed frame."""
    query = _view_query(request)
    with mail_for(request) as mail:
        shown = mail.message(query["mailbox"], uid, prefer=query["view"], mark_read=False,
                             fetch_body=False)
        allow = _allows_remote(request, query, shown.sender)
        content = shown_body(mail, shown, allow_remote=allow, cid_url=_cid_url(shown))
    response = HttpResponse(_frame_document(content, allow))
    response["Content-Security-Policy"] = (
        f"{_frame_policy(allow)}; frame-ancestors 'self'; "
        "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox")
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@require_POST
def trust_sender(request):
    """Always show remote images from this sender."""
    email = request.POST.get("email", "").strip()[:254]
    if "@" in email:
        TrustedSender.objects.get_or_create(user=request.user, email=email.lower())
        notices.success(request, gettext("Images from %(email)s will always be shown.") % {
            "email": email})
    return redirect(safe_next(request))
