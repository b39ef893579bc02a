from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..forms import FolderPageForm
from ..mail import mail_for
from ..mime.text import part_text


@never_cache
@login_required
@require_GET
def message(request, uid):
    """One message: its headers, its text and its attachment list."""
    query = FolderPageForm(request.GET).query()
    with mail_for(request) as mail:
        folders = mail.list_mailboxes()
        shown = mail.message(query["mailbox"], uid)
    body = shown.body
    text = part_text(shown.body_raw, body.content_type, body.charset) if body else ""
    current = next((folder for folder in folders if folder.name == shown.mailbox), None)
    return render(request, "webmail/message.html", {
        "folders": folders, "message": shown, "body_text": text, "current": current,
        "query": query})
