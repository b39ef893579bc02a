"""The split-key vault: the session alone or the cookie alone reveals nothing."""
from django.conf import settings
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory

from accounts import vault

PASSWORD = "correct horse battery staple ✓"


def sealed_request():
    request = RequestFactory().get("/")
    request.session = SessionStore()
    response = HttpResponse()
    vault.seal(request, response, PASSWORD)
    return request, response


def test_the_password_can_be_read_back_with_both_halves():
    request, response = sealed_request()
    request.COOKIES[settings.VAULT_COOKIE_NAME] = response.cookies[settings.VAULT_COOKIE_NAME].value
    assert vault.open_vault(request) == PASSWORD


def test_the_session_holds_no_password_in_clear():
    request, response = sealed_request()
    stored = repr(dict(request.session.items()))
    assert PASSWORD not in stored
    assert "horse" not in stored
    key = response.cookies[settings.VAULT_COOKIE_NAME].value
    assert key not in stored


def test_the_key_cookie_is_httponly_and_not_the_password():
    _request, response = sealed_request()
    cookie = response.cookies[settings.VAULT_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert "horse" not in cookie.value


def test_either_half_alone_opens_nothing():
    request, response = sealed_request()
    assert vault.open_vault(request) is None  # no cookie
    other_request, other_response = sealed_request()
    wrong_key = other_response.cookies[settings.VAULT_COOKIE_NAME].value
    request.COOKIES[settings.VAULT_COOKIE_NAME] = wrong_key
    assert vault.open_vault(request) is None  # somebody else's key
    request.COOKIES[settings.VAULT_COOKIE_NAME] = "not-a-key"
    assert vault.open_vault(request) is None


def test_every_login_gets_a_new_random_key():
    _r1, first = sealed_request()
    _r2, second = sealed_request()
    assert first.cookies[settings.VAULT_COOKIE_NAME].value != \
        second.cookies[settings.VAULT_COOKIE_NAME].value
