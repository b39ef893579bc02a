"""GET /mail/events: the open list's stream of changes, as the browser reads it."""
import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.test import AsyncClient

from tests.unit.conftest import log_in
from webmail import events
from webmail.views import events as stream_view

ALICE, CAROL = "alice@heron.test", "carol@heron.test"


@pytest.fixture(autouse=True)
def quick(settings, monkeypatch):
    settings.REDIS_URL = None
    monkeypatch.setattr(events, "POLL_SECONDS", 0.02)
    cache.clear()
    yield
    cache.clear()


def streaming_as(client):
    """An AsyncClient (Django's ASGI path) with client's session."""
    browser = AsyncClient()
    browser.cookies = client.cookies
    return browser


async def frames(response, count, limit=5.0):
    """The next count SSE frames of a streaming response (text, blank line dropped)."""
    got = []
    buffer = ""
    content = response.streaming_content

    async def read():
        nonlocal buffer
        async for chunk in content:
            buffer += chunk.decode()
            while "\n\n" in buffer and len(got) < count:
                frame, buffer = buffer.split("\n\n", 1)
                got.append(frame)
            if len(got) == count:
                return
    await asyncio.wait_for(read(), limit)
    return got


async def rest(response, limit=5.0):
    """All that is left of a stream that ends (within limit seconds)."""
    async def read():
        return [chunk async for chunk in response.streaming_content]
    return await asyncio.wait_for(read(), limit)


def change(frame):
    lines = dict(line.split(": ", 1) for line in frame.split("\n"))
    return lines["event"], int(lines["id"]), json.loads(lines["data"])


def test_it_streams_the_accounts_changes_as_server_sent_events(alice):
    @async_to_sync
    async def scenario():
        response = await streaming_as(alice).get("/mail/events", {"folder": "INBOX"})
        opening = await frames(response, 1)
        events.publish(ALICE, {"folder": "INBOX", "kind": "new"})
        return response, opening + await frames(response, 1)
    response, got = scenario()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Accel-Buffering"] == "no"
    assert got[0].startswith("retry: 3000\n")
    assert change(got[1]) == ("change", 1, {"folder": "INBOX", "kind": "new"})
    assert events.active_users() == [(ALICE, "INBOX")]


def test_carol_never_receives_alices_events(alice, client, fake_server):
    carol = type(client)()
    assert log_in(carol, CAROL).status_code == 302

    @async_to_sync
    async def scenario():
        response = await streaming_as(carol).get("/mail/events", {"folder": "INBOX"})
        await frames(response, 1)
        events.publish(ALICE, {"folder": "INBOX", "kind": "new", "secret": "for alice"})
        events.publish(CAROL, {"folder": "INBOX", "kind": "flags"})
        return await frames(response, 1)
    [frame] = scenario()
    assert change(frame) == ("change", 1, {"folder": "INBOX", "kind": "flags"})


def test_a_browser_coming_back_gets_what_it_missed(alice):
    for kind in ("new", "flags"):
        events.publish(ALICE, {"folder": "INBOX", "kind": kind})

    @async_to_sync
    async def scenario():
        response = await streaming_as(alice).get("/mail/events", headers={
            "Last-Event-ID": "1"})
        return await frames(response, 2)
    got = scenario()
    assert change(got[1]) == ("change", 2, {"folder": "INBOX", "kind": "flags"})


def test_a_quiet_stream_sends_heartbeats_and_keeps_the_user_present(alice, monkeypatch):
    monkeypatch.setattr(stream_view, "HEARTBEAT", 0.05)
    presence = []
    monkeypatch.setattr(events, "present", lambda user, folder: presence.append((user, folder)))

    @async_to_sync
    async def scenario():
        response = await streaming_as(alice).get("/mail/events", {"folder": "Sent"})
        return await frames(response, 3)
    got = scenario()
    assert got[1:] == [": still here", ": still here"]
    assert presence == [(ALICE, "Sent")] * 3


def test_a_stream_ends_after_its_lifetime(alice, monkeypatch):
    monkeypatch.setattr(stream_view, "HEARTBEAT", 0.05)
    monkeypatch.setattr(stream_view, "LIFETIME", 0.01)

    @async_to_sync
    async def scenario():
        response = await streaming_as(alice).get("/mail/events")
        return await rest(response)
    got = b"".join(scenario())
    assert got.startswith(b"retry: 3000\n")  # and then it ended, or this would wait


def test_a_stream_ends_when_its_session_does(alice, monkeypatch):
    monkeypatch.setattr(stream_view, "HEARTBEAT", 0.05)
    browser = streaming_as(alice)

    @async_to_sync
    async def scenario():
        response = await browser.get("/mail/events")
        await frames(response, 1)
        await alice.session.adelete()
        return await rest(response)
    assert scenario() == []


def test_the_stream_needs_a_logged_in_user(client, db):
    assert client.get("/mail/events").status_code == 401


def test_the_stream_is_read_only(alice):
    assert alice.post("/mail/events").status_code == 405


def test_a_folder_name_no_server_could_hold_is_refused(alice):
    assert alice.get("/mail/events", {"folder": "IN\nBOX"}).status_code == 400


def test_a_single_threaded_wsgi_worker_tells_the_browser_not_to_wait(alice):
    # Django's test client says wsgi.multithread False, as gunicorn's sync workers do.
    assert alice.get("/mail/events").status_code == 204


def test_a_gunicorn_worker_never_holds_its_thread_for_a_stream(alice):
    # gunicorn's gthread workers say wsgi.multithread even with one thread.
    answer = alice.get("/mail/events", **{"wsgi.multithread": True,
                                          "SERVER_SOFTWARE": "gunicorn/23.0.0"})
    assert answer.status_code == 204


def test_a_threaded_wsgi_server_streams_in_its_thread(alice):
    response = alice.get("/mail/events", **{"wsgi.multithread": True})
    chunks = iter(response.streaming_content)
    assert next(chunks).startswith(b"retry: 3000\n")
    events.publish(ALICE, {"folder": "INBOX", "kind": "gone"})
    assert next(chunks) == b'id: 1\nevent: change\ndata: {"folder":"INBOX","kind":"gone"}\n\n'
    response.close()
