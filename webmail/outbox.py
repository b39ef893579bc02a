"""Messages Heron holds before it sends them: Undo send and Send later.

At Send (or Send later) the frontend writes the whole message, as it would have sent it,
to storage, and records a HeldMessage row and a queue job due at its time, in one
transaction on the primary; then the draft leaves Drafts. Until a worker takes it, Undo
(or Edit, or Cancel) puts the draft back in Drafts as it was, from any frontend.

A worker (webmail/tasks.py) sends it on behalf of the user with the service login
(webmail/mail.py): no user's password is stored for it. The order of one send, and what a
crash at each point leaves:

1. take: one UPDATE sets state=sending, attempts+1, claimed_by, lease_until, where the row
   is queued or retrying and due. Of two workers exactly one takes it.
2. talk: connect, log in, MAIL, RCPT, DATA streaming (phase "talking"); the lease is
   extended as the data goes.
3. commit: phase "committing" is written to the database, then the final "." is sent.
4. the server answers 250: state "accepted" is written.
5. file: the copy with Bcc goes into Sent (unless Sent holds its Message-ID already), the
   original is flagged; state "sent".

- Killed in 1 or 2: the server never saw the final ".", so it kept nothing. When the lease
  runs out, the tick (webmail/tasks.py) puts the row back to "retrying" and it is sent
  once.
- Killed between 3 and 4: the server may or may not have taken the message, and nothing
  can ask it. Heron neither sends it again (that could be a duplicate) nor drops it: the
  row becomes "uncertain", and the Scheduled view asks the user (Send again / It was sent).
  The window is the server's answer to one "." line.
- Killed after 4: the message is sent; the tick finishes step 5.
"""
import json
import logging
import re
import tempfile
import uuid
from datetime import timedelta
from email.utils import formataddr

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from accounts import contacts, identities
from accounts.preferences import UNDO_RANGE
from attachments import storage

from . import draft_files, pending, smtp, tasks, writing
from .imap.drafts import DRAFT_HEADER
from .imap.errors import MailError
from .mail import service_account, service_available, service_mail
from .mime import compose, spool
from .models import DraftState, HeldMessage
from .params import pick_value

log = logging.getLogger(__name__)
State = HeldMessage.State
WAITING = (State.QUEUED, State.RETRYING)
# What the user may take back into Drafts: anything not sent, not being sent.
RECALLABLE = (State.QUEUED, State.RETRYING, State.FAILED, State.UNCERTAIN)
KEEP_FINISHED = timedelta(days=7)
UNCERTAIN_REASON = ("The connection to the mail server was lost while it was taking this "
                    "message, so it may have been sent. Check with the recipients, then send "
                    "it again or mark it as sent.")


class TooLate(Exception):
    """The message is being sent, or was: it can no longer be taken back."""

    message = "Too late to undo: the message has been sent."


def available():
    """Whether messages can be held: the workers need the service login to send them."""
    return service_available()


@task(queue_name=settings.HERON_QUEUE)
def deliver_job(held_id):
    """The queue job: send one held message at its time (see deliver)."""
    return deliver(held_id, tasks.worker_name()) or ""


def enqueue_delivery(held):
    """A queue job to send `held` at its time (another is harmless: only one takes it)."""
    deliver_job.using(run_after=held.send_at).enqueue(str(held.id))


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
        raise compose.AddressError("Add at least one recipient.")
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
        uid = _restore_draft(mail, held)
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


# --- The worker's side: deliver, recover ----------------------------------------------

def _draft_bytes(held, head_and_body):
    """The message as a draft again: the filed headers (with Bcc), the compose id and
    fields, and the body of the held copy."""
    start = spool.body_offset(head_and_body[:1 << 20])
    headers = spool.draft_headers(bytes(held.filed_headers), (
        (DRAFT_HEADER, held.draft_key),
        (writing.FIELDS_HEADER, json.dumps(held.fields))))
    return headers + bytes(head_and_body[start:])


def _read_blob(held):
    handle = storage.open_held(held.blob)
    if handle is None:
        raise storage.StorageUnavailable("the held message is gone from storage")
    with handle:
        return handle.read()


def _restore_draft(mail, held):
    uid = mail.save_draft(_draft_bytes(held, _read_blob(held)), held.draft_key)
    DraftState.objects.update_or_create(owner=held.owner, key=held.draft_key,
                                        defaults={"uid": uid, "version": 0})
    return uid


