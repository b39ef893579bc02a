"""Sending a held message (webmail/outbox.py) at its time, in a worker of the task queue.

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
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from accounts import identities
from attachments import storage

from . import smtp, tasks, writing
from .imap.drafts import DRAFT_HEADER
from .imap.errors import MailError
from .mail import service_account, service_mail
from .mime import spool
from .models import DraftState, HeldMessage
from .params import pick_value

log = logging.getLogger(__name__)
State = HeldMessage.State
WAITING = (State.QUEUED, State.RETRYING)
# Rows of messages sent or taken back are kept this long for the admin, then removed.
KEEP_FINISHED = timedelta(days=7)
UNCERTAIN_REASON = ("The connection to the mail server was lost while it was taking this "
                    "message, so it may have been sent. Check with the recipients, then send "
                    "it again or mark it as sent.")


@task(queue_name=settings.HERON_QUEUE)
def deliver_job(held_id):
    """The queue job: send one held message at its time (see deliver)."""
    return deliver(held_id, tasks.worker_name()) or ""


def enqueue_delivery(held):
    """A queue job to send `held` at its time (another is harmless: only one takes it)."""
    deliver_job.using(run_after=held.send_at).enqueue(str(held.id))


def _draft_bytes(held, head_and_body):
    """The message as a draft again: the filed headers (with Bcc), the compose id and
    fields, and the body of the held copy."""
    start = spool.body_offset(head_and_body[:1 << 20])
    headers = spool.draft_headers(bytes(held.filed_headers), (
        (DRAFT_HEADER, held.draft_key),
        (writing.FIELDS_HEADER, json.dumps(held.fields))))
    return headers + bytes(head_and_body[start:])


def _open_blob(held):
    """The held copy, open for reading; StorageUnavailable when it cannot be had."""
    handle = storage.open_held(held.blob)
    if handle is None:
        raise storage.StorageUnavailable("the held message is gone from storage")
    return handle


def _read_blob(held):
    with _open_blob(held) as handle:
        return handle.read()


def restore_draft(mail, held):
    """Put a held message back in Drafts as the draft it was; its UID there."""
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
        with _open_blob(held) as handle:
            _send(held, lease, handle)
            # Read once: what was sent is what is filed in Sent.
            handle.seek(0)
            message = handle.read()
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
    return _file(held, message)


def _send(held, lease, handle):
    user = held.owner
    identity = identities.get_identity(user, held.identity_id)
    if identity is None:
        raise identities.SenderRefused(held.envelope_from)
    rules = identities.sending_rules(user)
    identities.check_sender(user, identity, rules)
    account = service_account(user.username)
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
            restore_draft(mail, held)
    except (MailError, storage.StorageUnavailable) as exc:
        log.warning("held message %s refused, and not back in Drafts yet: %s", held.pk,
                    type(exc).__name__)
        return
    HeldMessage.objects.filter(pk=held.pk, state=State.FAILED).update(state=State.CANCELLED)
    storage.delete_held(held.blob)


def _file(held, message=None):
    """After the server took it: the copy with Bcc into Sent, the original flagged.

    `message` is the held copy when the worker that sent it files it at once; otherwise
    (a recovery) Sent is searched for it first, since a worker that filed it may have died
    before it could say so, and the copy is read from storage."""
    try:
        with service_mail(held.owner.username) as mail:
            if message is not None or not mail.has_message_id(mail.folder_for("sent"),
                                                              held.message_id):
                body = _read_blob(held) if message is None else message
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
    done["pruned"] = HeldMessage.objects.filter(
        state__in=(State.SENT, State.CANCELLED), untold=False,
        created__lt=now - KEEP_FINISHED).delete()[0]
    return done


tasks.RECOVERIES.append(recover)
