"""GET /mail/events: the account's changes as Server-Sent Events, for the open mail list.

An async view: under ASGI (uvicorn, the events process nginx sends /mail/events to) an
idle stream is a coroutine waiting on Redis, not a worker. It needs no IMAP password and
touches no mail server: it only passes on what webmail/events.py hears. A stream ends
after LIFETIME (the browser reconnects, with Last-Event-ID, within `retry`) or when its
session has ended.

Under WSGI the same stream is served by a thread (runserver, the test server): fine with
threads to spare, but a gunicorn worker has a few threads at most (often one, and its
sync workers are single-threaded) and would be held for the stream's whole life, so there
it answers 204, which tells the browser's EventSource to stop: the page's 30 s poll
carries on instead.
"""
import asyncio
import contextlib
import json
import time

from asgiref.sync import sync_to_async
from django.db import connections
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from .. import events
from ..params import folder_param

LIFETIME = 600.0  # seconds a stream lives before the browser opens a new one
HEARTBEAT = 15.0  # seconds between comments on a quiet stream (and presence renewals)
RETRY_MS = 3000


def _threads_to_spare(meta):
    """Whether this WSGI server starts a thread per connection (runserver, the test
    server), where a stream may hold one; gunicorn's workers have a fixed few."""
    return bool(meta.get("wsgi.multithread")) and \
        not meta.get("SERVER_SOFTWARE", "").startswith("gunicorn")


def _last_event_id(request):
    value = request.headers.get("Last-Event-ID", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


@require_GET
async def stream(request):
    user = await request.auser()
    if not user.is_authenticated:
        return JsonResponse({"error": "not authenticated"}, status=401)
    folder = folder_param(request.GET, "folder") or None
    if "wsgi.version" in request.META and not _threads_to_spare(request.META):
        return HttpResponse(status=204)
    username = user.get_username()
    await sync_to_async(events.present)(username, folder)
    body = _frames(request, username, folder, _last_event_id(request))
    if "wsgi.version" in request.META:
        body = _in_this_thread(body)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each frame on as it comes
    return response


def _let_go_of_the_database():
    """Close this thread's database connections, which the request's middleware opened:
    Django would keep them until the response ends, ten minutes a stream, one connection
    per open tab. (Not inside a transaction, where closing would spoil it: the tests'.)"""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


@contextlib.asynccontextmanager
async def _without_held_connections():
    """The stream's database connections let go of as it starts (those of the thread
    that ran the request's middleware, under ASGI) and as it ends: its own reads of a
    cache kept in the database (`make run`'s) run in asgiref's one thread for them, which
    outlives the stream and kept its connection open for good (the test database could
    then not be dropped at the end of the tests)."""
    await sync_to_async(_let_go_of_the_database)()
    try:
        yield
    finally:
        await sync_to_async(_let_go_of_the_database)()


async def _frames(request, username, folder, since):
    ends = time.monotonic() + LIFETIME
    changes = events.listen(username, since=since, idle=HEARTBEAT)
    async with _without_held_connections(), contextlib.aclosing(changes):
        listening = False
        async for change in changes:
            if not listening:  # what is published from now on reaches this stream
                listening = True
                yield f"retry: {RETRY_MS}\n: open\n\n"
            elif change is not None:
                data = json.dumps(change.event, ensure_ascii=False, separators=(",", ":"))
                yield f"id: {change.seq}\nevent: change\ndata: {data}\n\n"
            elif not await request.session.aexists(request.session.session_key):
                return  # logged out meanwhile
            else:
                await sync_to_async(events.present)(username, folder)
                yield ": still here\n\n"
            if time.monotonic() > ends:
                return


def _in_this_thread(frames):
    """The async frames as a plain iterator, for a WSGI server's thread: its own event
    loop, one frame at a time (Django would otherwise gather all of them first)."""
    _let_go_of_the_database()
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(anext(frames))
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(frames.aclose())
        loop.close()
