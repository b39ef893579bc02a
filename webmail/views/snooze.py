from django.contrib import messages as notices
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .. import schedule, snooze
from ..forms import SnoozeForm
from ..http import safe_next, wants_json
from ..mail import mail_for


def _refused(request, problem):
    if wants_json(request):
        return JsonResponse({"error": problem}, status=400)
    notices.error(request, problem)
    return redirect(safe_next(request))


@login_required
@require_POST
def snooze_messages(request):
    """Snooze the messages (or their conversations) until the time chosen."""
    now, zone = timezone.now(), schedule.zone_for(request)
    form = SnoozeForm(request.POST, zone=zone, now=now)
    if not form.is_valid():
        return _refused(request, form.problem())
    data = form.cleaned_data
    try:
        with mail_for(request) as mail:
            rows = snooze.snooze(mail, request.user, data["mailbox"], data["uids"],
                                 data["wake_at"], data["conversations"])
    except snooze.SnoozeRefused as refused:
        return _refused(request, refused.message)
    notice = snooze.snoozed_notice(rows, zone, now)
    if wants_json(request):
        return JsonResponse({"notice": notice})
    notices.success(request, notice)
    return redirect(safe_next(request))


@never_cache
@login_required
@require_GET
def snoozed(request):
    """The Snoozed view: what is waiting, when each comes back, and Unsnooze now."""
    now, zone = timezone.now(), schedule.zone_for(request)
    with mail_for(request) as mail:
        folders = mail.list_mailboxes()
    rows = [(row, schedule.shown(row.wake_at, zone, now)) for row in snooze.waiting_for(
        request.user)]
    return render(request, "webmail/snoozed.html", {
        "folders": folders, "current": None, "rows": rows, "snoozed_page": True,
        "snoozed_folder": next((f for f in folders if f.role == "snoozed"), None),
        "available": snooze.available()})


@login_required
@require_POST
def unsnooze(request, snooze_id):
    """Bring snoozed messages back to their folder now."""
    row = snooze.snooze_for(request.user, snooze_id)
    if row is None:
        raise Http404("no such snoozed message")
    with mail_for(request) as mail:
        state = snooze.unsnooze_now(mail, request.user, row)
    notices.success(request, snooze.unsnoozed_notice(row, state))
    return redirect(reverse("webmail:snoozed"))
