"""Integration tests talk to the real stack started by `make services` (see .stack/env)."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.helpers import free_port
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


@pytest.fixture(scope="session")
def demo_server():
    """The demo IMAP server of `make run` (pymap): no SORT, no SPECIAL-USE, no CONDSTORE."""
    port = free_port()
    pymap = Path(sys.executable).with_name("pymap")
    process = subprocess.Popen(
        [str(pymap), "--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict",
         "--demo-data", "--demo-user", "demo@heron.demo"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


# --- The contract suite: the same tests against every kind of IMAP server -----------------
SERVER_KINDS = ["dovecot", "cyrus", "demo"]


class Account:
    """A mail account on one server, with a direct connection for checking and setting up."""

    def __init__(self, kind, config, username, password):
        self.kind, self.config = kind, config
        self.username, self.password = username, password

    def connect(self):
        client = IMAPClient(self.config.host, port=self.config.port, ssl=False, timeout=10)
        client.login(self.username, self.password)
        return client


def stack_account(kind, stack_users, user="bob@heron.test"):
    """user's account on the stack's "dovecot" or "cyrus"."""
    if kind == "dovecot":
        config = ServerConfig(os.environ["IMAP_HOST"], int(os.environ["IMAP_PORT"]), "none")
        return Account(kind, config, user, stack_users[user])
    if not os.environ.get("CYRUS_IMAP_HOST"):
        pytest.fail("CYRUS_IMAP_HOST is not set: the stack has no Cyrus (run make test)")
    config = ServerConfig(os.environ["CYRUS_IMAP_HOST"], int(os.environ["CYRUS_IMAP_PORT"]),
                          "none")
    return Account(kind, config, user, stack_users[user])


@pytest.fixture(params=SERVER_KINDS)
def account(request, stack_users):
    kind = request.param
    if kind in ("dovecot", "cyrus"):
        return stack_account(kind, stack_users)
    demo = request.getfixturevalue("demo_server")
    return Account(kind, demo, "demo@heron.demo", "demopass")


@pytest.fixture
def scratch(account):
    """A fresh folder on the account's server, filled by the test, deleted afterwards.

    Yields (connection, folder name, append) where append(msg, flags=()) stores an
    EmailMessage and returns its UID.
    """
    import uuid

    conn = account.connect()
    name = f"HeronTest-{uuid.uuid4().hex[:10]}"
    conn.create_folder(name)
    conn.subscribe_folder(name)

    def append(msg, flags=()):
        conn.select_folder(name)
        before = set(conn.search(["ALL"]))
        conn.append(name, msg.as_bytes() if hasattr(msg, "as_bytes") else msg, flags)
        conn.select_folder(name)
        added = sorted(set(conn.search(["ALL"])) - before)
        return added[-1]

    yield conn, name, append
    from webmail import mail

    # Heron's pooled connection may still have the folder selected. Dovecot refuses to
    # delete a folder that was deleted and made again under a session that kept the old
    # one open ("Corrupted transaction log… indexid changed", then SERVERBUG Internal
    # error on every try), so that session is logged out first.
    mail.POOL.clear()
    try:
        conn.select_folder("INBOX")
        conn.delete_folder(name)
    finally:
        conn.logout()


@pytest.fixture
def heron(account, client, use_imap_server, db):
    """A Django test client logged in to Heron as the account."""
    use_imap_server(account.config)
    response = log_in(client, account.username, account.password)
    assert response.status_code == 302, response.content[:500]
    return client
