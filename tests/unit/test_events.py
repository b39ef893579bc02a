"""webmail/events.py without Redis: the sequence in the cache, presence, listen() polling."""
import asyncio
import concurrent.futures

import pytest
from django.core.cache import cache

from webmail import events

ALICE, CAROL = "alice@heron.test", "carol@heron.test"


@pytest.fixture(autouse=True)
def empty_cache(settings):
    settings.REDIS_URL = None
    cache.clear()
    yield
    cache.clear()


def test_an_account_key_is_a_digest_of_the_lower_cased_name():
    key = events.account_key("Alice@Heron.test")
    assert key == events.account_key(ALICE)
    assert len(key) == 24 and int(key, 16) >= 0
    assert key != events.account_key(CAROL)
    assert "alice" not in events.channel(ALICE)
    assert events.channel(ALICE) == f"heron:events:v1:{key}"


def test_publish_counts_and_keeps_the_last_few_events():
    for i in range(events.KEEP_EVENTS + 5):
        events.publish(ALICE, {"folder": "INBOX", "kind": "new", "i": i})
    n, kept = events._read_seq(cache.get(f"heron:events:v1:seq:{events.account_key(ALICE)}"))
    assert n == events.KEEP_EVENTS + 5
    assert len(kept) == events.KEEP_EVENTS
    assert kept[-1] == (n, {"folder": "INBOX", "kind": "new", "i": n - 1})


def test_publish_refuses_what_is_not_json():
    with pytest.raises(TypeError):
        events.publish(ALICE, {"folder": ("INBOX",), "kind": "new"})


def test_present_users_are_listed_with_their_open_folder():
    events.present(ALICE, "INBOX")
    events.present(CAROL, None)
    assert sorted(events.active_users(), key=str) == [(ALICE, "INBOX"), (CAROL, None)]


def test_a_user_seen_long_ago_is_not_active(monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(events.time, "time", lambda: clock[0])
    events.present(ALICE, "INBOX")
    clock[0] += 60
    events.present(CAROL, "INBOX")
    assert events.active_users(within_seconds=30) == [(CAROL, "INBOX")]
    assert events.active_users(within_seconds=90) == [(ALICE, "INBOX"), (CAROL, "INBOX")]


def test_present_writes_at_most_once_per_user_and_folder_in_a_while(monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(events.time, "time", lambda: clock[0])
    writes = []
    real_set = cache.set
    monkeypatch.setattr(cache, "set", lambda key, *a, **k: (writes.append(key),
                                                             real_set(key, *a, **k)))
    for _ in range(5):
        events.present(ALICE, "INBOX")
    assert writes.count(events.ACTIVE_KEY) == 1
    events.present(ALICE, "Sent")
    assert writes.count(events.ACTIVE_KEY) == 2
    clock[0] += events.PRESENT_EVERY + 1
    events.present(ALICE, "INBOX")
    assert writes.count(events.ACTIVE_KEY) == 3
    assert sorted(events.active_users()) == [(ALICE, "INBOX"), (ALICE, "Sent")]


def test_a_logged_out_user_is_forgotten_and_comes_back_when_seen_again():
    events.present(ALICE, "INBOX")
    events.present(CAROL, "INBOX")
    events.forget(ALICE)
    assert events.active_users() == [(CAROL, "INBOX")]
    events.present(ALICE, "INBOX")  # at once: forgetting dropped the throttle too
    assert (ALICE, "INBOX") in events.active_users()


def test_logging_out_forgets_the_user(alice):
    events.present(ALICE, "INBOX")
    alice.post("/accounts/logout/")
    assert events.active_users() == []


def run_apart(coroutine):
    """asyncio.run(coroutine) in a thread of its own: in the whole suite the browser tests'
    Playwright has left an event loop running in the main thread, where asyncio.run()
    refuses to start another."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _take(iterator, count, limit=5.0):
    """The first count items (heartbeats dropped) of iterator, within limit seconds."""
    taken = []

    async def run():
        async for item in iterator:
            if item is not None:
                taken.append(item)
                if len(taken) == count:
                    return
    await asyncio.wait_for(run(), limit)
    await iterator.aclose()
    return taken


def test_a_listener_hears_what_is_published_for_its_account_only():
    async def scenario():
        stream = events.listen(ALICE)
        assert await anext(stream) is None  # listening from now on
        events.publish(CAROL, {"folder": "INBOX", "kind": "new"})
        events.publish(ALICE, {"folder": "Sent", "kind": "flags"})
        return await _take(stream, 1)
    [change] = run_apart(scenario())
    assert change == events.Change(1, {"folder": "Sent", "kind": "flags"})


def test_a_listener_that_comes_back_hears_what_it_missed():
    for kind in ("new", "flags", "gone"):
        events.publish(ALICE, {"folder": "INBOX", "kind": kind})
    changes = run_apart(_take(events.listen(ALICE, since=1), 2))
    assert [c.event["kind"] for c in changes] == ["flags", "gone"]
    assert [c.seq for c in changes] == [2, 3]


def test_a_listener_that_missed_more_than_is_kept_is_told_to_start_afresh():
    for _ in range(events.KEEP_EVENTS + 3):
        events.publish(ALICE, {"folder": "INBOX", "kind": "new"})
    [change] = run_apart(_take(events.listen(ALICE, since=1), 1))
    assert change == events.Change(events.KEEP_EVENTS + 3, events.RESET)


def test_a_listener_ahead_of_a_sequence_that_started_again_starts_afresh():
    events.publish(ALICE, {"folder": "INBOX", "kind": "new"})
    [change] = run_apart(_take(events.listen(ALICE, since=40), 1))
    assert change == events.Change(1, events.RESET)


def test_a_quiet_listener_yields_heartbeats(monkeypatch):
    monkeypatch.setattr(events, "POLL_SECONDS", 0.01)

    async def scenario():
        stream = events.listen(ALICE, idle=0.03)
        got = [await asyncio.wait_for(anext(stream), 2) for _ in range(3)]
        await stream.aclose()
        return got
    assert run_apart(scenario()) == [None, None, None]  # listening, then two quiet spells
