from django.contrib import messages as notices
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .. import folder_changes
from ..forms import FolderForm
from ..mail import mail_for, quota_for
from ..params import folder_param

EMPTYABLE = {"trash", "junk"}


def _back():
    return redirect(reverse("webmail:folders"))


def _page(request, form=None, renaming=None, status=200):
    """The folders page; after a refused create or rename, with what was typed and why."""
    with mail_for(request) as mail:
        tree = mail.list_mailboxes()
        subscribed = mail.subscribed()
        quota = quota_for(request, mail)
    return render(request, "webmail/folders.html", {
        "folders": tree, "subscribed": subscribed,
        "quota": quota, "form": form or FolderForm(), "renaming": renaming or {},
        "current": None}, status=status)


@never_cache
@login_required
@require_GET
def folders(request):
    """Folder management: create, rename, delete, subscribe; the quota."""
    return _page(request)


@login_required
@require_POST
def create(request):
    """Create a folder; a refused name keeps the page, the typed name and says why."""
    form = FolderForm(request.POST)
    if form.is_valid():
        with mail_for(request) as mail:
            change = folder_changes.create(mail, form.cleaned_data["name"],
                                           form.cleaned_data["parent"])
        if not change.problem:
            notices.success(request, gettext("Created the folder %(name)s.")
                            % {"name": change.name})
            return _back()
        form.add_error("name", change.problem)
    return _page(request, form=form, status=400)


@login_required
@require_POST
def rename(request):
    """Rename a folder in place; a refused name keeps the page, the typed name and why."""
    old, new = folder_param(request.POST, "mailbox"), folder_param(request.POST, "name")
    with mail_for(request) as mail:
        change = folder_changes.rename(mail, old, new)
    if change.problem:
        return _page(request, renaming={"mailbox": old, "name": new, "problem": change.problem},
                     status=400)
    notices.success(request, gettext("Renamed %(old)s to %(new)s.") % {
        "old": old, "new": change.name})
    return _back()


@login_required
@require_POST
def delete(request):
    """Delete a folder with its subfolders: a POST without confirm=1 asks first, naming
    the subfolders that go with it."""
    name = folder_param(request.POST, "mailbox")
    with mail_for(request) as mail:
        deletion = folder_changes.delete(mail, name, request.POST.get("confirm") == "1")
    if deletion.problem:
        notices.error(request, deletion.problem)
        return _back()
    if not deletion.done:
        return render(request, "webmail/confirm.html", {
            "question": deletion.question, "detail": gettext("This cannot be undone."),
            "action": reverse("webmail:folder-delete"), "fields": [("mailbox", name)],
            "button": gettext("Delete folder") if not deletion.subfolders
            else gettext("Delete folders"),
            "cancel": reverse("webmail:folders")})
    notices.success(request, deletion.notice)
    return _back()


@login_required
@require_POST
def subscribe(request):
    name, on = folder_param(request.POST, "mailbox"), request.POST.get("subscribed") == "1"
    with mail_for(request) as mail:
        mail.subscribe(name, on)
    notices.success(request, (gettext("Subscribed to %(name)s.") if on
                             else gettext("Unsubscribed from %(name)s.")) % {"name": name})
    return _back()


@login_required
@require_POST
def empty(request):
    """Empty Trash or Junk for good."""
    name = folder_param(request.POST, "mailbox")
    with mail_for(request) as mail:
        if name not in {mail.folder_roles().get(role) for role in EMPTYABLE}:
            notices.error(request, gettext("Only Trash and Junk can be emptied."))
            return redirect(f"{reverse('webmail:mailbox')}")
        result = mail.empty(name)
    notices.success(request, ngettext("Removed %(count)s message from %(name)s for good.",
                                      "Removed %(count)s messages from %(name)s for good.",
                                      result.count) % {"count": result.count, "name": name})
    return redirect(reverse("webmail:mailbox") + "?" + urlencode({"mailbox": name}))
