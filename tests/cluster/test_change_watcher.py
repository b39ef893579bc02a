"""The change watchers of `make cluster` (two shards, deploy/watchers.sh) with the three
frontends behind nginx: a warm page costs no IMAP command on any frontend, new mail reaches
the list and the open stream within two seconds, and a watcher killed mid-session loses no
change: the pages ask the server until its replacement vouches again."""
import subprocess
import time
import uuid

import pytest

from tests.cluster.conftest import ALICE, ROOT, eventually
from tests.cluster.test_event_stream import Stream
from tests.integration import mailfactory as mf

pytestmark = pytest.mark.cluster


def imap_commands(response):
    return int(response.headers["Server-Timing"].split('"')[1].split()[0])


@pytest.fixture
def folder(direct_imap):
    """A fresh folder of alice's with one message, deleted afterwards."""
    conn = direct_imap(ALICE)
    name = f"HeronWatched-{uuid.uuid4().hex[:8]}"
    conn.create_folder(name)
    conn.append(name, mf.message(subject="Already here").as_bytes(), [b"\\Seen"])
    yield conn, name
    conn.select_folder("INBOX")
    conn.delete_folder(name)


def subjects(person, name):
    response = person.get(f"/api/messages/?mailbox={name}")
    assert response.status_code == 200
    return response, {m["subject"] for m in response.json()["messages"]}


def all_warm(person, name):
    """Six pages in a row (two on each frontend) that cost no IMAP command."""
    return all(imap_commands(subjects(person, name)[0]) == 0 for _ in range(6))


def test_warm_pages_cost_nothing_and_new_mail_shows_within_two_seconds(alice, folder):
    conn, name = folder
    eventually(lambda: all_warm(alice, name), "warm pages with no IMAP command", timeout=15)
    stream = Stream(alice, name)
    stream.frame(within=5)  # the stream's "listening" comment: it is subscribed now

    conn.append(name, mf.message(subject="Pushed").as_bytes())
    sent = time.monotonic()
    change = stream.change(within=2)
    assert change["folder"] == name
    assert "Pushed" in subjects(alice, name)[1]
    assert time.monotonic() - sent < 2


def test_a_killed_watcher_loses_no_change(alice, folder):
    conn, name = folder
    eventually(lambda: all_warm(alice, name), "warm pages with no IMAP command", timeout=15)
    for shard in ("1", "2"):
        subprocess.run(["bash", "deploy/watchers.sh", "kill", shard], cwd=ROOT, check=True,
                       capture_output=True, timeout=30)
    conn.append(name, mf.message(subject="While nobody listened").as_bytes())
    # The dead watcher's vouch expires within seconds; from then on the pages ask Dovecot.
    eventually(lambda: "While nobody listened" in subjects(alice, name)[1],
               "the change made while no watcher listened", timeout=10, interval=0.2)
    # The replacements listen again, under new epochs: warm pages are free again.
    eventually(lambda: all_warm(alice, name), "the replacement watcher's vouch", timeout=20)
    assert "While nobody listened" in subjects(alice, name)[1]
