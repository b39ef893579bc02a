"""The IMAP connections of one account that a frontend's processes hold together are
bounded (webmail/imap/slots.py): processes contend for the slots, a killed holder frees
its slot, a waiter gets a clear error after a bounded wait, and an idle holder gives its
connection back when another process asks."""
import multiprocessing
import os
import signal
import time

import pytest

from webmail.imap.connection import Connection
from webmail.imap.errors import MailServerUnavailable
from webmail.imap.pool import SessionPool
from webmail.imap.slots import Slots, TooBusy, account_tag
from webmail.imap.types import ServerConfig

HOST, PORT, USER = "imap.example.org", 143, "alice@heron.test"
SPAWN = multiprocessing.get_context("spawn")  # no fork of a process with threads
CHILD_SECONDS = 30  # every child gives up on its own after this


def hold_a_slot(directory, taken, done):
    """In a child: take the one slot, say so, hold it until told (or CHILD_SECONDS)."""
    slot = Slots(directory, per_account=1, wait_seconds=5).acquire(HOST, PORT, USER)
    taken.set()
    done.wait(CHILD_SECONDS)
    slot.release()


class GatedSession:
    """A session that holds a slot of its account while logged in, as MailSession's
    Connection does, without a server."""

    def __init__(self, config, timeout=15, gate=None):
        self.config, self.gate, self.slot = config, gate, None

    @property
    def connected(self):
        return self.slot is not None

    def login(self, username, password, act_as=None, lazy=False):
        # A lazy session connects at its first command; this one stands for a session that
        # did, in the request that pooled it.
        self.slot = self.gate.acquire(self.config.host, self.config.port, username)

    def begin_request(self):
        pass

    def close(self):
        slot, self.slot = self.slot, None
        if slot is not None:
            slot.release()


def keep_an_idle_session(directory, pooled, closed):
    """In a child: a pool holds one idle session of the account; report when it closes."""
    pool = SessionPool(factory=GatedSession, gate=Slots(directory, per_account=1))
    with pool.session("key", ServerConfig(HOST, PORT, "none"), USER, "pw"):
        pass
    pooled.set()
    deadline = time.monotonic() + CHILD_SECONDS
    while pool.size() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not pool.size():
        closed.set()


def start(target, *args):
    process = SPAWN.Process(target=target, args=args, daemon=True)
    process.start()
    return process


def test_two_processes_contend_for_one_slot(tmp_path):
    taken, done = SPAWN.Event(), SPAWN.Event()
    child = start(hold_a_slot, str(tmp_path), taken, done)
    try:
        assert taken.wait(CHILD_SECONDS), "the child never took the slot"
        slots = Slots(str(tmp_path), per_account=1, wait_seconds=0.3)
        with pytest.raises(TooBusy):
            slots.acquire(HOST, PORT, USER)
        done.set()
        slots.wait_seconds = 10
        slot = slots.acquire(HOST, PORT, USER)  # as soon as the child lets go
        assert slots.held() == {account_tag(HOST, PORT, USER): 1}
        slot.release()
        assert slots.held() == {}
    finally:
        done.set()
        child.join(CHILD_SECONDS)


def test_a_killed_holder_frees_its_slot(tmp_path):
    taken, done = SPAWN.Event(), SPAWN.Event()
    child = start(hold_a_slot, str(tmp_path), taken, done)
    assert taken.wait(CHILD_SECONDS), "the child never took the slot"
    os.kill(child.pid, signal.SIGKILL)
    child.join(CHILD_SECONDS)
    slot = Slots(str(tmp_path), per_account=1, wait_seconds=10).acquire(HOST, PORT, USER)
    slot.release()


def test_the_wait_is_bounded_and_says_try_again(tmp_path):
    slots = Slots(str(tmp_path), per_account=2, wait_seconds=0.5)
    held = [slots.acquire(HOST, PORT, USER), slots.acquire(HOST, PORT, USER)]
    started = time.monotonic()
    with pytest.raises(TooBusy) as raised:
        slots.acquire(HOST, PORT, USER)
    waited = time.monotonic() - started
    assert 0.5 <= waited < 3
    # A MailServerUnavailable: middleware shows the page for it, never a 500.
    assert isinstance(raised.value, MailServerUnavailable)
    assert "try again" in str(raised.value.user_message)
    # Another account is not held up by this one's.
    slots.acquire(HOST, PORT, "bob@heron.test").release()
    for slot in held:
        slot.release()


def test_an_idle_holder_gives_its_connection_back_when_asked(tmp_path):
    pooled, closed = SPAWN.Event(), SPAWN.Event()
    child = start(keep_an_idle_session, str(tmp_path), pooled, closed)
    try:
        assert pooled.wait(CHILD_SECONDS), "the child never pooled its session"
        slot = Slots(str(tmp_path), per_account=1, wait_seconds=10).acquire(HOST, PORT, USER)
        assert closed.wait(CHILD_SECONDS), "the child's idle session was not closed"
        slot.release()
    finally:
        child.join(CHILD_SECONDS)


def test_a_session_given_back_while_its_account_is_wanted_is_closed(tmp_path):
    gate = Slots(str(tmp_path), per_account=1, wait_seconds=0.2)
    pool = SessionPool(factory=GatedSession, gate=gate)
    config = ServerConfig(HOST, PORT, "none")
    with pool.session("key", config, USER, "pw") as session:
        with pytest.raises(TooBusy):  # another request of the account waits meanwhile
            Slots(str(tmp_path), per_account=1, wait_seconds=0.2).acquire(HOST, PORT, USER)
    assert not session.connected and pool.size() == 0
    assert gate.held() == {}


def test_no_address_in_a_file_name(tmp_path):
    slots = Slots(str(tmp_path), per_account=1, wait_seconds=0.1)
    slot = slots.acquire(HOST, PORT, USER)
    with pytest.raises(TooBusy):
        slots.acquire(HOST, PORT, USER)
    names = os.listdir(tmp_path)
    assert names and not any("alice" in name or "example" in name for name in names)
    slot.release()


def test_a_connection_that_cannot_connect_lets_its_slot_go(tmp_path):
    gate = Slots(str(tmp_path), per_account=1, wait_seconds=0.1)
    # Port 1 on loopback: refused at once.
    conn = Connection(ServerConfig("127.0.0.1", 1, "none"), timeout=2, gate=gate)
    with pytest.raises(MailServerUnavailable):
        conn.login(USER, "pw")
    assert conn.slot is None and gate.held() == {}