def _take(held_id, worker, now):
    lease = now + timedelta(seconds=settings.HERON_SEND_LEASE_SECONDS)
    return HeldMessage.objects.filter(
        pk=held_id, state__in=WAITING, send_at__lte=now).update(
        state=State.SENDING, attempts=F("attempts") + 1, claimed_by=worker,
        lease_until=lease, phase=HeldMessage.Phase.TALKING)


class _Lease:
    """The worker's hold on a row it took: every update names the worker and the attempt,
    so a worker that lost its lease (paused past it) changes nothing."""

    def __init__(self, held, worker):
        self.pk, self.worker, self.attempt = held.pk, worker, held.attempts
        self.renewed = timezone.now()
        self.committed = False

    def update(self, **fields):
        return HeldMessage.objects.filter(pk=self.pk, claimed_by=self.worker,
                                          attempts=self.attempt).update(**fields)

    def extend(self):
        now = timezone.now()
        if (now - self.renewed).total_seconds() * 4 >= settings.HERON_SEND_LEASE_SECONDS:
            self.renewed = now
            self.update(lease_until=now + timedelta(seconds=settings.HERON_SEND_LEASE_SECONDS))

    def committing(self):
        if not self.update(phase=HeldMessage.Phase.COMMITTING):
            # Another worker has this row now: stop before the "." so nothing is sent.
            raise _LostLease()
        self.committed = True


class _LostLease(Exception):
    pass


def deliver(held_id, worker):
    """Send one held message if it is due and no one else has it; then file it.

    Returns the state it was left in, or None when there was nothing to do."""
    now = timezone.now()
    if not _take(held_id, worker, now):
        held = HeldMessage.objects.filter(pk=held_id, state=State.ACCEPTED).first()
        if held is not None and (held.lease_until is None or held.lease_until < now):
            return _file(held)
        return None
    held = HeldMessage.objects.get(pk=held_id)
    lease = _Lease(held, worker)
    try:
        _send(held, lease)
    except _LostLease:
        log.warning("held message %s: lease lost before the end of data", held.pk)
        return None
    except (smtp.SmtpError, identities.SenderRefused, storage.StorageUnavailable,
            MailError) as exc:
        if lease.committed and not isinstance(exc, smtp.SmtpRefused):
            # The "." went out and the answer was lost: the server may have taken it.
            lease.update(state=State.UNCERTAIN, untold=True, lease_until=None,
                         last_error=UNCERTAIN_REASON)
            return State.UNCERTAIN
        return _refused(held, lease, exc)
    if not lease.update(state=State.ACCEPTED, phase="", sent_at=timezone.now()):
        return None
    held.refresh_from_db()
    return _file(held, first=True)


def _send(held, lease):
    user = held.owner
    identity = identities.get_identity(user, held.identity_id)
    if identity is None:
        raise identities.SenderRefused(held.envelope_from)
    rules = identities.sending_rules(user)
    identities.check_sender(user, identity, rules)
    account = service_account(user.username)
    handle = storage.open_held(held.blob)
    if handle is None:
        raise storage.StorageUnavailable("the held message is gone from storage")
    with handle:
        smtp.send(account.servers.smtp, account.username, account.password,
                  smtp.Envelope(held.envelope_from, tuple(held.envelope_to)), handle,
                  trusted_relay=rules.trusted_relay, act_as=user.username,
                  on_chunk=lease.extend, before_end=lease.committing)


_PERMANENT = re.compile(r"(?:^|\D)5\d\d(?:\D|$)")


def _temporary(exc):
    """Whether a failed send may go through later: the server unreachable or busy (4xx),
    the service login or storage failing; not a refusal (5xx) or a sender not allowed."""
    if isinstance(exc, (smtp.SmtpUnavailable, smtp.SmtpAuthFailed,
                        storage.StorageUnavailable)):
        return True
    if isinstance(exc, smtp.SmtpRefused) and not isinstance(exc, smtp.SmtpBadAddress):
        return not _PERMANENT.search(str(exc))
    if isinstance(exc, smtp.SmtpError):
        return False
    return isinstance(exc, MailError)


def _reason(exc):
    return (getattr(exc, "user_message", None) or str(exc) or type(exc).__name__)[:1000]


