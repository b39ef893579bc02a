from django.contrib import messages as notices
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from .. import actions
from ..forms import ActionForm
from ..http import safe_next, wants_json
from ..mail import mail_for

CANNOT_UNDO = _("This cannot be undone.")
# What an action's form posts, sent again from the confirmation page.
ACT_FIELDS = ("mailbox", "action", "uids", "picks", "target", "next")


@login_required
@require_POST
def act(request):
    """Flag, mark, move, copy, delete, archive or (un)junk the selected messages."""
    form = ActionForm(request.POST)
    if not form.is_valid():
        problem = " ".join(e for errors in form.errors.values() for e in errors)
        if wants_json(request):
            return JsonResponse({"error": problem}, status=400)
        notices.error(request, problem or gettext("Select at least one message."))
        return redirect(safe_next(request))
    data = form.cleaned_data
    with mail_for(request) as mail:
        forever = actions.deleted_for_good(mail, data["groups"], data["action"])
        confirmed = not forever or request.POST.get("confirm") == "1"
        outcome = (actions.perform(mail, data["groups"], data["action"], data["target"])
                   if confirmed else None)
    if outcome is None:
        return _confirm_forever(request, forever)
    if wants_json(request):
        return JsonResponse({"notice": outcome.notice, "undo": outcome.undo})
    notices.success(request, outcome.notice, extra_tags="undoable" if outcome.undo else "")
    if outcome.undo:
        request.session["heron_undo"] = outcome.undo
    return redirect(safe_next(request))


def _confirm_forever(request, count):
    """Deleting for good asks first: the same POST again, with confirm=1."""
    question = actions.forever_question(count)
    if wants_json(request):
        return JsonResponse({"error": f"{question} {CANNOT_UNDO}", "confirm": question},
                            status=409)
    fields = [(name, value) for name in ACT_FIELDS for value in request.POST.getlist(name)]
    return render(request, "webmail/confirm.html", {
        "question": question, "detail": CANNOT_UNDO, "action": reverse("webmail:act"),
        "fields": fields, "button": gettext("Delete forever"), "cancel": safe_next(request)})


@login_required
@require_POST
def undo(request):
    """Undo the last action of this session, once."""
    steps = request.session.pop("heron_undo", None)
    if not isinstance(steps, list) or not steps:
        notices.info(request, gettext("There is nothing to undo."))
        return redirect(safe_next(request))
    with mail_for(request) as mail:
        actions.undo(mail, steps)
    notices.success(request, gettext("Undone."))
    return redirect(safe_next(request))
