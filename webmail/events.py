"""Changes to a user's mail, from the watcher to the browsers that have the mail open.

The watcher (`manage.py watch`) hears a change from the mail server and calls publish();
each open stream (webmail/views/events.py) iterates listen() and passes what comes on to
its browser. In between:

- With Redis (settings.REDIS_URL), publish() PUBLISHes on the account's channel, and a
  stream subscribes to it: a change reaches every frontend at once.
- Always, publish() also bumps the account's sequence in the Django cache: a counter and
  the last few events. A stream that comes back after a break reads what it missed there
  (the browser's Last-Event-ID), and without Redis (`make run`: a cache that the watcher
  and the web server share through files) a stream polls it twice a second.

present() and active_users() tell the watcher whom to watch: each open stream says, every
heartbeat, that its user has a folder open; forget() drops a user who logged out.

No address is in any key: keys and channels carry account_key(), a digest. The user name
is stored once, as data, in the set of active users, since the watcher needs it.
"""
import asyncio
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from webmail import cachejson

log = logging.getLogger(__name__)

PREFIX = "heron:events:v1"
ACTIVE_KEY = f"{PREFIX}:active"
KEEP_EVENTS = 20  # what a stream coming back after a short break can catch up on
SEQ_SECONDS = 24 * 3600
PRESENT_EVERY = 20.0  # seconds between two writes of one user + folder
ACTIVE_SECONDS = 3600.0  # entries older than this are trimmed: active_users' widest window
POLL_SECONDS = 0.5  # without Redis, how often a stream looks at the sequence
RESET = {"folder": None, "kind": "reset"}


@dataclass(frozen=True)
class Change:
    """One event as a stream hands it on: seq is its number in the account's sequence
    (the SSE id), event what publish() was given."""
    seq: int
    event: dict


def account_key(username: str) -> str:
    """The digest that names an account in keys and channels: no address in Redis."""
    return hashlib.sha256(username.lower().encode("utf-8")).hexdigest()[:24]


def channel(username: str) -> str:
    return f"{PREFIX}:{account_key(username)}"


def _seq_key(username):
    return f"{PREFIX}:seq:{account_key(username)}"


def _seen_key(username):
    return f"{PREFIX}:seen:{account_key(username)}"


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


SEQ_SHAPE = {"n": int, "events": [[(int, dict)]]}


def _read_seq(value):
    """(counter, [(n, event)…]) of a cached sequence, (0, []) for a miss."""
    record = cachejson.read(value, SEQ_SHAPE)
    if record is None:
        return 0, []
    events = [(item[0], item[1]) for item in record["events"]
              if len(item) == 2 and type(item[0]) is int and type(item[1]) is dict]
    return record["n"], events


def publish(username: str, event: dict) -> None:
    """Tell every open stream of username's account about event (JSON's types only),
    e.g. {"folder": "INBOX", "kind": "new"}; kind is new, flags, gone, folders or reset,
    folder None when the change is not one folder's."""
    cachejson.check_data(event)
    key = _seq_key(username)
    n, events = _read_seq(cache.get(key))
    n += 1
    events = (events + [(n, event)])[-KEEP_EVENTS:]
    cache.set(key, {"n": n, "events": [[i, e] for i, e in events]}, SEQ_SECONDS)
    if settings.REDIS_URL:
        _redis().publish(channel(username), cachejson.dumps({"seq": n, "event": event}))


def _member(username, folder):
    return json.dumps([username, folder], ensure_ascii=False, separators=(",", ":"))


def _unmember(member):
    value = cachejson.loads(member)
    if (type(value) is list and len(value) == 2 and type(value[0]) is str
            and (value[1] is None or type(value[1]) is str)):
        return value[0], value[1]
    return None


# (username, folder) -> when this process last told present() of it: a page view then
# costs no cache read at all. Bounded; cleared whole when full.
_told: dict = {}
TOLD_MAX = 10_000