def _refused(held, lease, exc):
    """A send that did not go: retried later when the trouble may pass, else back to
    Drafts with the reason."""
    reason = _reason(exc)
    if _temporary(exc) and held.attempts < settings.HERON_SEND_ATTEMPTS:
        delay = settings.HERON_SEND_RETRY_SECONDS * 2 ** (held.attempts - 1)
        with transaction.atomic():
            retry_at = timezone.now() + timedelta(seconds=delay)
            if lease.update(state=State.RETRYING, phase="", lease_until=None,
                            send_at=retry_at, last_error=reason):
                held.send_at = retry_at
                enqueue_delivery(held)
        log.info("held message %s put off (attempt %d): %s", held.pk, held.attempts,
                 type(exc).__name__)
        return State.RETRYING
    log.info("held message %s refused: %s", held.pk, type(exc).__name__)
    if not lease.update(state=State.FAILED, phase="", lease_until=None, last_error=reason,
                        untold=True):
        return None
    held.refresh_from_db()
    _back_to_drafts(held)
    return State.FAILED


def _back_to_drafts(held):
    """A refused message goes back to Drafts; the Scheduled view keeps it until then."""
    try:
        with service_mail(held.owner.username) as mail:
            _restore_draft(mail, held)
    except (MailError, storage.StorageUnavailable) as exc:
        log.warning("held message %s refused, and not back in Drafts yet: %s", held.pk,
                    type(exc).__name__)
        return
    HeldMessage.objects.filter(pk=held.pk, state=State.FAILED).update(state=State.CANCELLED)
    storage.delete_held(held.blob)


def _file(held, first=False):
    """After the server took it: the copy with Bcc into Sent, the original flagged. Unless
    first (the worker that sent it, at once), Sent is searched for it first: a worker that
    filed it may have died before it could say so."""
    try:
        with service_mail(held.owner.username) as mail:
            if first or not mail.has_message_id(mail.folder_for("sent"), held.message_id):
                body = _read_blob(held)
                mail.file_sent(bytes(held.filed_headers)
                               + body[spool.body_offset(body[:1 << 20]):])
            for pick, flag in ((held.answers, "\\Answered"), (held.forwards, "$Forwarded")):
                found = pick_value(pick)
                if found:
                    mail.set_flag(found[1], [found[0]], flag, True)
    except (MailError, storage.StorageUnavailable) as exc:
        # Sent it is; the tick files it when the mail server or storage is back.
        HeldMessage.objects.filter(pk=held.pk).update(
            lease_until=timezone.now() + timedelta(seconds=settings.HERON_SEND_LEASE_SECONDS))
        log.warning("held message %s sent, not filed yet: %s", held.pk, type(exc).__name__)
        return State.ACCEPTED
    HeldMessage.objects.filter(pk=held.pk, state=State.ACCEPTED).update(
        state=State.SENT, lease_until=None)
    storage.delete_held(held.blob)
    return State.SENT


def recover(now=None):
    """Work a dead worker left, and jobs lost with it. Returns what was done, by kind."""
    now = now or timezone.now()
    done = {"retried": 0, "uncertain": 0, "filed": 0, "due": 0}
    expired = HeldMessage.objects.filter(state=State.SENDING, lease_until__lt=now)
    for held in expired:
        if held.phase == HeldMessage.Phase.COMMITTING:
            if HeldMessage.objects.filter(pk=held.pk, state=State.SENDING,
                                          attempts=held.attempts).update(
                    state=State.UNCERTAIN, untold=True, lease_until=None,
                    last_error=UNCERTAIN_REASON):
                done["uncertain"] += 1
        else:
            with transaction.atomic():
                if HeldMessage.objects.filter(pk=held.pk, state=State.SENDING,
                                              attempts=held.attempts).update(
                        state=State.RETRYING, phase="", lease_until=None, send_at=now):
                    held.send_at = now
                    enqueue_delivery(held)
                    done["retried"] += 1
    for held in HeldMessage.objects.filter(state=State.ACCEPTED).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now)):
        if _file(held) == State.SENT:
            done["filed"] += 1
    # A waiting row long past its time has lost its job (its worker died holding it).
    overdue = now - timedelta(seconds=2 * settings.HERON_QUEUE_TICK_SECONDS)
    for held in HeldMessage.objects.filter(state__in=WAITING, send_at__lt=overdue):
        enqueue_delivery(held)
        done["due"] += 1
    for held in HeldMessage.objects.filter(state=State.FAILED):
        _back_to_drafts(held)
    # Rows of messages sent or taken back are kept a while for the admin, then removed.
    done["pruned"] = HeldMessage.objects.filter(
        state__in=(State.SENT, State.CANCELLED), untold=False,
        created__lt=now - KEEP_FINISHED).delete()[0]
    return done


tasks.RECOVERIES.append(recover)


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
