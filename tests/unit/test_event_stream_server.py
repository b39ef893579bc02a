"""GET /mail/events as `make run` serves it: Django's threaded development server (the
live server is the same WSGIServer with ThreadingMixIn), DEBUG on, no Redis, the cache a
table of the database (webmail.cachejson.SharedDatabaseCache) that the change watcher
writes to from elsewhere. What the browser must get: each frame as it is sent."""
import socket
import time
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import connection

from webmail import events

ALICE = "alice@heron.test"
LIMIT = 2.0  # seconds: a frame later than this is one the browser is not getting


@pytest.fixture
def shared_cache(settings):
    settings.DEBUG = True
    settings.REDIS_URL = None
    # The sessions stay where they are (the stack's Redis when the whole suite runs: the
    # live server's middleware was made with that session engine already).
    settings.CACHES = {**settings.CACHES,
                       "default": {"BACKEND": "webmail.cachejson.SharedDatabaseCache",
                                   "LOCATION": "heron_cache_test"}}
    call_command("createcachetable", verbosity=0)
    from django.core.cache import cache
    cache.clear()
    yield
    cache.clear()


def read_until(sock, buffer, wanted, deadline):
    """buffer and what sock sends until wanted is in it or deadline passes."""
    while wanted not in buffer:
        left = deadline - time.monotonic()
        if left <= 0:
            return buffer
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return buffer
        if not chunk:
            return buffer
        buffer += chunk
    return buffer


def test_the_development_server_sends_each_frame_as_it_comes(shared_cache, live_server,
                                                             alice):
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in alice.cookies.items())
    url = urlsplit(live_server.url)
    with socket.create_connection((url.hostname, url.port), timeout=LIMIT) as sock:
        sock.sendall((f"GET /mail/events?folder=INBOX HTTP/1.1\r\nHost: {url.netloc}\r\n"
                      f"Cookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n").encode())
        got = read_until(sock, b"", b": open\n\n", time.monotonic() + LIMIT)
        head = got.split(b"\r\n\r\n", 1)[0]
        assert head.startswith(b"HTTP/1.1 200"), got[:300]
        assert b"Content-Type: text/event-stream" in head
        assert got.endswith(b"retry: 3000\n: open\n\n"), got[-300:]
        # The watcher, another process in `make run`, writes to the cache table.
        events.publish(ALICE, {"folder": "INBOX", "kind": "new"})
        wanted = b'id: 1\nevent: change\ndata: {"folder":"INBOX","kind":"new"}\n\n'
        got = read_until(sock, got, wanted, time.monotonic() + LIMIT)
        assert got.endswith(wanted), got[-300:]
    with connection.cursor() as cursor:  # it came through the table, as in `make run`
        cursor.execute("SELECT COUNT(*) FROM heron_cache_test")
        assert cursor.fetchone()[0] > 0
