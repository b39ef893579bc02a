"""Held messages sent by real worker processes (`manage.py heron_worker`) on the stack:
two workers and a hundred due messages give a hundred deliveries, counted in Dovecot; a
worker SIGKILLed in the middle of a send leads to no duplicate and no loss.

The workers run against this test's database (committed for real: transactional_db), log
in with the stack's service login, send through the stack's SMTP server into Dovecot and
file in Sent. Nothing here is a stand-in."""
import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from accounts import identities
from tests.helpers import wait_for
from webmail import mail, outbox
from webmail.models import HeldMessage

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
ALICE, BOB = "alice@heron.test", "bob@heron.test"
State = HeldMessage.State


@pytest.fixture(autouse=True)
def _service_login(stack_users, service_login):
    return service_login


@pytest.fixture
def alice(db):
    user = get_user_model().objects.create(username=ALICE)
    identities.identities_for(user)
    return user


@pytest.fixture
def workers(tmp_path):
    """start(name, **env) runs a worker process on this test's database; all are killed
    at the end."""
    started = []
    database = connection.settings_dict

    def start(name, **extra):
        env = dict(os.environ)
        env.pop("DATABASE_REPLICA_URLS", None)  # the replica has the stack's data, not ours
        env.update(
            DATABASE_URL=(f"postgres://{database['USER']}:{database['PASSWORD']}@"
                          f"{database['HOST']}:{database['PORT']}/{database['NAME']}"),
            DEBUG="1", HERON_FRONTEND_NAME=name, HERON_QUEUE_TICK_SECONDS="1",
            HERON_SEND_RETRY_SECONDS="1", **extra)
        log = open(tmp_path / f"{name}.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "heron_worker", "--interval", "0.2"], cwd=ROOT,
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def hold(user, to, subject, when):
    data = {"draft": uuid.uuid4().hex, "version": 0,
            "identity": identities.default_identity(user).id, "to": to, "cc": "", "bcc": "",
            "subject": subject, "body": f"{subject}\n", "format": "text"}
    with mail.service_mail(user.username) as session:
        return outbox.hold(session, user, data, send_at=when, kind=HeldMessage.Kind.LATER)


def delivered(direct_imap, user, tag, folder="INBOX"):
    client = direct_imap(user)
    client.select_folder(folder, readonly=True)
    return len(client.search(["SUBJECT", tag]))


def test_two_workers_and_a_hundred_due_messages_give_a_hundred_deliveries(
        alice, workers, direct_imap):
    tag = f"hundred-{uuid.uuid4().hex[:10]}"
    when = timezone.now() + timedelta(seconds=3)
    held = [hold(alice, BOB, f"{tag} {n}", when) for n in range(100)]
    workers("worker-a")
    workers("worker-b")
    wait_for(lambda: HeldMessage.objects.filter(pk__in=[h.pk for h in held],
                                                state=State.SENT).count() == 100,
             "all hundred sent", timeout=180)
    assert delivered(direct_imap, BOB, tag) == 100
    assert delivered(direct_imap, ALICE, tag, folder="Sent") == 100
    rows = HeldMessage.objects.filter(pk__in=[h.pk for h in held])
    assert {row.attempts for row in rows} == {1}
    late = max((row.sent_at - row.send_at).total_seconds() for row in rows)
    print(f"\n100 messages, workers {sorted({r.claimed_by for r in rows})}: last one "
          f"{late:.1f} s after its time")


def test_a_worker_killed_mid_send_gives_no_duplicate_and_no_loss(
        alice, workers, direct_imap):
    """The stack's SMTP server answers RCPT for bob+slow@ only after a few seconds: the
    first worker is killed while it waits, with the message half sent."""
    tag = f"killed-{uuid.uuid4().hex[:10]}"
    held = hold(alice, "bob+slow@heron.test", tag, timezone.now())
    first = workers("worker-a", HERON_SEND_LEASE_SECONDS="3")
    wait_for(lambda: HeldMessage.objects.filter(pk=held.pk, state=State.SENDING).exists(),
             "the first worker takes it", timeout=30)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)
    taken = HeldMessage.objects.get(pk=held.pk)
    assert taken.phase == HeldMessage.Phase.TALKING and taken.attempts == 1
    assert delivered(direct_imap, BOB, tag) == 0
    workers("worker-b", HERON_SEND_LEASE_SECONDS="30")
    done = wait_for(lambda: HeldMessage.objects.filter(pk=held.pk, state=State.SENT).first(),
                    "the second worker sends it", timeout=60)
    assert done.attempts == 2 and done.claimed_by != taken.claimed_by
    assert delivered(direct_imap, BOB, tag) == 1
    assert delivered(direct_imap, ALICE, tag, folder="Sent") == 1
