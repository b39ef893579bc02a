from datetime import timedelta

from django.conf import settings
from django.contrib import messages as notices
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from accounts import identities, preferences
from attachments import storage

from .. import links, outbox, schedule, send_checks, smtp, writing
from ..forms import ComposeForm, SendAtForm
from ..http import wants_json
from ..mail import account_for, mail_for
from ..mime import compose as mime_compose
from ..models import HeldMessage
from ..params import draft_key, folder_param, uid_value

# What the compose window says when Send or Send later could not take the message.
REFUSALS = (mime_compose.AddressError, smtp.SmtpError, identities.SenderRefused)
UNREADABLE = _("The attachments cannot be read right now, so nothing was sent. Your draft "
               "is saved; try again in a moment.")
UNSTORABLE = _("The message cannot be stored for sending right now, so nothing was sent. "
               "Your draft is saved; try again in a moment.")
SEND_LATER_OFF = _("Send later is off: the administrator has not set up the service login "
                   "that sends messages while you are away.")


def _page(request, mail, form, status=200, problem=""):
    draft = form["draft"].value()
    zone, now = schedule.zone_for(request), timezone.now()
    return render(request, "webmail/compose.html", {
        "form": form, "folders": mail.list_mailboxes(), "problem": problem,
        "header_fields": [form[name] for name in ("to", "cc", "bcc", "subject")],
        "uploads": storage.uploads_for(request.user, draft) if draft else [],
        "limit": storage.human_size(settings.HERON_MAX_MESSAGE_BYTES),
        "send_checks": send_checks.for_script(preferences.shown(request.user)),
        "send_later": {"available": outbox.available(),
                       "presets": schedule.presets(now, zone), "zone": zone.key,
                       "bounds": schedule.picker_bounds(now, zone)},
    }, status=status)


def _form(request, data=None, initial=None):
    found = identities.with_sending_state(request.user, identities.identities_for(request.user))
    form = ComposeForm(data, initial=initial, identities=found)
    # For the compose script: the signature block of each identity, to swap on a change.
    form.signatures = {str(i.id): i.signature_block() for i in found}
    return form


@never_cache
@login_required
@require_GET
def compose(request):
    """The compose window: new, a reply (to all), or a draft carried on (?draft=uid)."""
    get = request.GET
    mailbox = folder_param(get, "mailbox", "INBOX")
    reply, draft = uid_value(get.get("reply")), uid_value(get.get("draft"))
    forwarded, key = uid_value(get.get("forward")), draft_key(get.get("key"))
    problem = ""
    with mail_for(request) as mail:
        if forwarded and key:
            initial = writing.forward(mail, request.user, mailbox, forwarded,
                                      as_attachment=get.get("as") == "eml", key=key)
        elif reply:
            initial = writing.reply(mail, request.user, mailbox, reply,
                                    reply_all=get.get("all") == "1")
        elif draft:
            initial = writing.reopen(mail, request.user, mailbox, draft)
            refused = outbox.failure_for_draft(request.user, initial["draft"])
            if refused:
                problem = gettext("The mail server refused this message: %(reason)s") % {
                    "reason": refused}
        else:
            asked = (links.mailto_fields(get["mailto"]) if "mailto" in get
                     else links.compose_fields({
                         k: [get[k]] if k in ("to", "cc", "bcc") else get[k]
                         for k in ("to", "cc", "bcc", "subject", "body") if k in get}))
            initial = writing.blank(request.user, **asked)
            if "body" in asked:
                initial["body"] = asked["body"] + "\n" + writing.blank(request.user)["body"]
        return _page(request, mail, _form(request, initial=initial), problem=problem)


@login_required
@require_POST
def forward(request):
    """Start a forward (inline, or as an .eml attachment): the original's attachments are
    copied into the uploads of a new compose id, and the compose window opens on it. No
    draft is saved until the user writes (the compose window's autosave), so backing out
    leaves no "Fwd:" draft behind."""
    uid = uid_value(request.POST.get("uid"))
    mailbox = folder_param(request.POST, "mailbox", "INBOX")
    if uid is None:
        return redirect(reverse("webmail:mailbox"))
    as_eml = request.POST.get("as") == "eml"
    with mail_for(request) as mail:
        data = writing.forward(mail, request.user, mailbox, uid, as_attachment=as_eml)
    query = {"forward": uid, "mailbox": mailbox, "key": data["draft"]}
    if as_eml:
        query["as"] = "eml"
    return redirect(f"{reverse('webmail:compose')}?{urlencode(query)}")


def _reopen(mail, key):
    uid = mail.find_draft(key)
    drafts = mail.folder_for("drafts")
    return redirect(f"{reverse('webmail:compose')}?{urlencode({'draft': uid, 'mailbox': drafts})}")


