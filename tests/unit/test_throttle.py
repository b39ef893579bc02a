"""Login attempts are counted before they are tried, and cannot be raced or dodged."""
import threading

import pytest
from django.core.cache import cache

from accounts import throttle
from accounts.client import client_ip, client_network

USER, IP = "alice@heron.test", "192.0.2.10"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def stored(part, kind, value):
    """What the throttle keeps under its key (the cache version every release shares)."""
    return cache.get(throttle._key(part, kind, value), **throttle._SHARED)


def forget(*keys):
    cache.delete_many(list(keys), **throttle._SHARED)


def fail(times, username=USER, ip=IP):
    """times attempts with a wrong password; the gate's delays are skipped over."""
    for _ in range(times):
        throttle.begin(username, ip)
        forget(throttle._key("gate", "user", username))


def test_the_first_attempts_pass_at_once(settings):
    for _ in range(settings.LOGIN_FAILURES_BEFORE_DELAY - 1):
        throttle.begin(USER, IP)


def test_after_a_few_failures_attempts_are_spaced_out(settings, monkeypatch):
    # A gate of an hour, so that no slow moment of the machine lets it open meanwhile.
    monkeypatch.setattr(throttle, "_delay", lambda count: 3600 * (
        count >= settings.LOGIN_FAILURES_BEFORE_DELAY))
    for _ in range(settings.LOGIN_FAILURES_BEFORE_DELAY):
        throttle.begin(USER, IP)
    with pytest.raises(throttle.Throttled) as refused:
        throttle.begin(USER, IP)
    assert refused.value.wait >= 1
    # The refused attempt was not counted: when the gate opens, the next one passes.
    forget(throttle._key("gate", "user", USER))
    throttle.begin(USER, IP)


def test_the_delay_doubles_with_each_attempt(settings):
    start = settings.LOGIN_FAILURES_BEFORE_DELAY
    assert throttle._delay(start - 1) == 0
    assert [throttle._delay(start + n) for n in range(4)] == [1, 2, 4, 8]
    assert throttle._delay(start + 30) == 60


def test_many_failures_lock_the_address(settings):
    fail(settings.LOGIN_FAILURES_BEFORE_LOCK)
    with pytest.raises(throttle.Throttled) as refused:
        throttle.begin(USER, "198.51.100.7")
    assert 0 < refused.value.wait <= settings.LOGIN_LOCK_SECONDS


def test_refused_attempts_do_not_count(settings):
    fail(settings.LOGIN_FAILURES_BEFORE_LOCK)
    for _ in range(5):
        with pytest.raises(throttle.Throttled):
            throttle.begin(USER, IP)
    assert stored("tries", "user", USER) == settings.LOGIN_FAILURES_BEFORE_LOCK


def test_the_lock_ends_with_its_period(settings):
    fail(settings.LOGIN_FAILURES_BEFORE_LOCK)
    # What the cache's expiry does at the end of LOGIN_LOCK_SECONDS.
    forget(*[throttle._key(part, "user", USER) for part in ("tries", "since")])
    throttle.begin(USER, IP)


def test_one_client_trying_many_addresses_is_locked_out(settings):
    for n in range(settings.LOGIN_IP_FAILURES_BEFORE_LOCK):
        throttle.begin(f"user{n}@heron.test", IP)
    with pytest.raises(throttle.Throttled):
        throttle.begin("fresh@heron.test", IP)
    throttle.begin("fresh@heron.test", "198.51.100.7")


def test_an_ipv6_client_is_counted_by_its_64(settings):
    for n in range(settings.LOGIN_IP_FAILURES_BEFORE_LOCK):
        throttle.begin(f"user{n}@heron.test", f"2001:db8:1:2::{n + 1:x}")
    with pytest.raises(throttle.Throttled):
        throttle.begin("fresh@heron.test", "2001:db8:1:2:ffff::1")
    throttle.begin("fresh@heron.test", "2001:db8:1:3::1")


def test_a_good_login_clears_the_address_and_is_not_held_against_the_client(settings):
    fail(settings.LOGIN_FAILURES_BEFORE_LOCK - 1)
    throttle.begin(USER, IP).succeeded()
    assert stored("tries", "user", USER) is None
    assert stored("tries", "ip", IP) == settings.LOGIN_FAILURES_BEFORE_LOCK - 1


def test_an_unanswered_attempt_is_not_held_against_anyone(settings):
    throttle.begin(USER, IP).unanswered()
    assert stored("tries", "user", USER) == 0
    assert stored("tries", "ip", IP) == 0


def test_addresses_are_counted_case_insensitively(settings):
    fail(settings.LOGIN_FAILURES_BEFORE_LOCK, username="Alice@Heron.TEST")
    with pytest.raises(throttle.Throttled):
        throttle.begin(USER, None)


def test_parallel_attempts_cannot_pass_together(settings):
    """30 threads at once: no more than the lock allows are let through."""
    settings.LOGIN_FAILURES_BEFORE_DELAY = 100  # the lock alone, no gate
    admitted, barrier = [], threading.Barrier(30)

    def attempt(n):
        barrier.wait()
        try:
            throttle.begin(USER, f"198.51.100.{n}")
        except throttle.Throttled:
            return
        admitted.append(n)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(admitted) == settings.LOGIN_FAILURES_BEFORE_LOCK


class FakeRequest:
    def __init__(self, remote, forwarded=None):
        self.META = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


@pytest.mark.parametrize("proxies, remote, forwarded, expected", [
    ([], "203.0.113.5", "198.51.100.1", "203.0.113.5"),  # an untrusted peer's header is ignored
    (["10.0.0.2"], "10.0.0.2", "198.51.100.1", "198.51.100.1"),
    (["10.0.0.0/24"], "10.0.0.7", "198.51.100.1", "198.51.100.1"),  # a network, not just one
    (["10.0.0.0/24"], "10.0.1.7", "198.51.100.1", "10.0.1.7"),
    (["10.0.0.0/24"], "10.0.0.7", "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
    (["10.0.0.0/24"], "10.0.0.7", "garbage", "10.0.0.7"),
    (["127.0.0.1"], "::ffff:127.0.0.1", "2001:db8::1", "2001:db8::1"),
])
def test_the_client_address_is_what_trusted_proxies_saw(settings, proxies, remote, forwarded,
                                                         expected):
    settings.TRUSTED_PROXIES = proxies
    assert client_ip(FakeRequest(remote, forwarded)) == expected


def test_client_networks():
    assert client_network("192.0.2.1") == "192.0.2.1"
    assert client_network("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert client_network("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_network("nonsense") is None
