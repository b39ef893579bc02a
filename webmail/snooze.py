"""Snooze: messages put away until a time come back to their folder then, unread, on top.

Meanwhile they are in the IMAP folder "Snoozed" (made when first needed), so other mail
programs see them there. The time is a Snooze row on the primary, the wake-up a queue job
(wake_job) due at that time; the tick's recovery queues again a wake-up whose job was lost
and hands on one whose worker died. No user's password is kept: a worker acts for the
user with the service login (webmail.mail.service_mail).

Snoozing (the frontend, as the user):
1. the messages are read (a conversation: its messages in that folder): Message-ID,
   subject, sender;
2. one transaction: a Snooze row per message or conversation, waiting, no UID in Snoozed;
3. MOVE to Snoozed; where each went is the server's COPYUID, else found by Message-ID
   (MailSession.move_tracked; a message without a Message-ID is refused, before it moves,
   on a server that does not say where it moves a message: nothing could find it again);
4. one transaction: the UIDs in Snoozed written, the wake job queued at its time.
A crash between 2 and 4 leaves a waiting row without a job: the tick queues one once its
time has passed, and the wake finds the messages in Snoozed by Message-ID; any that never
got there never left their folder, and are left out.

Waking (a worker at the time; or "Unsnooze now", as the user):
1. take: one UPDATE sets waking, attempts+1, claimed_by and a lease, where the row is
   waiting (and due); of two workers one takes it, and every later update names the
   worker and the attempt, so one that lost its lease changes nothing;
2. each message is found in Snoozed: its UID, checked by its Message-ID, else its
   Message-ID searched for (MailSession.locate); one another client deleted or moved away
   meanwhile is left out, quietly (a row with none left is closed as gone);
3. \\Seen is removed, then MOVE back to the folder (the Inbox if that folder is gone);
4. the row: woken, with where each came back and when.
A worker killed in 2 or 3 leaves its lease to run out: the tick puts the row back to
waiting and queues it, and that wake looks in the folder for what the first one moved.

"On top" is webmail/woken.py's.
"""
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from . import pending, schedule, tasks
from .imap.errors import MailboxNotFound, MailError, MailServerUnavailable, Untrackable
from .mail import service_available, service_mail
from .models import Snooze

log = logging.getLogger(__name__)
State = Snooze.State
WAITING = (State.WAITING, State.WAKING)
WAKE_LEASE = timedelta(minutes=2)
# A wake the mail server refused or could not take is tried again after 1, 2, 4… minutes,
# at most an hour apart, until it works.
RETRY_FIRST, RETRY_MOST = timedelta(minutes=1), timedelta(hours=1)
# Rows of messages back in their folder are kept this long for the "Snoozed on" note.
KEEP_NOTES = timedelta(days=30)
OFF = _("Snooze is not available here: it needs Heron's background worker, which this "
        "server does not run. Nothing was snoozed.")