def present(username: str, folder: str | None) -> None:
    """username is active now with folder open (None: no folder in particular). One cache
    read a call, a write at most every PRESENT_EVERY seconds per user and folder; and in
    this process not even the read while it told the same within PRESENT_EVERY seconds."""
    now = time.time()
    told = _told.get((username, folder))
    if told is not None and now - told < PRESENT_EVERY:
        return
    if len(_told) >= TOLD_MAX:
        _told.clear()
    _told[(username, folder)] = now
    seen = cache.get(_seen_key(username))
    seen = seen if type(seen) is dict else {}
    slot = "" if folder is None else "/" + folder
    last = seen.get(slot)
    if type(last) in (int, float) and now - last < PRESENT_EVERY:
        return
    seen = {k: v for k, v in seen.items() if type(v) in (int, float) and now - v < PRESENT_EVERY}
    seen[slot] = now
    cache.set(_seen_key(username), seen, int(PRESENT_EVERY) + 1)
    member = _member(username, folder)
    if settings.REDIS_URL:
        pipe = _redis().pipeline()
        pipe.zadd(ACTIVE_KEY, {member: now})
        pipe.zremrangebyscore(ACTIVE_KEY, "-inf", now - ACTIVE_SECONDS)
        pipe.execute()
        return
    # Without Redis one process (`make run`) keeps them, in one cache entry.
    active = _local_active(now)
    active[member] = now
    cache.set(ACTIVE_KEY, active, None)


def _local_active(now):
    active = cache.get(ACTIVE_KEY)
    if type(active) is not dict:
        return {}
    return {m: t for m, t in active.items()
            if type(t) in (int, float) and now - t < ACTIVE_SECONDS}


def active_users(within_seconds: float = 900) -> list[tuple[str, str | None]]:
    """(username, open folder) of each user seen within that many seconds, oldest first;
    a user with two folders open (two tabs) appears twice."""
    since = time.time() - within_seconds
    if settings.REDIS_URL:
        members = _redis().zrangebyscore(ACTIVE_KEY, since, "+inf")
    else:
        active = _local_active(time.time())
        members = sorted((m for m, t in active.items() if t >= since), key=active.__getitem__)
    return [pair for pair in map(_unmember, members) if pair is not None]


def forget(username: str) -> None:
    """username logged out: no longer active, whatever they had open."""
    for key in [key for key in list(_told) if key[0] == username]:
        _told.pop(key, None)
    cache.delete(_seen_key(username))
    if settings.REDIS_URL:
        client = _redis()
        gone = [m for m in client.zrange(ACTIVE_KEY, 0, -1)
                if (_unmember(m) or ("",))[0] == username]
        if gone:
            client.zrem(ACTIVE_KEY, *gone)
        return
    active = _local_active(time.time())
    kept = {m: t for m, t in active.items() if (_unmember(m) or ("",))[0] != username}
    cache.set(ACTIVE_KEY, kept, None)


def _missed(n, events, since):
    """What a stream that last had since must hear of a sequence at n."""
    if since is None or n == since:
        return []
    if n < since or not events or events[0][0] > since + 1:
        # The sequence started again, or more happened than it keeps: start afresh.
        return [Change(n, RESET)]
    return [Change(i, e) for i, e in events if i > since]


async def listen(username: str, since: int | None = None,
                 idle: float = 15.0) -> AsyncIterator[Change | None]:
    """The account's changes as they come, each a Change. None first, once listening
    (what is published from then on will come), then after idle seconds without a change
    (the stream's chance to send a heartbeat). since: the last seq the browser had
    (Last-Event-ID): what it missed comes right after the first None, or one reset when
    the sequence no longer holds it."""
    if settings.REDIS_URL:
        source = _redis_changes(username, since, idle)
    else:
        source = _polled_changes(username, since, idle)
    async for change in source:
        yield change


async def _redis_changes(username, since, idle):
    import redis.asyncio

    client = redis.asyncio.from_url(settings.REDIS_URL)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(channel(username))
        # Subscribed first, read the sequence second: nothing falls in between.
        n, events = _read_seq(await cache.aget(_seq_key(username)))
        last = n
        yield None
        for change in _missed(n, events, since):
            yield change
        beat = time.monotonic() + idle
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True,
                                               timeout=max(0.0, beat - time.monotonic()))
            if message is None:  # quiet, or a subscription's confirmation
                if time.monotonic() >= beat:
                    beat = time.monotonic() + idle
                    yield None
                continue
            change = _change(message.get("data"))
            if change is None or change.seq <= last:
                continue  # caught up on it from the sequence already
            last = change.seq
            yield change
    finally:
        await pubsub.aclose()
        await client.aclose()


def _change(data):
    value = cachejson.read(cachejson.loads(data) if isinstance(data, bytes) else None,
                           {"seq": int, "event": dict})
    return None if value is None else Change(value["seq"], value["event"])


async def _polled_changes(username, since, idle):
    key = _seq_key(username)
    n, events = _read_seq(await cache.aget(key))
    last = n if since is None else since
    quiet = 0.0
    yield None
    while True:
        for change in _missed(n, events, last):
            quiet = 0.0
            yield change
        last = n
        if quiet >= idle:
            quiet = 0.0
            yield None
        await asyncio.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS
        n, events = _read_seq(await cache.aget(key))
