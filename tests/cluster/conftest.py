"""Cluster tests go through nginx to the three frontends of `make cluster` (see .stack/env).

They talk HTTP only, as a browser would, and take parts of the stack away and back with
deploy/cluster/service.sh. Every part taken away is brought back in a `finally`.
"""
import os
import re
import signal
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from imapclient import IMAPClient

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_STATE = ROOT / ".stack" / "cluster"
ALICE, BOB = "alice@heron.test", "bob@heron.test"


def _cluster():
    url = os.environ.get("CLUSTER_URL", "").rstrip("/")
    frontends = os.environ.get("CLUSTER_FRONTENDS", "").split()
    if not url or not frontends or not os.environ.get("STACK_USERS"):
        pytest.fail("The cluster tests need the load-balanced cluster: run `make test`, or "
                    "`make cluster` and `set -a; . .stack/env; set +a` first.")
    return url, frontends


@pytest.fixture(autouse=True)
def _fresh_state():
    """Replaces the suite-wide reset: nothing runs in this process but HTTP and IMAP
    clients, and clearing Django's caches here would FLUSHDB the stack's Redis."""
    yield


@pytest.fixture(scope="session")
def cluster_url():
    return _cluster()[0]


@pytest.fixture(scope="session")
def frontend_urls():
    return _cluster()[1]


@pytest.fixture(scope="session")
def stack_users():
    _cluster()
    return dict(item.split(":", 1) for item in os.environ["STACK_USERS"].split() if ":" in item)


def eventually(check, what, timeout=20.0, interval=0.25):
    """check()'s first truthy result within timeout seconds, or a failure naming what."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except requests.RequestException:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


class Browser:
    """One user's browser pointed at the balancer: one cookie jar, and the frontend that
    answered each request (X-Heron-Frontend) in `frontends`."""

    def __init__(self, base):
        self.base = base
        self.http = requests.Session()
        self.frontends = []

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        response = self.http.request(method, self.base + path, **kwargs)
        self.frontends.append(response.headers.get("X-Heron-Frontend"))
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data=None, headers=None, **kwargs):
        headers = {"X-CSRFToken": self.http.cookies.get("csrftoken", ""), **(headers or {})}
        return self.request("POST", path, data=data, headers=headers, **kwargs)

    def log_in(self, user, password):
        self.get("/accounts/login/")
        response = self.post("/accounts/login/", {"username": user, "password": password})
        assert response.status_code == 302, f"login refused: {response.text[:300]}"
        assert response.headers["Location"] == "/mail/"
        return response

    def forget_primary_pin(self):
        """Drop the recent-write cookie, as if its few seconds had passed: reads go to the
        replica again."""
        self.http.cookies.set("heron_pin", None)


@pytest.fixture
def browser(cluster_url):
    made = []

    def make():
        made.append(Browser(cluster_url))
        return made[-1]

    yield make
    for each in made:
        each.http.close()


@pytest.fixture
def alice(browser, stack_users):
    person = browser()
    person.log_in(ALICE, stack_users[ALICE])
    return person


def service(action, name):
    """deploy/cluster/service.sh stop|start NAME, failing the test with its output."""
    done = subprocess.run(["bash", "deploy/cluster/service.sh", action, name], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"service.sh {action} {name} failed:\n{done.stdout}{done.stderr}")


@contextmanager
def taken_away(name):
    """The stack part NAME is stopped inside the block and started again after it."""
    service("stop", name)
    try:
        yield
    finally:
        service("start", name)


def kill_frontend(name):
    """SIGKILL a frontend's gunicorn master and workers at once, as a crashed machine."""
    pid = int((CLUSTER_STATE / f"{name}.pid").read_text())
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    assert "gunicorn" in command and name in command, f"pid {pid} is not {name}: {command}"
    # deploy/cluster starts each frontend in its own session, so in its own process group.
    assert os.getpgid(pid) == pid, f"{name} does not lead its own process group"
    os.killpg(pid, signal.SIGKILL)


def seen_by_balancer(cluster_url, count):
    """The frontends that answered `count` consecutive /healthz through the balancer."""
    return {requests.get(f"{cluster_url}/healthz", timeout=5).headers.get("X-Heron-Frontend")
            for _ in range(count)}


@pytest.fixture
def all_frontends(cluster_url, frontend_urls):
    """Every frontend is up and back in the balancer's rotation (a frontend that failed
    stays out of it for a few seconds)."""
    for url in frontend_urls:
        eventually(lambda url=url: requests.get(f"{url}/healthz", timeout=5).ok,
                   f"{url} answers /healthz (is the cluster up? make cluster)", timeout=10)

    def every_frontend_answers():
        seen = seen_by_balancer(cluster_url, 2 * len(frontend_urls))
        return sorted(seen) if len(seen) == len(frontend_urls) else None

    return eventually(every_frontend_answers, "the balancer sends requests to every frontend",
                      timeout=15)


@pytest.fixture
def direct_imap(stack_users):
    """Independent imapclient connections to Dovecot, to check what Heron did."""
    opened = []

    def connect(user):
        client = IMAPClient(os.environ["IMAP_HOST"], port=int(os.environ["IMAP_PORT"]),
                            ssl=False, timeout=10)
        client.login(user, stack_users[user])
        opened.append(client)
        return client

    yield connect
    for client in opened:
        client.logout()


def set_undo(person, seconds):
    """The person's Undo send delay (Settings): 0 sends at once, as tests of plain sending
    expect; the cluster has a service login, so a new user's Send is held 10 s."""
    done = person.post("/accounts/settings/preferences/writing/", {
        "compose_format": "text", "reply_position": "above", "signature_position": "reply",
        "undo_seconds": str(seconds), "ask_subject": "on", "ask_attachment": "on"})
    assert done.status_code == 302, done.text[:300]


@pytest.fixture
def token():
    """A word unique to one test, put in subjects and names."""
    return f"cluster{uuid.uuid4().hex[:10]}"


def add_identity(person, name):
    added = person.post("/accounts/settings/", {"name": name, "email": "alice.cluster@heron.test"})
    assert added.status_code == 302, f"{added.status_code}: {added.text[:500]}"


def identity_id(page, name):
    found = re.search(rf'href="/accounts/settings/identities/(\d+)/" aria-label="Edit [^"]*'
                      rf'{re.escape(name)}', page)
    return found and found.group(1)


def delete_identity(person, name):
    page = person.get("/accounts/settings/").text
    found = identity_id(page, name)
    if found:
        person.post(f"/accounts/settings/identities/{found}/delete/")


@pytest.fixture
def saved_identity(alice, browser, stack_users, token):
    """An identity Alice saved (a row in PostgreSQL); deleted afterwards in a new session,
    since a test may have lost the old one with Redis."""
    name = f"Alice {token}"
    add_identity(alice, name)
    yield name
    cleaner = browser()
    cleaner.log_in(ALICE, stack_users[ALICE])
    delete_identity(cleaner, name)
