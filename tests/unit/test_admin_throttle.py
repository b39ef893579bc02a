"""The Django admin login is throttled like Heron's own."""
import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return get_user_model().objects.create_superuser("root", "root@heron.test", "right-pw-1")


def try_admin(client, password):
    client.get("/admin/login/")
    return client.post("/admin/login/?next=/admin/", {"username": "root", "password": password})


def test_the_admin_logs_in_with_the_right_password(client, admin_user):
    assert try_admin(client, "right-pw-1").status_code == 302


def test_after_the_lock_even_the_right_password_is_refused(client, admin_user, settings):
    settings.LOGIN_FAILURES_BEFORE_DELAY = 1000  # the lock alone
    for _ in range(settings.LOGIN_FAILURES_BEFORE_LOCK):
        assert try_admin(client, "wrong").status_code == 200
    response = try_admin(client, "right-pw-1")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_failures_are_spaced_out_by_the_gate(client, admin_user, settings, monkeypatch):
    from accounts import throttle

    # A gate of an hour: checking passwords (slow on purpose) must not outlast it.
    monkeypatch.setattr(throttle, "_delay", lambda count: 3600 * (
        count >= settings.LOGIN_FAILURES_BEFORE_DELAY))
    for _ in range(settings.LOGIN_FAILURES_BEFORE_DELAY):
        try_admin(client, "wrong")
    # The gate is shut for a moment: the right password does not get through yet.
    assert try_admin(client, "right-pw-1").status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_right_password_clears_the_count(client, admin_user, settings):
    from django.core.cache import cache

    from accounts import throttle
    for _ in range(settings.LOGIN_FAILURES_BEFORE_DELAY - 1):
        try_admin(client, "wrong")
    assert try_admin(client, "right-pw-1").status_code == 302
    assert cache.get(throttle._key("tries", "user", "root"), **throttle._SHARED) is None
