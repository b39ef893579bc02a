"""Messages Heron holds before it sends them: Undo send and Send later.

At Send (or Send later) the frontend writes the whole message, as it would have sent it,
to storage, and records a HeldMessage row and a queue job due at its time, in one
transaction on the primary; then the draft leaves Drafts. Until a worker takes it, Undo
(or Edit, or Cancel) puts the draft back in Drafts as it was, from any frontend.

A worker sends it at its time: webmail/delivery.py, which says what a crash at each point
of a send leaves.
"""
import logging
import tempfile
import uuid
from email.utils import formataddr

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import contacts, identities
from accounts.preferences import UNDO_RANGE
from attachments import storage

from . import draft_files, pending, smtp, tasks, writing
from .delivery import WAITING, enqueue_delivery, restore_draft
from .imap.errors import MailError
from .mail import service_available
from .mime import compose, spool
from .models import DraftState, HeldMessage

log = logging.getLogger(__name__)
State = HeldMessage.State
# What the user may take back into Drafts: anything not sent, not being sent.
RECALLABLE = (State.QUEUED, State.RETRYING, State.FAILED, State.UNCERTAIN)


class TooLate(Exception):
    """The message is being sent, or was: it can no longer be taken back."""

    message = _("Too late to undo: the message has been sent.")


def available():
    """Whether messages can be held: the workers need the service login to send them."""
    return service_available()


# --- The frontend's side: hold, take back, reschedule ---------------------------------

def hold(mail, user, data, *, send_at, kind):
    """Hold the composed message to be sent at send_at; returns the HeldMessage.

    Checks what sending at once would check (the identity, the addresses, a recipient) and
    raises the same errors, with the draft untouched. Once the row is committed the draft
    leaves Drafts with its uploads: the held copy is the message now."""
    identity = writing._chosen_identity(user, data)
    identities.check_sender(user, identity, identities.sending_rules(user))
    # Files only the saved draft holds (their stored copies purged) come back first.
    draft_files.bring_back(mail, user, data["draft"])
    out = writing._outgoing(user, data, draft=False)
    recipients = tuple(a.addr_spec for a in (*out.to, *out.cc, *out.bcc))
    if not recipients:
        raise compose.AddressError(gettext("Add at least one recipient."))
    smtp.check_envelope(smtp.Envelope(identity.email, recipients))
    held_id = uuid.uuid4()
    with tempfile.SpooledTemporaryFile(max_size=writing.SPOOL_IN_MEMORY) as file:
        written = spool.write_message(out, file)
        size = file.tell()
        file.seek(0)
        blob = storage.save_held(user, held_id, file)
    fields = {name: data.get(name, "") for name in
              ("to", "cc", "bcc", "format", "answers", "forwards")}
    fields["identity"] = identity.id
    try:
        with transaction.atomic():
            held = HeldMessage.objects.create(
                id=held_id, owner=user, kind=kind, send_at=send_at,
                subject=(out.subject or "")[:998],
                shown_to=", ".join(formataddr((a.display_name, a.addr_spec))
                                   for a in (*out.to, *out.cc, *out.bcc))[:998],
                identity_id=identity.id, envelope_from=identity.email,
                envelope_to=list(recipients), message_id=out.message_id or "",
                blob=blob, size=size, filed_headers=written.filed_headers,
                draft_key=data["draft"], fields=fields,
                answers=data.get("answers") or "", forwards=data.get("forwards") or "")
            enqueue_delivery(held)
    except BaseException:
        storage.delete_held(blob)
        raise
    pending.stirred(user)
    tasks.ensure_tick()  # a tick chain broken by a killed worker is mended by the next message
    try:
        mail.discard_draft(data["draft"])
    except MailError as exc:
        # The held copy is the message; a draft left behind is replaced if it comes back.
        log.warning("held, but the draft stayed in Drafts: %s", type(exc).__name__)
    storage.delete_draft_uploads(user, data["draft"])
    DraftState.objects.filter(owner=user, key=data["draft"]).delete()
    contacts.remember(user, (*out.to, *out.cc, *out.bcc), weight=2)
    return held


