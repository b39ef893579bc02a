import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, JsonResponse
from django.urls import get_script_prefix
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import preferences

from .. import events
from ..forms import FolderPageForm, SearchForm
from ..http import api_login_required
from ..imap import navigation
from ..links import message_link
from ..listing import list_page
from ..mail import mail_for
from ..memo import Memo

# Encoded list answers kept per process for an hour at most (a page of 50 rows is 15 kB).
ANSWERS_KEPT = 256
_answers = Memo(ANSWERS_KEPT, 3600)


@never_cache
@api_login_required
@require_GET
def mailboxes(request):
    with mail_for(request) as mail:
        folders = mail.list_mailboxes()
    return JsonResponse({"mailboxes": [
        {"name": f.name, "display_name": f.display_name, "role": f.role or None,
         "unread": f.unread, "total": f.total, "parent": f.parent or None,
         "selectable": f.selectable}
        for f in folders]})


@never_cache
@api_login_required
@require_GET
def messages(request):
    """One page of a folder, its conversations (threads=1) or a search (q=, filters)."""
    query = FolderPageForm.query_of(request.GET)
    search = SearchForm(request.GET).query()
    events.present(request.user.username, query["mailbox"])
    with mail_for(request) as mail:
        folders = mail.list_mailboxes() if search.active and search.everywhere else []
        page = list_page(mail, folders, query, search, preferences.shown(request.user)["per_page"])
    # The answer is a function of the page and the order it was asked in: kept per
    # process for them, as the HTML list is (kept_page), and encoded once.
    body = _answers.get_or_make(
        (request.user.pk, page, query["sort"], query["reverse"], get_script_prefix()),
        lambda: json.dumps(_page_json(page, query), cls=DjangoJSONEncoder).encode())
    return HttpResponse(body, content_type="application/json")


def _page_json(page, query):
    return {
        "mailbox": page.mailbox or None,
        "messages": [{
            "uid": m.uid,
            "subject": m.subject,
            "from": {"name": m.sender.name, "email": m.sender.email},
            "date": m.date.isoformat() if m.date else None,
            "flags": list(m.flags),
            "size": m.size,
            "has_attachments": m.has_attachments,
            "mailbox": m.mailbox or page.mailbox,
            "thread_size": m.thread_size,
            "url": message_link("message", m.uid, m.mailbox or page.mailbox, **(
                {} if page.offset is None or query["sort"] != "date" or not query["reverse"]
                else {"at": page.offset + index})),
        } for index, m in enumerate(page.messages)],
        "page": page.page, "pages": page.pages, "total": page.total,
    }


@never_cache
@api_login_required
@require_GET
def poll(request):
    """What changed in the open folder, for the page to refresh itself. Where the server
    has LIST-STATUS one command brings every folder's counts (the page updates all the
    unread badges, and the cached folder list is renewed); elsewhere one STATUS of the
    open folder."""
    mailbox = FolderPageForm.query_of(request.GET)["mailbox"]
    with mail_for(request) as mail:
        news = navigation.poll(mail, mailbox)
    answer = {"mailbox": mailbox, "total": news.total, "unread": news.unread,
              "uidnext": news.uidnext}
    if news.folders is not None:
        answer["folders"] = [{"name": f.name, "unread": f.unread, "total": f.total}
                             for f in news.folders if f.selectable]
    return JsonResponse(answer)


def forget_kept_answers():
    """Every kept list answer forgotten (tests)."""
    _answers.clear()
