"""webmail/events.py against the stack's Redis: pub/sub, the sorted set of active users."""
import asyncio
import threading
import uuid

import pytest
from django.core.cache import cache
from django_redis import get_redis_connection

from webmail import events

ALICE, CAROL = "alice@heron.test", "carol@heron.test"


@pytest.fixture(autouse=True)
def redis_only(settings):
    if not settings.REDIS_URL:
        pytest.fail("needs the stack's Redis: `set -a; . .stack/env; set +a`")
    raw = get_redis_connection("default")
    raw.delete(events.ACTIVE_KEY)
    for user in (ALICE, CAROL):
        cache.delete(events._seq_key(user))
        cache.delete(events._seen_key(user))
    yield raw
    raw.delete(events.ACTIVE_KEY)


def test_no_address_is_in_a_redis_key(redis_only):
    events.publish(ALICE, {"folder": "INBOX", "kind": "new"})
    events.present(ALICE, "INBOX")
    keys = [key.decode() for key in redis_only.keys("*events*")]
    assert keys and not any("alice" in key for key in keys)


def test_active_users_live_in_a_sorted_set_that_forgets_on_logout(redis_only):
    events.present(ALICE, "INBOX")
    events.present(ALICE, "Sent")
    events.present(CAROL, None)
    assert redis_only.zcard(events.ACTIVE_KEY) == 3
    assert sorted(events.active_users(), key=str) == [
        (ALICE, "INBOX"), (ALICE, "Sent"), (CAROL, None)]
    events.forget(ALICE)
    assert events.active_users() == [(CAROL, None)]


def test_entries_older_than_the_widest_window_are_trimmed(redis_only):
    stale = events._member(CAROL, "INBOX")
    redis_only.zadd(events.ACTIVE_KEY, {stale: 1.0})
    events.present(ALICE, "INBOX")
    assert redis_only.zscore(events.ACTIVE_KEY, stale) is None
    assert events.active_users(within_seconds=10) == [(ALICE, "INBOX")]


def _listen_in_a_thread(username, count, since=None, limit=5.0, until=None):
    """Start listening as a stream would, in its own event loop; the result once count
    changes came (heartbeats dropped), or once one satisfies until, and an event set once
    it is subscribed."""
    result, ready = [], threading.Event()

    async def run():
        stream = events.listen(username, since=since, idle=0.2)
        try:
            async def take():
                async for change in stream:
                    ready.set()  # a first heartbeat comes after subscribing
                    if change is not None:
                        result.append(change)
                        if len(result) == count if until is None else until(change):
                            return
            await asyncio.wait_for(take(), limit)
        except TimeoutError:
            pass  # fewer changes came than awaited: the test looks at what did
        finally:
            await stream.aclose()

    thread = threading.Thread(target=asyncio.run, args=(run(),))
    thread.start()
    return thread, ready, result


def test_a_published_change_reaches_the_listening_account_only():
    # The stack's change watchers may publish real changes of these accounts meanwhile
    # (their mail is what the other tests use): only this test's own change is looked for.
    mine = {"folder": f"Events-{uuid.uuid4().hex}", "kind": "new"}
    alice_thread, alice_ready, alice_got = _listen_in_a_thread(
        ALICE, None, until=lambda change: change.event == mine)
    carol_thread, carol_ready, carol_got = _listen_in_a_thread(CAROL, None, limit=1.5,
                                                               until=lambda change: False)
    assert alice_ready.wait(5) and carol_ready.wait(5)
    events.publish(ALICE, mine)
    alice_thread.join(6)
    carol_thread.join(6)
    assert mine in [change.event for change in alice_got]
    assert mine not in [change.event for change in carol_got]


def test_a_listener_that_comes_back_catches_up_then_hears_new_changes():
    events.publish(ALICE, {"folder": "INBOX", "kind": "new"})
    events.publish(ALICE, {"folder": "INBOX", "kind": "flags"})
    thread, ready, got = _listen_in_a_thread(ALICE, 2, since=1)
    assert ready.wait(5)
    events.publish(ALICE, {"folder": None, "kind": "folders"})
    thread.join(6)
    assert [(c.seq, c.event["kind"]) for c in got] == [(2, "flags"), (3, "folders")]
