from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..forms import FolderPageForm
from ..mail import mail_for


@never_cache
@login_required
@require_GET
def mailbox(request):
    """The three-pane mail page; with HX-Request only the message list fragment."""
    query = FolderPageForm(request.GET).query()
    with mail_for(request) as mail:
        folders = mail.list_mailboxes()
        page = mail.page(query["mailbox"], query["page"], settings.MESSAGES_PER_PAGE,
                         query["sort"], query["reverse"])
    current = next((folder for folder in folders if folder.name == page.mailbox), None)
    context = {"folders": folders, "page": page, "current": current, "query": query}
    if request.headers.get("HX-Request"):
        return render(request, "webmail/_message_list.html", context)
    return render(request, "webmail/mailbox.html", context)
