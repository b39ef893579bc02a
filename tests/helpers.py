"""Test helpers: the in-memory mail server and session (tests/fakes/), and summaries."""
import socket
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.fakes import FakeMailServer, FakeMailSession
from webmail.imap.types import Address, MessageSummary

__all__ = ["FakeMailServer", "FakeMailSession", "free_port", "make_summaries", "wait_for"]

# The servers a test starts for itself listen here: inside what deploy/stack/up.sh reserves
# from the kernel's ephemeral range (51000-59999), so no client socket is ever numbered so,
# and apart from every port the stack itself uses. Handed out once each per test run: a
# port asked of the kernel (bind to 0) is free only until the probe closes, so two servers
# started one after the other were given the same one, and the second failed to bind it.
OWN_PORTS = range(57000, 58000)
_own_ports = iter(OWN_PORTS)


def wait_for(check, what, timeout):
    """check()'s first truthy answer, asked every 0.1 s; the test fails after timeout s."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.1)
    return found


def free_port():
    """A port no server listens on and no earlier call of this run has handed out."""
    for port in _own_ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port left in {OWN_PORTS.start}-{OWN_PORTS.stop - 1}")


def make_summaries(count, start_uid=1, unread_every=3):
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return [
        MessageSummary(
            uid=uid, subject=f"Message {uid}", sender=Address(f"Sender {uid}", f"s{uid}@x.test"),
            to=(Address("", "me@x.test"),), date=base + timedelta(hours=uid), size=1000 + uid,
            flags=() if uid % unread_every == 0 else ("\\Seen",), has_attachments=uid % 5 == 0,
        )
        for uid in range(start_uid, start_uid + count)
    ]


def preference_form(user, section, **changes):
    """The POST data of one Settings section as the page fills it for this user, with
    changes (name=value; False leaves a checkbox unticked)."""
    from accounts.forms import PreferencesForm
    from accounts.preferences import shown

    form = PreferencesForm(section, shown(user))
    data = {}
    for name, field in form.fields.items():
        value = changes.get(name, form.initial[name])
        if field.disabled:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = str(value)
    return data


def spy_on_redis(monkeypatch):
    """[(command, [its arguments as text])] of every command this process sends to Redis
    from now on (the real server still answers each)."""
    import redis

    sent = []
    real = redis.Redis.execute_command

    def spy(self, *args, **options):
        sent.append((str(args[0]).upper(), [
            each.decode(errors="replace") if isinstance(each, bytes) else str(each)
            for each in args[1:]]))
        return real(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", spy)
    return sent


def reads_of(commands, name):
    """The reads (GET, MGET) among commands (spy_on_redis's) that ask for the key name."""
    return [command for command, keys in commands
            if command in ("GET", "MGET") and name in keys]
