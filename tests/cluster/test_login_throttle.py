"""Parallel wrong passwords at two frontends: only as many reach the mail server as the
throttle allows, counted where they land (Dovecot's log of failed logins)."""
import math
import random
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from .conftest import Browser

pytestmark = pytest.mark.cluster
DOVECOT_LOG = Path(__file__).resolve().parents[2] / ".stack" / "dovecot" / "dovecot.log"


def failed_logins_of(user):
    text = DOVECOT_LOG.read_text(errors="replace")
    return sum(1 for line in text.splitlines()
               if "auth failed" in line and f"user=<{user}>" in line)


def test_thirty_parallel_wrong_passwords_reach_dovecot_only_as_allowed(frontend_urls):
    user = f"ghost-{uuid.uuid4().hex[:10]}@heron.test"
    # One client address for the whole burst (the frontends trust 127.0.0.1 as a proxy),
    # new each run, so earlier runs' counts of 127.0.0.1 play no part.
    client = f"198.51.100.{random.randint(1, 254)}"
    browsers = [Browser(frontend_urls[n % 2]) for n in range(30)]
    for each in browsers:
        each.get("/accounts/login/")
    barrier, answers = threading.Barrier(len(browsers)), []

    def attempt(each, n):
        barrier.wait()
        response = each.post("/accounts/login/", {"username": user, "password": f"wrong-{n}"},
                             headers={"X-Forwarded-For": client})
        answers.append((response.status_code, response.text))

    threads = [threading.Thread(target=attempt, args=(each, n))
               for n, each in enumerate(browsers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    burst = time.monotonic() - started
    assert len(answers) == 30 and {status for status, _ in answers} == {200}
    told_wrong = sum("Wrong email address or password" in text for _, text in answers)
    told_wait = sum("Too many failed logins" in text for _, text in answers)
    assert told_wrong + told_wait == 30
    # Dovecot logs each failed login when its connection closes, before Heron answers;
    # its log process may write the line a moment later.
    deadline = time.monotonic() + 5
    while failed_logins_of(user) < told_wrong and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    reached = failed_logins_of(user)
    # The free tries and the one that shuts the gate go at once; after that one more each
    # time the gate opens again, 1, 2, 4… s later: within the burst's length, no more.
    # (A bound from the time the burst took, so a slow machine cannot make it fail.)
    allowed = settings.LOGIN_FAILURES_BEFORE_DELAY + math.floor(math.log2(burst + 1))
    assert 1 <= reached <= min(allowed, settings.LOGIN_FAILURES_BEFORE_LOCK)
    assert reached == told_wrong, (reached, told_wrong, told_wait)
    for each in browsers:
        each.http.close()
