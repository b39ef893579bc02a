from django.contrib import messages as notices
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ..forms import FolderForm
from ..mail import mail_for, quota_for
from ..params import folder_param

EMPTYABLE = {"trash", "junk"}


def _back():
    return redirect(reverse("webmail:folders"))


@never_cache
@login_required
@require_GET
def folders(request):
    """Folder management: create, rename, delete, subscribe; the quota."""
    with mail_for(request) as mail:
        tree = mail.list_mailboxes()
        subscribed = mail.subscribed()
        quota = quota_for(request, mail)
    return render(request, "webmail/folders.html", {
        "folders": tree, "subscribed": subscribed, "quota": quota, "form": FolderForm(),
        "current": None})


@login_required
@require_POST
def create(request):
    form = FolderForm(request.POST)
    if not form.is_valid():
        notices.error(request, "Give the new folder a name.")
        return _back()
    with mail_for(request) as mail:
        full = mail.create_folder(form.cleaned_data["name"], form.cleaned_data["parent"])
    notices.success(request, f"Created the folder {full}.")
    return _back()


@login_required
@require_POST
def rename(request):
    old, new = folder_param(request.POST, "mailbox"), folder_param(request.POST, "name")
    with mail_for(request) as mail:
        full = mail.rename_folder(old, new)
    notices.success(request, f"Renamed {old} to {full}.")
    return _back()


@login_required
@require_POST
def delete(request):
    name = folder_param(request.POST, "mailbox")
    with mail_for(request) as mail:
        mail.delete_folder(name)
    notices.success(request, f"Deleted the folder {name} and the mail in it.")
    return _back()


@login_required
@require_POST
def subscribe(request):
    name, on = folder_param(request.POST, "mailbox"), request.POST.get("subscribed") == "1"
    with mail_for(request) as mail:
        mail.subscribe(name, on)
    notices.success(request, f"{'Subscribed to' if on else 'Unsubscribed from'} {name}.")
    return _back()


@login_required
@require_POST
def empty(request):
    """Empty Trash or Junk for good."""
    name = folder_param(request.POST, "mailbox")
    with mail_for(request) as mail:
        if name not in {mail.folder_roles().get(role) for role in EMPTYABLE}:
            notices.error(request, "Only Trash and Junk can be emptied.")
            return redirect(f"{reverse('webmail:mailbox')}")
        result = mail.empty(name)
    notices.success(request, f"Removed {result.count} message{'s' if result.count != 1 else ''}"
                             f" from {name} for good.")
    return redirect(reverse("webmail:mailbox") + "?" + urlencode({"mailbox": name}))
