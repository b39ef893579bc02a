"""Repeated login failures are slowed down, then refused for a while."""
from accounts import throttle

USER, IP = "alice@heron.test", "192.0.2.10"


def fail(times, now, username=USER, ip=IP):
    for _ in range(times):
        throttle.record_failure(username, ip, now=now)


def test_the_first_failures_are_not_slowed(settings):
    fail(settings.LOGIN_FAILURES_BEFORE_DELAY - 1, now=1000)
    assert throttle.wait_seconds(USER, IP, now=1000) == 0


def test_after_a_few_failures_the_next_try_must_wait_and_the_wait_grows(settings):
    fail(settings.LOGIN_FAILURES_BEFORE_DELAY, now=1000)
    first_wait = throttle.wait_seconds(USER, IP, now=1000)
    assert first_wait > 0
    assert throttle.wait_seconds(USER, IP, now=1000 + first_wait) == 0
    fail(1, now=1000 + first_wait)
    assert throttle.wait_seconds(USER, IP, now=1000 + first_wait) > first_wait


def test_many_failures_lock_the_address_until_the_lock_time_passes(settings):
    fail(settings.LOGIN_FAILURES_BEFORE_LOCK, now=1000)
    assert throttle.wait_seconds(USER, IP, now=1000 + 120) > 0
    assert throttle.wait_seconds(USER, IP, now=1000 + settings.LOGIN_LOCK_SECONDS) == 0


def test_one_client_trying_many_addresses_is_locked_out(settings):
    for n in range(settings.LOGIN_IP_FAILURES_BEFORE_LOCK):
        throttle.record_failure(f"user{n}@heron.test", IP, now=1000)
    assert throttle.wait_seconds("fresh@heron.test", IP, now=1001) > 0
    assert throttle.wait_seconds("fresh@heron.test", "198.51.100.7", now=1001) == 0


def test_a_good_login_clears_the_address(settings):
    fail(settings.LOGIN_FAILURES_BEFORE_DELAY, now=1000)
    throttle.record_success(USER)
    assert throttle.wait_seconds(USER, "198.51.100.7", now=1000) == 0


def test_addresses_are_counted_case_insensitively(settings):
    fail(settings.LOGIN_FAILURES_BEFORE_LOCK, now=1000, username="Alice@Heron.TEST")
    assert throttle.wait_seconds(USER, None, now=1001) > 0