def held_for(user, held_id):
    """The user's HeldMessage with this id, or None (unknown, malformed, someone else's)."""
    try:
        held_id = uuid.UUID(str(held_id))
    except ValueError:
        return None
    return HeldMessage.objects.filter(owner=user, id=held_id).first()


def recall(mail, user, held):
    """Take a held message back into Drafts as it was (Undo, Edit, Cancel); returns the
    draft's UID in Drafts. Raises TooLate when a worker has it or has sent it."""
    taken = HeldMessage.objects.filter(pk=held.pk, state__in=RECALLABLE).update(
        state=State.CANCELLED, untold=False, last_error="")
    if not taken:
        raise TooLate()
    try:
        uid = restore_draft(mail, held)
    except BaseException:
        # Nothing is lost: the message stays held (as waiting or failed as it was).
        HeldMessage.objects.filter(pk=held.pk).update(
            state=held.state, untold=held.untold, last_error=held.last_error)
        raise
    storage.delete_held(held.blob)
    return uid


def reschedule(user, held, send_at):
    """Move a waiting (or failed, or uncertain) message to a new time; False when it is
    being sent or gone. A failed one is tried afresh."""
    with transaction.atomic():
        moved = HeldMessage.objects.filter(pk=held.pk, state__in=RECALLABLE).update(
            send_at=send_at, state=State.QUEUED, attempts=0, last_error="", untold=False,
            phase="", kind=HeldMessage.Kind.LATER)
        if moved:
            held.send_at = send_at
            enqueue_delivery(held)
    return bool(moved)


def send_now(user, held):
    return reschedule(user, held, timezone.now())


def settle_uncertain(user, held):
    """The user says an uncertain message was sent: file it as sent, send nothing."""
    return bool(HeldMessage.objects.filter(pk=held.pk, state=State.UNCERTAIN).update(
        state=State.ACCEPTED, lease_until=None, claimed_by=""))


def scheduled_for(user):
    """What the Scheduled view lists: held messages not sent and not taken back, soonest
    first (the few seconds of Undo included)."""
    return list(HeldMessage.objects.filter(owner=user).exclude(
        state__in=(State.SENT, State.CANCELLED)).order_by("send_at"))


def failure_for_draft(user, key):
    """Why the server refused the draft `key`, when its newest held send came back to
    Drafts refused; else "". (A message the user took back has no reason kept.)"""
    newest = (HeldMessage.objects.filter(owner=user, draft_key=key)
              .order_by("-created").values_list("state", "last_error").first())
    if newest is None or newest[0] != State.CANCELLED:
        return ""
    return newest[1]


def untold_failures(user):
    """Failures the user has not been told of; each is told once, even to two pages opened
    at the same moment (the caller shows them)."""
    found = list(HeldMessage.objects.filter(owner=user, untold=True).order_by("send_at"))
    return [held for held in found
            if HeldMessage.objects.filter(pk=held.pk, untold=True).update(untold=False)]


def undo_seconds(preferences):
    low, high = UNDO_RANGE
    return min(max(int(preferences.undo_seconds), low), high) if available() else 0


def queue_figures(now=None):
    """For /readyz and /metrics: the queue's jobs (tasks.queue_figures), and the held
    messages waiting for their time or being sent, and those refused or perhaps sent that
    their users have not taken back yet."""
    now = now or timezone.now()
    return {**tasks.queue_figures(now),
            "held_waiting": HeldMessage.objects.filter(
                state__in=(*WAITING, State.SENDING, State.ACCEPTED)).count(),
            "held_failures": HeldMessage.objects.filter(
                state__in=(State.FAILED, State.UNCERTAIN)).count()}