@login_required
@require_POST
def save(request):
    """Save the draft to the Drafts folder (autosave, or the Save draft button)."""
    form = _form(request, request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    with mail_for(request) as mail:
        try:
            version = writing.save_draft(mail, request.user, form.cleaned_data)
        except writing.DraftConflict as conflict:
            reload = f"{reverse('webmail:compose-reload')}?key={form.cleaned_data['draft']}"
            if wants_json(request):
                return JsonResponse({"error": conflict.message, "reload": reload}, status=409)
            return _page(request, mail, form, status=409, problem=conflict.message)
        if wants_json(request):
            return JsonResponse({"version": version})
        notices.success(request, gettext("Draft saved."))
        return _reopen(mail, form.cleaned_data["draft"])


@never_cache
@login_required
@require_GET
def reload(request):
    """The latest saved version of a draft, by its compose id."""
    key = draft_key(request.GET.get("key"))
    if key is None:
        raise BadRequest(gettext("That is not a draft's id."))
    with mail_for(request) as mail:
        if not mail.find_draft(key):
            notices.error(request, gettext(
                "That draft is no longer in Drafts. It may have been sent."))
            return redirect(reverse("webmail:mailbox"))
        return _reopen(mail, key)


@sensitive_variables("account")
@login_required
@require_POST
def send(request):
    """Send, or hold the message for the user's Undo delay; on a bad address or a
    server's refusal the compose window comes back with the reason, the draft saved and
    the attachments in place."""
    form = _form(request, request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    data, delay = form.cleaned_data, outbox.undo_seconds(preferences.shown(request.user))
    if request.POST.get("confirmed") != "1":
        questions = send_checks.doubts(
            preferences.shown(request.user), data,
            any(not u.content_id for u in storage.uploads_for(request.user, data["draft"])))
        if questions:
            return _ask_first(request, questions)
    with mail_for(request) as mail:
        try:
            if delay:
                held = outbox.hold(mail, request.user, data, kind=HeldMessage.Kind.UNDO,
                                   send_at=timezone.now() + timedelta(seconds=delay))
            else:
                account = account_for(request)
                notice = writing.send(mail, request.user, account.password,
                                      account.servers, data)
        except REFUSALS as refused:
            return _kept(request, mail, form, _reason(refused))
        except storage.StorageUnavailable:
            return _kept(request, mail, form, UNSTORABLE if delay else UNREADABLE)
    if delay:
        notices.info(request, "Sending…", extra_tags=schedule.notice_tags(held))
    else:
        notices.success(request, notice)
    return redirect(reverse("webmail:mailbox"))


@login_required
@require_POST
def send_later(request):
    """Hold the message until the time chosen (a preset or the date and time picker);
    a time refused, or Send later being off, brings the compose window back with the
    reason and the draft saved."""
    form = _form(request, request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    when = SendAtForm(request.POST, zone=schedule.zone_for(request), now=timezone.now())
    with mail_for(request) as mail:
        if not outbox.available():
            return _kept(request, mail, form, SEND_LATER_OFF)
        if not when.is_valid():
            return _kept(request, mail, form, when.problem())
        schedule.remember_zone(request.user, when.cleaned_data["time_zone"])
        try:
            held = outbox.hold(mail, request.user, form.cleaned_data,
                               send_at=when.cleaned_data["when"], kind=HeldMessage.Kind.LATER)
        except REFUSALS as refused:
            return _kept(request, mail, form, _reason(refused))
        except storage.StorageUnavailable:
            return _kept(request, mail, form, UNSTORABLE)
    shown = schedule.shown(held.send_at, when.cleaned_data["zone"])
    notices.success(request, gettext("Scheduled for %(time)s.") % {"time": shown},
                    extra_tags=schedule.notice_tags(held))
    return redirect(reverse("webmail:mailbox"))


def _reason(refused):
    return getattr(refused, "user_message", None) or str(refused)


def _ask_first(request, questions):
    """A page that asks before sending (no scripts ran to ask): the whole form again as
    hidden fields, so that Send anyway sends it as it was and Back loses nothing."""
    kept = [(name, value) for name in request.POST for value in request.POST.getlist(name)
            if name not in ("csrfmiddlewaretoken", "confirmed")]
    if wants_json(request):
        return JsonResponse({"ask": questions}, status=409)
    return render(request, "webmail/send_confirm.html",
                  {"questions": questions, "kept": kept})


def _kept(request, mail, form, problem):
    """The compose window again with the problem; the draft saved so nothing is lost."""
    data = dict(form.cleaned_data)
    try:
        data["version"] = writing.save_draft(mail, request.user, data)
    except writing.DraftConflict:
        problem += " " + writing.DraftConflict.message
    form = _form(request, initial=data)
    if wants_json(request):
        return JsonResponse({"error": problem, "version": data["version"]}, status=422)
    return _page(request, mail, form, status=422, problem=problem)


@login_required
@require_POST
def discard(request):
    """Throw the draft away, with its attachments."""
    key = draft_key(request.POST.get("draft"))
    if key:
        with mail_for(request) as mail:
            writing.discard(mail, request.user, key)
        notices.success(request, gettext("Draft discarded."))
    return redirect(reverse("webmail:mailbox"))


def _invalid(request, form):
    problem = " ".join(e for errors in form.errors.values() for e in errors)
    if wants_json(request):
        return JsonResponse({"error": problem or gettext("The form is incomplete.")}, status=400)
    with mail_for(request) as mail:
        return _page(request, mail, form, status=400, problem=problem)
