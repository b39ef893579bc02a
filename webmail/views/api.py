from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..forms import FolderPageForm
from ..mail import mail_for


def api_login_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"error": "not authenticated"}, status=401)
        return view(request, *args, **kwargs)

    return wrapper


def message_url(mailbox, uid):
    return f"{reverse('webmail:message', args=[uid])}?{urlencode({'mailbox': mailbox})}"


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
    query = FolderPageForm(request.GET).query()
    with mail_for(request) as mail:
        page = mail.page(query["mailbox"], query["page"], settings.MESSAGES_PER_PAGE,
                         query["sort"], query["reverse"])
    return JsonResponse({
        "mailbox": page.mailbox,
        "messages": [{
            "uid": m.uid,
            "subject": m.subject,
            "from": {"name": m.sender.name, "email": m.sender.email},
            "date": m.date.isoformat() if m.date else None,
            "flags": list(m.flags),
            "size": m.size,
            "has_attachments": m.has_attachments,
            "url": message_url(page.mailbox, m.uid),
        } for m in page.messages],
        "page": page.page, "pages": page.pages, "total": page.total,
    })
