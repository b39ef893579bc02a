"""One user's IMAP connections stay bounded whatever the worker count: three frontends of
four workers each, many requests of one user at once through nginx, and the mail server
never sees more than three frontends x HERON_IMAP_MAX_PER_USER connections of the user
nor refuses one for "too many connections" (webmail/imap/slots.py).

The shared cluster runs two workers a frontend, so the test starts three frontends of
four workers of its own (and an nginx before them, each on a free port) against the stack's
second Dovecot, which keeps Dovecot's default mail_max_userip_connections of 10, as the
user busy@other.test, whom no other test uses: what `doveadm who` lists of that user is
this test's alone.
"""
import os
import secrets
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.cluster.conftest import ROOT, Browser
from tests.cluster.own_frontends import Frontend, start_balancer, stop_all
from tests.helpers import free_port

pytestmark = pytest.mark.cluster

FRONTENDS = 3
WORKERS = 4
PER_USER = 2  # HERON_IMAP_MAX_PER_USER, the default
BROWSERS, THREADS, PAGES = 3, 24, 8  # 192 page views, 24 at a time
DOVECOT2 = ROOT / ".stack" / "dovecot2"
REFUSAL = "Maximum number of connections"


def _bounded_user():
    user, _, password = os.environ.get("STACK_BOUNDED_USER2", "").partition(":")
    if not user or not os.environ.get("DOVECOT2_IMAP_PORT"):
        pytest.fail("The stack has no user for this test (STACK_BOUNDED_USER2): run "
                    "`bash deploy/stack/up.sh`, then `set -a; . .stack/env; set +a`.")
    return user, password


@pytest.fixture
def three_by_four():
    """The balancer URL of three frontends of four workers each, speaking to the second
    Dovecot; all stopped and removed after."""
    work = Path(tempfile.mkdtemp(prefix="heron-slots-"))
    env = {key: value for key, value in os.environ.items()
           if key not in ("HERON_IMAP_SLOTS_DIR", "HERON_IMAP_MAX_PER_USER")}
    env.update({"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1,localhost", "TRUSTED_PROXIES": "127.0.0.1",
                # The cluster's Redis database: database 0 is flushed by in-process tests.
                "REDIS_URL": os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/1",
                "IMAP_HOST": os.environ["DOVECOT2_IMAP_HOST"],
                "IMAP_PORT": os.environ["DOVECOT2_IMAP_PORT"],
                "IMAP_SECURITY": os.environ.get("DOVECOT2_IMAP_SECURITY", "none")})
    started, nginx = [], None
    try:
        # Free ports, as the other cluster tests take: a fixed one inside the kernel's
        # ephemeral range (32768-60999) can be held at that moment by any client socket.
        for n in range(1, FRONTENDS + 1):
            started.append(Frontend(f"bounded-{n}", ROOT, free_port(), env, work,
                                    workers=WORKERS))
        deadline = time.monotonic() + 60
        for frontend in started:
            frontend.wait_ready(deadline)
        nginx, balancer = start_balancer(work, [frontend.url for frontend in started],
                                         deadline + 5)
        yield balancer, started
    finally:
        stop_all(nginx, started)
        subprocess.run(["rm", "-rf", str(work)], check=False)


def connections_of(user):
    """How many IMAP connections of user the second Dovecot has now (doveadm who)."""
    listed = subprocess.run(
        ["doveadm", "-c", str(DOVECOT2 / "dovecot.conf"), "who", "-1", user],
        capture_output=True, text=True, timeout=10, check=True).stdout
    return sum(1 for line in listed.splitlines() if line.split()[:1] == [user])


class Counter(threading.Thread):
    """Samples the user's connections until stopped; `most` is the highest count seen."""

    def __init__(self, user):
        super().__init__(daemon=True)
        self.user, self.most, self.samples = user, 0, 0
        self.stopping = threading.Event()

    def run(self):
        deadline = time.monotonic() + 300
        while not self.stopping.is_set() and time.monotonic() < deadline:
            self.most = max(self.most, connections_of(self.user))
            self.samples += 1
            self.stopping.wait(0.05)


def _page(cookies, url):
    with requests.Session() as http:
        http.cookies.update(cookies)
        return [http.get(f"{url}/mail/", timeout=60, allow_redirects=False).status_code
                for _ in range(PAGES)]


def test_many_requests_of_one_user_stay_under_the_servers_limit(three_by_four):
    balancer, frontends = three_by_four
    user, password = _bounded_user()
    log = DOVECOT2 / "dovecot.log"
    log_start = log.stat().st_size
    counter = Counter(user)
    counter.start()
    try:
        browsers = []
        for _ in range(BROWSERS):
            browser = Browser(balancer)
            browser.log_in(user, password)
            browsers.append(browser)
        with ThreadPoolExecutor(THREADS) as pool:
            answers = list(pool.map(
                _page, [browsers[i % BROWSERS].http.cookies for i in range(THREADS)],
                [balancer] * THREADS))
    finally:
        counter.stopping.set()
        counter.join(15)
    statuses = [status for each in answers for status in each]
    assert statuses == [200] * (THREADS * PAGES), (sorted(set(statuses)), [
        line for frontend in frontends for line in frontend.errors(("WARNING", "ERROR"))][-20:])
    with open(log, errors="replace") as lines:
        lines.seek(log_start)
        refused = [line for line in lines if REFUSAL in line and user in line]
    assert refused == []
    assert counter.samples > 10
    # Seen at all (the count can fail), and never above the frontends' bound.
    assert 1 <= counter.most <= len(frontends) * PER_USER, counter.most
    assert [line for frontend in frontends for line in frontend.errors()] == []