class SnoozeRefused(Exception):
    """Messages that cannot be snoozed; `message` says why, for the page."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def available():
    """Whether messages can be snoozed: a worker needs the service login to wake them."""
    return service_available()


# --- Times, in the user's zone ----------------------------------------------------------

def presets(now, zone):
    """The times the Snooze menu offers: later today (18:00, while it is before 17:00),
    tomorrow, this weekend (Saturday; next weekend's on a weekend) and next week (Monday),
    at 08:00 in the user's zone; one that falls on an earlier one's time is left out."""
    local = now.astimezone(zone)
    today = local.date()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    monday = today + timedelta(days=(0 - today.weekday()) % 7 or 7)
    wanted = [(gettext("Tomorrow"), today + timedelta(days=1), schedule.MORNING),
              (gettext("This weekend") if today.weekday() < 5 else gettext("Next weekend"),
               saturday, schedule.MORNING),
              (gettext("Next week"), monday, schedule.MORNING)]
    if local.time() < schedule.LATER_TODAY_BEFORE:
        wanted.insert(0, (gettext("Later today"), today, schedule.EVENING))
    found: list = []
    for label, day, clock in wanted:
        moment = datetime.combine(day, clock, tzinfo=zone)
        if all(preset.at != moment for preset in found):
            found.append(schedule.Preset(label, moment, schedule.shown(moment, zone, now)))
    return found


def wake_time(until, local, zone, now):
    """The moment the user chose: a preset's value (ISO 8601 with its offset), or with
    until "pick" (or empty) a datetime-local value read in `zone`. Raises
    schedule.TimeRefused for no time, one that is not a time, one that has passed or one
    more than a year ahead."""
    until = (until or "").strip()
    text = (local or "").strip() if until in ("", "pick") else until
    if not text:
        raise schedule.TimeRefused(gettext("Choose when it should come back: a suggested time, "
                                           "or a date and time. Nothing was snoozed."))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise schedule.TimeRefused(f"“{text[:40]}” is not a date and time. Choose one with "
                                   "the date and time picker.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if moment <= now:
        raise schedule.TimeRefused(f"{schedule.shown(moment, zone, now)} has passed. Choose "
                                   "a later time; nothing was snoozed.")
    if moment > now + schedule.FURTHEST:
        raise schedule.TimeRefused(f"{schedule.shown(moment, zone, now)} is more than a year "
                                   "ahead. Choose a time within a year; nothing was snoozed.")
    return moment


# --- The frontend's side ----------------------------------------------------------------

def snooze(mail, user, mailbox, uids, wake_at, conversations=False):
    """Snooze messages of `mailbox` until wake_at: one Snooze row for each message, or
    with conversations for each one's conversation in the folder. Returns the rows.

    Raises SnoozeRefused (no worker; the folder is Snoozed itself; the messages are gone;
    one could not be found again), or the MailError of a MOVE the server refused: then
    nothing was snoozed."""
    if not available():
        raise SnoozeRefused(OFF)
    if mail.folder_roles().get("snoozed") == mailbox:
        raise SnoozeRefused(gettext("These messages are snoozed already: unsnooze them from "
                                    "the Snoozed view first."))
    groups = _groups(mail, mailbox, uids, conversations)
    every = [uid for group in groups for uid in group]
    found = {m.uid: m for m in mail.messages(mailbox, every, mark_read=False,
                                             fetch_body=False)}
    groups = [kept for kept in ([u for u in group if u in found] for group in groups) if kept]
    if not groups:
        raise SnoozeRefused(gettext("Those messages are no longer in this folder. Nothing was "
                                    "snoozed."))
    with transaction.atomic():
        rows = [Snooze.objects.create(
            owner=user, folder=mailbox, wake_at=wake_at, **_shown(found, group),
            messages=[{"id": found[uid].message_id, "uid": uid, "at": None, "back": None}
                      for uid in group]) for group in groups]
    pending.stirred(user)
    try:
        moved = mail.move_tracked(mailbox, [u for g in groups for u in g],
                                  mail.folder_for("snoozed"), strict=True)
    except MailServerUnavailable:
        # The connection broke: the MOVE may have happened. The rows stay and their wake
        # finds out (the messages in Snoozed come back; those that never left stay).
        _queue(rows, {})
        raise
    except BaseException as exc:
        Snooze.objects.filter(pk__in=[row.pk for row in rows], state=State.WAITING).delete()
        if isinstance(exc, Untrackable):
            raise SnoozeRefused(f"{exc.user_message} Nothing was snoozed.") from None
        raise
    _queue(rows, moved)
    return rows


def _queue(rows, moved):
    """Step 4 of snoozing: the UIDs in Snoozed written, and each row's wake job queued."""
    with transaction.atomic():
        for row in rows:
            row.messages = [dict(item, at=moved.get(item["uid"])) for item in row.messages]
            row.save(update_fields=["messages"])
            wake_job.using(run_after=row.wake_at).enqueue(str(row.pk))
    tasks.ensure_tick()  # a tick chain broken by a killed worker is mended here too


def _groups(mail, mailbox, uids, conversations):
    """The UIDs grouped as they are snoozed: each alone, or each with its conversation in
    the folder (a conversation named twice is snoozed once)."""
    uids = list(dict.fromkeys(uids))
    if not conversations:
        return [[uid] for uid in uids]
    of = {uid: group for group in mail.threads(mailbox) for uid in group}
    groups: list = []
    seen: set = set()
    for uid in uids:
        group = [each for each in of.get(uid, [uid]) if each not in seen]
        seen.update(group)
        if group:
            groups.append(group)
    return groups


def _shown(found, group):
    newest = max((found[uid] for uid in group),
                 key=lambda m: (m.date is not None, m.date or 0, m.uid))
    return {"subject": (newest.subject or "")[:998],
            "sender": (newest.sender.name or newest.sender.email or "")[:998]}


def snoozed_notice(rows, zone, now):
    count = sum(len(row.messages) for row in rows)
    return ngettext("Snoozed %(count)s message until %(time)s.",
                    "Snoozed %(count)s messages until %(time)s.", count) % {
        "count": count, "time": schedule.shown(rows[0].wake_at, zone, now)}


def waiting_for(user):
    """What the Snoozed view lists: the user's snoozed messages, soonest back first."""
    return list(Snooze.objects.filter(owner=user, state__in=WAITING).order_by("wake_at"))


def snooze_for(user, snooze_id):
    """The user's Snooze with this id (a UUID), or None (unknown, or someone else's)."""
    return Snooze.objects.filter(owner=user, id=snooze_id).first()


def unsnooze_now(mail, user, row):
    """Bring a snoozed row back now, with the user's own session; the state it was left
    in (None when it was back, or being brought back, already). The row is read again."""
    state = wake(row.pk, f"web:{tasks.worker_name()}", mail=mail, early=True)
    row.refresh_from_db()
    return state


def unsnoozed_notice(row, state):
    subject = row.subject or gettext("(no subject)")
    if state == State.WOKEN:
        folder = gettext("Inbox") if row.back_in.upper() == "INBOX" else row.back_in
        return gettext("“%(subject)s” is back in %(folder)s, unread.") % {
            "subject": subject, "folder": folder}
    if state == State.GONE:
        return gettext("“%(subject)s” was no longer in the Snoozed folder: another mail program "
                       "moved or deleted it.") % {"subject": subject}
    return gettext("“%(subject)s” is on its way back already.") % {"subject": subject}


# --- The worker's side ------------------------------------------------------------------

@task(queue_name=settings.HERON_QUEUE)
def wake_job(snooze_id):
    """The queue job: bring one snoozed row back at its time (see wake)."""
    return wake(snooze_id, tasks.worker_name()) or ""


def wake(snooze_id, worker, now=None, mail=None, early=False):
    """Bring a snoozed row's messages back to their folder if it is due (or early) and no
    one else has it; with the service login, or the given MailSession. Returns the state
    it was left in, or None when there was nothing to do.

    A mail server that fails leaves the row waiting, tried again later (the error is
    raised again when a MailSession was given: the user asked, and is told)."""
    now = now or timezone.now()
    due = Q() if early else Q(wake_at__lte=now)
    if not Snooze.objects.filter(due, pk=snooze_id, state=State.WAITING).update(
            state=State.WAKING, attempts=F("attempts") + 1, claimed_by=worker,
            lease_until=now + WAKE_LEASE):
        return None
    row = Snooze.objects.select_related("owner").get(pk=snooze_id)
    fence = Snooze.objects.filter(pk=row.pk, state=State.WAKING, claimed_by=worker,
                                  attempts=row.attempts)
    try:
        if mail is not None:
            messages, back_in = _bring_back(mail, row)
        else:
            with service_mail(row.owner.username) as own:
                messages, back_in = _bring_back(own, row)
    except MailError as exc:
        delay = min(RETRY_FIRST * 2 ** (row.attempts - 1), RETRY_MOST)
        with transaction.atomic():
            if fence.update(state=State.WAITING, claimed_by="", lease_until=None,
                            next_try=now + delay, last_error=exc.user_message[:1000]):
                wake_job.using(run_after=now + delay).enqueue(str(row.pk))
        log.warning("snooze %s not woken (attempt %d): %s", row.pk, row.attempts,
                    type(exc).__name__)
        if mail is not None:
            raise
        return State.WAITING
    state = State.WOKEN if any(not item.get("gone") for item in messages) else State.GONE
    if not fence.update(state=state, messages=messages, back_in=back_in, woken_at=now,
                        claimed_by="", lease_until=None, next_try=None, last_error=""):
        return None
    return state


def _bring_back(mail, row):
    """Steps 2 and 3 of a wake: (the row's messages with where each came back, or gone,
    the folder they came back to)."""
    items = [dict(item) for item in row.messages]
    snoozed = mail.folder_roles().get("snoozed")
    found = (mail.locate(snoozed, [(item.get("at"), item.get("id") or "") for item in items])
             if snoozed else [None] * len(items))
    target = _back_to(mail, row.folder)
    present = [uid for uid in found if uid is not None]
    moved = {}
    if present:
        mail.set_flag(snoozed, present, "\\Seen", False)
        moved = mail.move_tracked(snoozed, present, target)
    # An earlier attempt may have moved some back before it died: they are in the folder.
    lost = [index for index, uid in enumerate(found) if uid is None]
    earlier = (mail.locate(target, [(None, items[i].get("id") or "") for i in lost])
               if lost and row.attempts > 1 else [None] * len(lost))
    for index, uid in enumerate(found):
        items[index]["back"] = moved.get(uid) if uid is not None else None
    for index, uid in zip(lost, earlier):
        items[index]["back"] = uid
        if uid is None:
            items[index]["gone"] = True
    return items, target


def _back_to(mail, folder):
    """The folder a message goes back to: its own, or the Inbox when that is gone."""
    if folder.upper() == "INBOX":
        return "INBOX"
    try:
        mail.counts(folder)
    except MailboxNotFound:
        return "INBOX"
    return folder


def recover(now=None):
    """Work a dead worker left, jobs lost with it, and old rows. Returns what was done."""
    now = now or timezone.now()
    done = {"snoozes_resumed": 0, "snoozes_due": 0, "snoozes_pruned": 0}
    for row in Snooze.objects.filter(state=State.WAKING, lease_until__lt=now):
        with transaction.atomic():
            if Snooze.objects.filter(pk=row.pk, state=State.WAKING,
                                     attempts=row.attempts).update(
                    state=State.WAITING, claimed_by="", lease_until=None, next_try=now):
                wake_job.using(run_after=now).enqueue(str(row.pk))
                done["snoozes_resumed"] += 1
    # A waiting row long past its time (and its retry's) has lost its job.
    overdue = now - timedelta(seconds=2 * settings.HERON_QUEUE_TICK_SECONDS)
    for row in Snooze.objects.filter(state=State.WAITING, wake_at__lt=overdue).filter(
            Q(next_try__isnull=True) | Q(next_try__lt=overdue)):
        wake_job.using(run_after=now).enqueue(str(row.pk))
        done["snoozes_due"] += 1
    done["snoozes_pruned"], _kinds = Snooze.objects.filter(
        state__in=(State.WOKEN, State.DONE, State.GONE),
        woken_at__lt=now - KEEP_NOTES).delete()
    return done


tasks.RECOVERIES.append(recover)
