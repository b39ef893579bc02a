"""Integration tests talk to the real stack started by `make services` (see .stack/env)."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from imapclient import IMAPClient

from webmail.imap.types import ServerConfig

pytestmark = pytest.mark.integration


def _stack_users():
    raw = os.environ.get("STACK_USERS", "")
    pairs = dict(item.split(":", 1) for item in raw.split() if ":" in item)
    if not pairs or not os.environ.get("IMAP_HOST"):
        pytest.fail("The integration tests need the service stack: run `make test`, or "
                    "`make services` and `set -a; . .stack/env; set +a` first.")
    return pairs


@pytest.fixture(scope="session")
def stack_users():
    return _stack_users()


@pytest.fixture(scope="session")
def dovecot():
    _stack_users()
    return ServerConfig(os.environ["IMAP_HOST"], int(os.environ["IMAP_PORT"]),
                        os.environ.get("IMAP_SECURITY", "none"))


@pytest.fixture
def direct_imap(dovecot, stack_users):
    """An independent imapclient connection, to check what Heron shows against the server."""
    opened = []

    def connect(user):
        client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
        client.login(user, stack_users[user])
        opened.append(client)
        return client

    yield connect
    for client in opened:
        client.logout()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def demo_server():
    """The demo IMAP server of `make run` (pymap): no SORT, no SPECIAL-USE, no CONDSTORE."""
    port = free_port()
    pymap = Path(sys.executable).with_name("pymap")
    process = subprocess.Popen(
        [str(pymap), "--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict",
         "--demo-data"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the demo IMAP server did not start")
    yield ServerConfig("127.0.0.1", port, "none")
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def use_imap_server(settings):
    """Point Heron's default IMAP server elsewhere for one test."""
    from django.core.cache import cache

    def point(config):
        settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SECURITY = (
            config.host, config.port, config.security)
        cache.clear()  # the domain -> server lookup is cached

    return point


def log_in(client, user, password):
    return client.post("/accounts/login/", {"username": user, "password": password})
