"""The stream of changes through nginx: /mail/events goes to the events processes (uvicorn),
a change published on the cluster's Redis reaches an open stream within 2 s, and idle
streams hold none of the frontends' gunicorn workers."""
import json
import os
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.test import override_settings

from tests.cluster.conftest import ALICE
from webmail import events

pytestmark = pytest.mark.cluster

CAROL = "carol@heron.test"


@contextmanager
def cluster_redis():
    """This process's cache and Redis set to the cluster's database (1, see
    deploy/cluster/lib.sh), so events.publish() speaks to the frontends' Redis."""
    url = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/1"
    default = {**settings.CACHES["default"], "LOCATION": url}
    with override_settings(REDIS_URL=url, CACHES={**settings.CACHES, "default": default}):
        yield


class Stream:
    """An open /mail/events, read frame by frame with a deadline."""

    def __init__(self, person, folder="INBOX"):
        self.response = person.http.get(f"{person.base}/mail/events", params={"folder": folder},
                                         stream=True, timeout=(5, 5))
        self.chunks = self.response.iter_content(chunk_size=None)
        self.buffer = ""

    def frame(self, within):
        """The next frame, waiting at most within seconds; heartbeats are frames too."""
        deadline = time.monotonic() + within
        while "\n\n" not in self.buffer:
            if time.monotonic() > deadline:
                pytest.fail(f"no frame on the stream within {within} s")
            self.buffer += next(self.chunks).decode()
        frame, self.buffer = self.buffer.split("\n\n", 1)
        return frame

    def change(self, within):
        """The next change event's data, skipping heartbeats, within seconds."""
        deadline = time.monotonic() + within
        while True:
            frame = self.frame(max(0.0, deadline - time.monotonic()))
            if frame.startswith(":"):
                continue
            lines = dict(line.split(": ", 1) for line in frame.split("\n"))
            assert lines["event"] == "change"
            return json.loads(lines["data"])

    def close(self):
        self.response.close()


@pytest.fixture
def carol(browser, stack_users):
    person = browser()
    person.log_in(CAROL, stack_users[CAROL])
    return person


def test_a_published_change_reaches_a_stream_opened_through_nginx_within_2_s(alice, carol):
    alice_stream, carol_stream = Stream(alice), Stream(carol)
    try:
        for stream in (alice_stream, carol_stream):
            assert stream.response.status_code == 200
            assert stream.response.headers["Content-Type"] == "text/event-stream"
            # Served by an events process (uvicorn), not by a frontend's gunicorn.
            assert stream.response.headers["X-Heron-Frontend"].startswith("events-")
            assert stream.frame(5).startswith("retry: 3000")  # listening from here on
        with cluster_redis():
            events.publish(ALICE, {"folder": "INBOX", "kind": "new"})
            events.publish(CAROL, {"folder": "Sent", "kind": "flags"})
        assert alice_stream.change(within=2) == {"folder": "INBOX", "kind": "new"}
        # Carol's stream carries Carol's change, and never Alice's before it.
        assert carol_stream.change(within=2) == {"folder": "Sent", "kind": "flags"}
    finally:
        alice_stream.close()
        carol_stream.close()


def test_idle_streams_hold_no_gunicorn_worker(alice, frontend_urls):
    # deploy/cluster/lib.sh: CLUSTER_WORKERS (2) sync workers per frontend.
    workers = len(frontend_urls) * int(os.environ.get("CLUSTER_WORKERS", "2"))
    streams = []
    try:
        for _ in range(workers + 2):
            streams.append(Stream(alice))
            assert streams[-1].frame(5).startswith("retry: 3000")
        page = alice.get("/mail/", timeout=10)
        assert page.status_code == 200
        assert page.headers["X-Heron-Frontend"].startswith("frontend-")
    finally:
        for stream in streams:
            stream.close()


def test_the_stream_through_nginx_needs_a_login(browser):
    anonymous = browser()
    assert anonymous.get("/mail/events").status_code == 401
