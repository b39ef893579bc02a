import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DraftState(models.Model):
    """Which version of a draft is the latest, so two tabs never overwrite each other.

    The draft itself lives in the IMAP Drafts folder; this row, shared by every frontend,
    counts its saves. A save names the version it started from and is refused when another
    window saved in between."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="draft_states")
    key = models.CharField(max_length=32)  # the compose id, also in the X-Heron-Draft header
    version = models.PositiveIntegerField(default=0)
    uid = models.PositiveBigIntegerField(null=True, blank=True)  # in Drafts, when known
    updated = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="one_state_per_draft")]

    def __str__(self):
        return f"{self.owner} draft {self.key} v{self.version}"


class HeldMessage(models.Model):
    """A message the user has sent that Heron holds until its time: the few seconds in which
    Send can be undone, or the time the user chose with Send later.

    The row is the message's durable state, on the primary; the bytes to send are an object
    in storage (the same message the user would have sent at once, without Bcc), and
    `filed_headers` is its header block with Bcc, for the copy filed in Sent. A worker takes
    it with one conditional UPDATE (state queued or retrying, and due), so two workers never
    both send it; see webmail/delivery.py for the order of "SMTP accepted" and "marked sent".
    """

    class Kind(models.TextChoices):
        UNDO = "undo", _("Held for Undo")
        LATER = "later", _("Scheduled")

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Retrying")
        ACCEPTED = "accepted", _("Sent, filing in Sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Not sent")
        CANCELLED = "cancelled", _("Cancelled")
        UNCERTAIN = "uncertain", _("Perhaps sent")

    class Phase(models.TextChoices):
        NONE = "", _("Not started")
        TALKING = "talking", _("Talking to the server")
        COMMITTING = "committing", _("Server deciding")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="held_messages")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    send_at = models.DateTimeField(db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    # What the Scheduled view shows.
    subject = models.CharField(max_length=998, blank=True)
    shown_to = models.CharField(max_length=998, blank=True)
    # To send it: the envelope, the identity (checked again at sending time), the bytes.
    identity_id = models.BigIntegerField(null=True)
    envelope_from = models.CharField(max_length=320)
    envelope_to = models.JSONField(default=list)
    message_id = models.CharField(max_length=998)
    blob = models.CharField(max_length=255)  # the storage key of the message to send
    size = models.BigIntegerField(default=0)
    filed_headers = models.BinaryField()
    # To put it back in Drafts as it was (Undo, Edit, a refusal): its compose id and the
    # compose fields the draft carries; and the original it answers or forwards.
    draft_key = models.CharField(max_length=32)
    fields = models.JSONField(default=dict)
    answers = models.CharField(max_length=1100, blank=True)
    forwards = models.CharField(max_length=1100, blank=True)
    # Where a send stands: the worker that took it, until when, how far it got.
    attempts = models.PositiveIntegerField(default=0)
    claimed_by = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    phase = models.CharField(max_length=10, choices=Phase.choices, blank=True, default="")
    last_error = models.CharField(max_length=1000, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # A failure the user has not been told of yet (the notice on the next page).
    untold = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["state", "send_at"], name="held_due"),
                   models.Index(fields=["owner", "state"], name="held_owner_state")]

    def __str__(self):
        return f"{self.owner} {self.kind} {self.state} at {self.send_at:%Y-%m-%d %H:%M}"


class QueueBeat(models.Model):
    """The one pending run of a periodic task: its name and the time it is due, so that two
    workers that both start never keep two chains of it (webmail/tasks.py)."""

    name = models.CharField(max_length=40, primary_key=True)
    due = models.DateTimeField()
    ran = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} due {self.due:%H:%M:%S}"


class Snooze(models.Model):
    """Messages the user put away until a time (a message, or a conversation's messages in
    one folder): they wait in the Snoozed folder and come back to `folder` at `wake_at`,
    unread, on top of its list (webmail/snooze.py).

    `messages` follows each of them: [{"id": Message-ID, "uid": its UID in `folder` when
    snoozed, "at": its UID in Snoozed, "back": its UID back in `back_in`}], a UID null
    while not known. A worker takes the row with one conditional UPDATE (waiting and due),
    so two workers never both bring it back."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Snoozed")
        WAKING = "waking", _("Coming back")
        WOKEN = "woken", _("Back")  # on top of its folder's list until newer mail passes it
        DONE = "done", _("Back, in its place")
        GONE = "gone", _("Gone")  # removed from Snoozed by another client meanwhile

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="snoozes")
    folder = models.CharField(max_length=1000)
    state = models.CharField(max_length=8, choices=State.choices, default=State.WAITING)
    wake_at = models.DateTimeField()
    snoozed_at = models.DateTimeField(auto_now_add=True)
    # What the Snoozed view shows: the newest message's subject and sender.
    subject = models.CharField(max_length=998, blank=True)
    sender = models.CharField(max_length=998, blank=True)
    messages = models.JSONField(default=list)
    # Where and when it came back (the Inbox when its folder was gone).
    back_in = models.CharField(max_length=1000, blank=True)
    woken_at = models.DateTimeField(null=True, blank=True)
    # A wake in progress, and why the last one could not finish (tried again at next_try).
    attempts = models.PositiveIntegerField(default=0)
    claimed_by = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    next_try = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "wake_at"], name="snooze_due"),
                   models.Index(fields=["owner", "state"], name="snooze_owner_state")]

    def __str__(self):
        return f"{self.owner} snooze {self.state} until {self.wake_at:%Y-%m-%d %H:%M}"


class VacationSummary(models.Model):
    """What the mail pages need of a user's vacation reply for their banner, kept whenever
    Heron loads or saves the active Sieve script (webmail/filters.py), so that no page
    asks the ManageSieve server. A reply changed by another program shows here once the
    user next opens Filters."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="vacation_summary")
    enabled = models.BooleanField(default=False)
    first_day = models.DateField(null=True, blank=True)
    last_day = models.DateField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user} vacation {'on' if self.enabled else 'off'}"
