"""Held messages from the user's side: the Scheduled view, Undo, and what can be done to
a message waiting there (edit, send now, reschedule, cancel; settle one perhaps sent).

Each action reads the database row and, to put a message back in Drafts, the user's own
IMAP session: any frontend answers it, whichever took the message."""
from dataclasses import dataclass

from django.contrib import messages as notices
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .. import outbox, schedule
from ..forms import SendAtForm
from ..http import safe_next
from ..mail import mail_for
from ..models import HeldMessage

State = HeldMessage.State
GONE_ON = _("It is being sent or has been sent: it can no longer be changed.")


@dataclass(frozen=True)
class Row:
    """One held message as the Scheduled view shows it: its state in words, the reason
    the server gave (if any), a note, and the actions it allows."""
    held: HeldMessage
    when: str
    state: str
    reason: str
    note: str
    actions: tuple[str, ...]

    @property
    def subject(self):
        return _subject(self.held)

    @property
    def key(self):
        """The id as a plain string, for element ids."""
        return self.held.id.hex


WAITING_ACTIONS = ("edit", "send_now", "reschedule", "cancel")


def _row(held, zone, now):
    when = schedule.shown(held.send_at, zone, now)
    state, reason, note, actions = {
        State.QUEUED: (gettext("Waiting"), "", "", WAITING_ACTIONS),
        State.RETRYING: (gettext("Retrying"), held.last_error,
                         gettext("Next try %(time)s.") % {"time": when}, WAITING_ACTIONS),
        State.SENDING: (gettext("Sending"), "", "", ()),
        State.ACCEPTED: (gettext("Sent"), "", gettext("Filing the copy in Sent."), ()),
        State.FAILED: (gettext("Not sent"), held.last_error, gettext("It is going back to Drafts."),
                       ("edit", "send_now", "cancel")),
        State.UNCERTAIN: (gettext("Perhaps sent"), held.last_error, "",
                          ("send_again", "settle", "edit", "cancel")),
    }.get(held.state, (held.get_state_display(), "", "", ()))
    return Row(held, when, state, reason.strip(), note, actions)


def _subject(held):
    return held.subject or gettext("(no subject)")


def _held(request, held_id):
    held = outbox.held_for(request.user, held_id)
    if held is None:
        raise Http404(gettext("No such scheduled message."))
    return held


def _back(request):
    return redirect(safe_next(request, reverse("webmail:outbox")))


@never_cache
@login_required
@require_GET
def scheduled(request):
    """What Heron holds to send: scheduled messages, those in their seconds of Undo, and
    those that failed or may have been sent."""
    zone, now = schedule.zone_for(request), timezone.now()
    with mail_for(request) as mail:
        folders = mail.list_mailboxes()
    return render(request, "webmail/outbox.html", {
        "folders": folders, "current": None, "outbox_page": True, "zone": zone.key,
        "rows": [_row(held, zone, now) for held in outbox.scheduled_for(request.user)],
        "presets": schedule.presets(now, zone), "bounds": schedule.picker_bounds(now, zone),
        "available": outbox.available()})


@login_required
@require_POST
def undo(request, held_id):
    """Undo a send (or Edit a scheduled message): back in Drafts, and the compose window
    opens on it."""
    held = _held(request, held_id)
    with mail_for(request) as mail:
        try:
            uid = outbox.recall(mail, request.user, held)
        except outbox.TooLate as late:
            notices.error(request, late.message)
            return _back(request)
        drafts = mail.folder_for("drafts")
    notices.success(request, gettext("Undone: nothing was sent. The message is back in Drafts.")
                    if held.kind == HeldMessage.Kind.UNDO else
                    gettext("Taken out of Scheduled: it is back in Drafts until you send it."))
    query = urlencode({"draft": uid, "mailbox": drafts})
    return redirect(f"{reverse('webmail:compose')}?{query}")


@login_required
@require_POST
def cancel(request, held_id):
    """Cancel a held message: it goes back to Drafts, nothing is sent."""
    held = _held(request, held_id)
    with mail_for(request) as mail:
        try:
            outbox.recall(mail, request.user, held)
        except outbox.TooLate:
            return _outcome(request, False)
    return _outcome(request, True, gettext("Cancelled: “%(subject)s” is back in Drafts.")
                    % {"subject": _subject(held)})


@login_required
@require_POST
def send_now(request, held_id):
    """Send a waiting message now (or one perhaps sent, again)."""
    held = _held(request, held_id)
    return _outcome(request, outbox.send_now(request.user, held),
                    gettext("Sending “%(subject)s” now.") % {"subject": _subject(held)})


@login_required
@require_POST
def reschedule(request, held_id):
    """Move a held message to another time (a preset or one picked)."""
    held = _held(request, held_id)
    form = SendAtForm(request.POST, zone=schedule.zone_for(request), now=timezone.now())
    if not form.is_valid():
        return _outcome(request, False, failure=form.problem())
    when, zone = form.cleaned_data["when"], form.cleaned_data["zone"]
    schedule.remember_zone(request.user, form.cleaned_data["time_zone"])
    return _outcome(request, outbox.reschedule(request.user, held, when),
                    f"“{_subject(held)}” is now scheduled for {schedule.shown(when, zone)}.")


@login_required
@require_POST
def settle(request, held_id):
    """The user says a message Heron may have sent was sent: nothing more is sent."""
    held = _held(request, held_id)
    return _outcome(request, outbox.settle_uncertain(request.user, held),
                    gettext("Marked “%(subject)s” as sent; its copy goes to Sent.")
                    % {"subject": _subject(held)},
                    failure=gettext("That message is no longer waiting for your answer."))


def _outcome(request, done, success="", failure=GONE_ON):
    """Say how an action on a held message went, and go back to the page it came from."""
    if done:
        notices.success(request, success)
    else:
        notices.error(request, failure)
    return _back(request)
