"""A rolling upgrade: the previous release and this one serve side by side, behind one
nginx, on the one Redis and database, and a user clicking through notices nothing.

The previous release pickled what it kept in Redis; this one writes JSON (see
webmail/cachejson.py). Cached values of the two live under different keys (the cache's
VERSION), so each takes the other's for misses; sessions keep their keys, and this
release writes them as the previous one reads them, so no one is logged out.

Which release is "previous": HERON_PREVIOUS_RELEASE (any git revision), else the parent
of the commit that made webmail/cachejson.py, the last release that pickled (HEAD when
that commit is not made yet). The test makes a git worktree of it, starts it and the
checkout the test runs from as one gunicorn each next to the cluster, puts an nginx of
its own before the two (round robin: requests alternate), and stops all of it in a
finally.
"""
import os
import re
import secrets
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import redis
from imapclient import IMAPClient

from tests.cluster.conftest import ALICE, ROOT, Browser
from tests.cluster.own_frontends import Frontend, start_balancer, stop_all
from tests.helpers import free_port

pytestmark = pytest.mark.cluster


def _git(*args, cwd=ROOT):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True, timeout=60).stdout.strip()


def previous_release():
    chosen = os.environ.get("HERON_PREVIOUS_RELEASE")
    if chosen:
        return _git("rev-parse", "--verify", f"{chosen}^{{commit}}")
    made = _git("log", "--diff-filter=A", "--format=%H", "--", "webmail/cachejson.py")
    return _git("rev-parse", f"{made.split()[-1]}^" if made else "HEAD")


@pytest.fixture
def releases(stack_users):
    """(balancer URL, the old and new frontends' names): the previous release and this
    checkout behind an nginx of their own; everything stopped and removed after."""
    work = Path(tempfile.mkdtemp(prefix="heron-rolling-"))
    old_code, old_rev = work / "previous", previous_release()
    started, nginx = [], None
    _git("worktree", "add", "--detach", str(old_code), old_rev)
    try:
        env = {**os.environ, "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
               "ALLOWED_HOSTS": "127.0.0.1,localhost", "TRUSTED_PROXIES": "127.0.0.1",
               # The cluster's Redis database: database 0 is flushed by in-process tests.
               "REDIS_URL": os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/1"}
        names = (f"old-{old_rev[:7]}", "new")
        for name, code in zip(names, (old_code, ROOT)):
            started.append(Frontend(name, code, free_port(), env, work))
        deadline = time.monotonic() + 30
        for frontend in started:
            frontend.wait_ready(deadline)
        nginx, balancer = start_balancer(work, [frontend.url for frontend in started],
                                         deadline + 5)
        yield balancer, names, started
    finally:
        stop_all(nginx, started)
        _git("worktree", "remove", "--force", str(old_code))
        subprocess.run(["rm", "-rf", str(work)], check=False)


class Checked(Browser):
    """A browser that fails on any 5xx and on any redirect to the login page."""

    def request(self, method, path, **kwargs):
        response = super().request(method, path, **kwargs)
        where = f"{method} {path} on {self.frontends[-1]}"
        assert response.status_code < 500, f"{where}: {response.status_code}"
        if not path.startswith("/accounts/login/"):
            assert "/accounts/login/" not in response.headers.get("Location", ""), (
                f"{where}: sent to log in again")
        return response


def _ok(response):
    assert response.status_code == 200, f"{response.status_code}: {response.text[:300]}"
    return response


def click_through(person, password, token):
    """Log in, list, open, save a draft and send to oneself, open what came: each
    request on the frontend after the previous one's."""
    person.log_in(ALICE, password)
    _ok(person.get("/mail/"))
    first = _ok(person.get("/api/messages/")).json()["messages"][0]["url"]
    _ok(person.get(first))
    _ok(person.get(first.replace("/?", "/body/?", 1) if "/?" in first else first + "body/"))
    page = _ok(person.get("/mail/compose/")).text
    draft = re.search(r'name="draft" value="([0-9a-f]{32})"', page).group(1)
    identity = re.search(r'<option value="(\d+)"[^>]*selected', page).group(1)
    fields = {"draft": draft, "identity": identity, "to": ALICE, "format": "text",
              "subject": f"Rolling {token}", "body": "Written across two releases."}
    saved = _ok(person.post("/mail/compose/save/", {**fields, "version": "0"},
                            headers={"Accept": "application/json"}))
    sent = person.post("/mail/compose/send/", {**fields, "version": saved.json()["version"]})
    assert sent.status_code == 302, sent.text[:300]
    # A send on this release is held for Undo (10 s unless the user chose otherwise) and
    # then taken by a worker; the previous release sent at once.
    deadline = time.monotonic() + 15 + 10
    while True:
        found = [m for m in _ok(person.get("/api/messages/")).json()["messages"]
                 if token in m["subject"]]
        if found:
            break
        assert time.monotonic() < deadline, "the message sent did not arrive"
        time.sleep(0.3)
    _ok(person.get(found[0]["url"]))
    _ok(person.get("/mail/"))


def test_the_previous_release_and_this_one_serve_one_user_side_by_side(
        releases, stack_users):
    balancer, (old, new), frontends = releases
    person = Checked(balancer)
    tokens = [f"rolling{secrets.token_hex(5)}" for _ in range(2)]
    try:
        click_through(person, stack_users[ALICE], tokens[0])
        # Again, each request now on the other release than the first time.
        first_time = list(person.frontends)
        if person.frontends[-1] != first_time[0]:
            person.get("/healthz")
        start = len(person.frontends)
        click_through(person, stack_users[ALICE], tokens[1])
        second_time = person.frontends[start:]

        assert set(first_time) == {old, new}
        assert all(a != b for a, b in zip(first_time, first_time[1:])), (
            "consecutive requests alternated between the releases")
        assert all(a != b for a, b in zip(first_time, second_time)), (
            "each step was taken on the other release the second time")
        for frontend in frontends:
            assert frontend.errors() == [], f"{frontend.name} logged errors"
            assert Path(f"/proc/{frontend.process.pid}/cwd").resolve() == frontend.code.resolve()
        kept = redis.Redis.from_url(os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/1")
        assert kept.keys("heron:1:heron:summary:*") and kept.keys("heron:2:heron:summary:v*"), (
            "both releases keep message summaries in the one Redis, each under its keys")
    finally:
        person.http.close()
        _remove_sent(stack_users, tokens)


def _remove_sent(stack_users, tokens):
    client = IMAPClient(os.environ["IMAP_HOST"], port=int(os.environ["IMAP_PORT"]), ssl=False,
                        timeout=10)
    try:
        client.login(ALICE, stack_users[ALICE])
        for folder in ("INBOX", "Sent", "Drafts"):
            if not client.folder_exists(folder):
                continue
            client.select_folder(folder)
            found = set()
            for token in tokens:
                found.update(client.search(["SUBJECT", token]))
            if found:
                client.delete_messages(list(found))
                client.expunge()
    finally:
        client.logout()
