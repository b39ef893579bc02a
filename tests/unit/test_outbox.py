"""The held-message engine (webmail/outbox.py, webmail/tasks.py): hold, take back, deliver
once, retry, refuse back to Drafts, and what a worker killed at each point of a send
leaves; through the in-memory mail server and a stand-in for webmail.smtp.send."""
import uuid
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts import identities
from attachments import storage
from tests.unit.conftest import log_in
from webmail import delivery, mail, outbox, smtp, tasks
from webmail.models import HeldMessage, QueueBeat

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"
SERVICE, SERVICE_PW = "heron-service", "service-secret"
State = HeldMessage.State


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the worker catches it."""


class Smtp:
    """What smtp.send was given, sent once per call; `fail` raises at a chosen point."""

    def __init__(self):
        self.sent = []
        self.fail = None  # (where: "talking" | "committed", exception)

    def send(self, config, username, password, envelope, message, *, trusted_relay=False,
             act_as=None, on_chunk=None, before_end=None):
        data = message.read()
        if on_chunk:
            on_chunk()
        where, exc = self.fail or (None, None)
        if where == "talking":
            raise exc
        if before_end:
            before_end()
        if where == "committed":
            raise exc
        self.sent.append((username, password, act_as, envelope, data))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media")}}}
    settings.HERON_SERVICE_USER = SERVICE
    settings.HERON_SERVICE_PASSWORD = SERVICE_PW


@pytest.fixture
def server(fake_server):
    fake_server.services = {SERVICE: SERVICE_PW}
    fake_server.account(ALICE).folders.setdefault("Drafts", type(
        fake_server.account(ALICE).folders["Trash"])("Drafts"))
    return fake_server


@pytest.fixture
def wire(monkeypatch):
    box = Smtp()
    monkeypatch.setattr(smtp, "send", box.send)
    return box


@pytest.fixture
def alice(client, server):
    assert log_in(client).status_code == 302
    return get_user_model().objects.get(username=ALICE)


def compose_data(user, **fields):
    identity = identities.default_identity(user)
    data = {"draft": uuid.uuid4().hex, "version": 0, "identity": identity.id,
            "to": "bob@heron.test", "cc": "", "bcc": "carol@heron.test",
            "subject": "Held", "body": "Wait for it.", "format": "text"}
    data.update(fields)
    return data


def hold(user, when=None, kind=HeldMessage.Kind.UNDO, **fields):
    data = compose_data(user, **fields)
    with mail.service_mail(user.username) as session:
        session.save_draft(b"X-Heron-Draft: " + data["draft"].encode()
                           + b"\r\nSubject: Held\r\n\r\nWait for it.\r\n", data["draft"])
        return outbox.hold(session, user, data, kind=kind,
                           send_at=when or timezone.now() - timedelta(seconds=1))


def folder(server, name):
    return list(server.account(ALICE).folders[name].messages.values())


def test_holding_keeps_the_message_off_drafts_and_queues_a_job_at_its_time(alice, server):
    when = timezone.now() + timedelta(seconds=10)
    held = hold(alice, when)
    assert held.state == State.QUEUED and held.send_at == when
    assert folder(server, "Drafts") == []
    job = DBTaskResult.objects.get(task_path="webmail.delivery.deliver_job")
    assert job.run_after == when and job.args_kwargs["args"] == [str(held.id)]
    assert storage.open_held(held.blob).read().startswith(b"")
    assert QueueBeat.objects.filter(name=tasks.TICK).exists()


def test_a_job_before_its_time_sends_nothing(alice, wire):
    held = hold(alice, timezone.now() + timedelta(minutes=5))
    assert delivery.deliver(held.id, "w1") is None
    assert wire.sent == []


def test_a_due_message_is_sent_once_for_the_user_and_filed_in_sent_with_bcc(alice, server,
                                                                          wire):
    held = hold(alice)
    assert delivery.deliver(held.id, "w1") == State.SENT
    assert delivery.deliver(held.id, "w2") is None  # a second worker, or the job run twice
    [(login, password, act_as, envelope, data)] = wire.sent
    assert (login, password, act_as) == (SERVICE, SERVICE_PW, ALICE)
    assert set(envelope.recipients) == {"bob@heron.test", "carol@heron.test"}
    assert b"carol@heron.test" not in data.split(b"\r\n\r\n")[0]
    [filed] = [m for m in folder(server, "Sent") if m.header("Subject") == "Held"]
    assert "carol@heron.test" in filed.header("Bcc")
    held.refresh_from_db()
    assert held.state == State.SENT and storage.open_held(held.blob) is None


def test_undo_puts_the_draft_back_as_it_was(alice, server, wire):
    held = hold(alice, timezone.now() + timedelta(seconds=10))
    with mail.service_mail(ALICE) as session:
        uid = outbox.recall(session, alice, held)
    [draft] = folder(server, "Drafts")
    assert draft.uid == uid
    parsed = message_from_bytes(draft.raw, policy=policy.default)
    assert parsed["Subject"] == "Held" and parsed["X-Heron-Draft"] == held.draft_key
    assert "carol@heron.test" in parsed["Bcc"]
    assert parsed.get_body(("plain",)).get_content().strip() == "Wait for it."
    assert delivery.deliver(held.id, "w1") is None and wire.sent == []


def test_undo_is_too_late_once_a_worker_has_it(alice, wire):
    held = hold(alice)
    delivery.deliver(held.id, "w1")
    with mail.service_mail(ALICE) as session, pytest.raises(outbox.TooLate):
        outbox.recall(session, alice, held)


def test_a_server_that_puts_off_is_tried_again_later_then_refused_back_to_drafts(
        alice, server, wire, settings):
    settings.HERON_SEND_ATTEMPTS = 2
    wire.fail = ("talking", smtp.SmtpUnavailable("timeout"))
    held = hold(alice)
    assert delivery.deliver(held.id, "w1") == State.RETRYING
    held.refresh_from_db()
    assert held.send_at > timezone.now() and "cannot be reached" in held.last_error
    assert DBTaskResult.objects.filter(task_path="webmail.delivery.deliver_job").count() == 2
    HeldMessage.objects.filter(pk=held.pk).update(send_at=timezone.now())
    assert delivery.deliver(held.id, "w1") == State.FAILED
    held.refresh_from_db()
    assert held.state == State.CANCELLED  # back in Drafts, with its reason
    assert [d.header("Subject") for d in folder(server, "Drafts")] == ["Held"]
    assert "cannot be reached" in outbox.failure_for_draft(alice, held.draft_key)
    assert [h.pk for h in outbox.untold_failures(alice)] == [held.pk]
    assert outbox.untold_failures(alice) == []  # told once


def test_a_refusal_comes_back_to_drafts_at_once_with_the_servers_words(alice, server, wire):
    wire.fail = ("talking", smtp.SmtpRefused("550 5.7.1 relaying denied"))
    held = hold(alice)
    assert delivery.deliver(held.id, "w1") == State.FAILED
    assert "550 5.7.1 relaying denied" in outbox.failure_for_draft(alice, held.draft_key)
    assert len(folder(server, "Drafts")) == 1 and wire.sent == []


def expire_leases():
    HeldMessage.objects.filter(state=State.SENDING).update(
        lease_until=timezone.now() - timedelta(seconds=1))


def test_a_worker_killed_before_the_end_of_data_leaves_it_to_be_sent_once(alice, wire):
    held = hold(alice)
    wire.fail = ("talking", Killed())
    with pytest.raises(Killed):
        delivery.deliver(held.id, "w1")
    wire.fail = None
    assert delivery.deliver(held.id, "w2") is None  # still leased to the dead worker
    expire_leases()
    assert delivery.recover()["retried"] == 1
    assert delivery.deliver(held.id, "w2") == State.SENT
    assert len(wire.sent) == 1


def test_a_worker_killed_after_the_end_of_data_is_never_sent_again(alice, wire):
    held = hold(alice)
    wire.fail = ("committed", Killed())
    with pytest.raises(Killed):
        delivery.deliver(held.id, "w1")
    expire_leases()
    assert delivery.recover()["uncertain"] == 1
    wire.fail = None
    assert delivery.deliver(held.id, "w2") is None and wire.sent == []
    held.refresh_from_db()
    assert held.state == State.UNCERTAIN and held.untold
    assert outbox.send_now(alice, held)  # the user chooses to send it again
    assert delivery.deliver(held.id, "w2") == State.SENT


def test_a_reply_lost_after_the_end_of_data_is_uncertain_not_retried(alice, wire):
    held = hold(alice)
    wire.fail = ("committed", smtp.SmtpUnavailable("reset"))
    assert delivery.deliver(held.id, "w1") == State.UNCERTAIN


def test_a_worker_past_its_lease_cannot_finish_what_another_took_over(alice, wire):
    held = hold(alice)
    assert delivery._take(held.id, "w1", timezone.now()) == 1
    held.refresh_from_db()
    stale = delivery._Lease(held, "w1")
    expire_leases()
    delivery.recover()
    assert delivery.deliver(held.id, "w2") == State.SENT
    with pytest.raises(delivery._LostLease):
        stale.committing()


def test_a_sent_message_not_yet_filed_is_filed_by_the_tick_once(alice, server, wire):
    held = hold(alice)
    HeldMessage.objects.filter(pk=held.pk).update(state=State.ACCEPTED)
    assert delivery.recover()["filed"] == 1
    assert delivery.recover()["filed"] == 0
    assert [m.header("Subject") for m in folder(server, "Sent")].count("Held") == 1


def test_reschedule_moves_the_time_and_queues_a_job_for_it(alice, wire):
    held = hold(alice, timezone.now() + timedelta(hours=1), kind=HeldMessage.Kind.LATER)
    later = timezone.now() + timedelta(days=1)
    assert outbox.reschedule(alice, held, later)
    assert delivery.deliver(held.id, "w1") is None
    assert DBTaskResult.objects.filter(run_after=later).exists()
    assert outbox.send_now(alice, held) and delivery.deliver(held.id, "w1") == State.SENT


def test_one_users_held_messages_are_not_anothers(alice, server):
    held = hold(alice)
    other = get_user_model().objects.create(username="carol@heron.test")
    assert outbox.held_for(other, held.id) is None
    assert outbox.held_for(alice, held.id) == held
    assert outbox.held_for(alice, "not-a-uuid") is None
    assert outbox.scheduled_for(other) == []


def test_holding_needs_a_recipient_and_leaves_the_draft_when_refused(alice, server):
    with pytest.raises(outbox.compose.AddressError):
        hold(alice, to="", bcc="")
    assert len(folder(server, "Drafts")) == 1
    assert not HeldMessage.objects.exists()


def test_the_tick_keeps_one_chain_whoever_starts_it(alice):
    now = timezone.now()
    assert tasks.ensure_tick(now)
    assert not tasks.ensure_tick(now)  # a second worker starting finds it alive
    beat = QueueBeat.objects.get(name=tasks.TICK)
    assert tasks.tick.call("not-the-due-one") == "stale"
    tasks.tick.call(beat.due.isoformat())
    assert QueueBeat.objects.get(name=tasks.TICK).due > beat.due
    stalled = now + timedelta(seconds=10 * 30)
    assert tasks.ensure_tick(stalled)  # a chain that broke is mended


def test_the_queue_figures_say_what_waits_and_what_failed(alice, wire):
    held = hold(alice, timezone.now() - timedelta(seconds=30))
    figures = outbox.queue_figures()
    # Its delivery, and the tick that holding it started: both due, no worker here.
    assert figures["held_waiting"] == 1 and figures["jobs_due"] == 2
    assert 30 <= figures["oldest_due_seconds"] < 90
    wire.fail = ("talking", smtp.SmtpRefused("554 no"))
    DBTaskResult.objects.all().delete()  # as a worker takes the job
    delivery.deliver(held.id, "w1")
    figures = outbox.queue_figures()
    assert figures["held_waiting"] == 0 and figures["oldest_due_seconds"] == 0.0


def test_a_refusal_is_shown_only_while_it_is_the_drafts_latest_news(alice, server, wire):
    wire.fail = ("talking", smtp.SmtpRefused("550 no such user"))
    refused = hold(alice)
    delivery.deliver(refused.id, "w1")
    assert "550 no such user" in outbox.failure_for_draft(alice, refused.draft_key)
    again = hold(alice, timezone.now() + timedelta(seconds=10), draft=refused.draft_key)
    assert outbox.failure_for_draft(alice, refused.draft_key) == ""  # held again
    with mail.service_mail(ALICE) as session:
        outbox.recall(session, alice, again)
    assert outbox.failure_for_draft(alice, refused.draft_key) == ""  # taken back: no news


def test_rows_of_sent_and_taken_back_messages_are_pruned_after_a_week(alice, wire):
    sent = hold(alice)
    delivery.deliver(sent.id, "w1")
    assert delivery.recover()["pruned"] == 0
    HeldMessage.objects.update(created=timezone.now() - delivery.KEEP_FINISHED * 2)
    assert delivery.recover()["pruned"] == 1
