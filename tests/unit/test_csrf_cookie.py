"""The CSRF cookie goes out again only when it must (accounts/csrf.py): not with every
page of a signed-in user, whose browser already holds the secret that signing in set."""
import re
from types import SimpleNamespace

import pytest
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, _unmask_cipher_token, get_token, rotate_token
from django.test import Client, RequestFactory

from accounts.csrf import CsrfCookieKeptMiddleware
from tests.unit.conftest import PASSWORDS

SECRET = "A" * 32
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


def answer(cookie=SECRET, signed_in=True, session_changed=False, rotate=False):
    """(the response, the token the page showed) of a page drawn behind Django's CSRF
    middleware and this one."""
    request = RequestFactory().get("/mail/")
    if cookie is not None:
        request.COOKIES["csrftoken"] = cookie
    request.user = SimpleNamespace(is_authenticated=signed_in)
    request.session = SimpleNamespace(modified=session_changed)
    shown = []

    def view(request):
        if rotate:
            rotate_token(request)
        shown.append(get_token(request))
        return HttpResponse("page")

    return CsrfViewMiddleware(CsrfCookieKeptMiddleware(view))(request), shown[0]


def test_a_signed_in_users_page_does_not_send_the_cookie_their_browser_holds():
    response, token = answer()
    assert "csrftoken" not in response.cookies
    assert _unmask_cipher_token(token) == SECRET, "the page's token is of the held secret"


@pytest.mark.parametrize("case", [
    {"signed_in": False},  # nobody signed in: Django's way, the expiry moves on
    {"cookie": None},  # no cookie yet: a new secret
    {"cookie": "B" * 32, "rotate": True},  # a rotated secret
    {"session_changed": True},  # the session cookie goes out, and its expiry moves on
])
def test_the_cookie_goes_out_where_the_browser_needs_it(case):
    response, token = answer(**case)
    assert "csrftoken" in response.cookies
    assert _unmask_cipher_token(token) == response.cookies["csrftoken"].value


def test_an_old_masked_cookie_is_replaced_by_its_secret():
    masked = get_token(SimpleNamespace(META={"CSRF_COOKIE": SECRET}))  # 64 characters
    response, _token = answer(cookie=masked)
    assert response.cookies["csrftoken"].value == SECRET


@pytest.mark.django_db
def test_signed_in_pages_keep_their_token_valid_without_the_cookie_again(fake_server):
    """Through the whole middleware chain: signing in sets the cookie; the pages after it
    do not send it again, and their token still passes the CSRF check."""
    browser = Client(enforce_csrf_checks=True)
    login_page = browser.get("/accounts/login/")
    assert "csrftoken" in login_page.cookies
    signed_in = browser.post("/accounts/login/", {
        "username": "alice@heron.test", "password": PASSWORDS["alice@heron.test"],
        "csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert signed_in.status_code == 302 and "csrftoken" in signed_in.cookies, "rotated"
    for _ in range(2):
        page = browser.get("/mail/")
        assert page.status_code == 200 and "csrftoken" not in page.cookies
    token = TOKEN.search(page.content.decode()).group(1)
    accepted = browser.post("/accounts/welcome/", {"skip": "1", "next": "/mail/"},
                            headers={"X-CSRFToken": token})
    assert accepted.status_code == 302 and accepted["Location"] == "/mail/"
    refused = browser.post("/accounts/welcome/", {"skip": "1", "next": "/mail/"})
    assert refused.status_code == 403


def test_a_pages_token_is_its_secret_under_a_mask_of_its_own():
    """accounts.csrf.get_token: Django's format, a new mask for every page, and the cookie
    marked as Django's get_token marks it (for CsrfCookieKeptMiddleware to judge)."""
    from accounts.csrf import get_token as pages_token

    request = SimpleNamespace(META={"CSRF_COOKIE": SECRET})
    tokens = {pages_token(request) for _ in range(50)}
    assert len(tokens) == 50, "no two pages show the same token"
    assert all(len(token) == 64 and _unmask_cipher_token(token) == SECRET for token in tokens)
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_a_request_without_a_secret_gets_djangos_new_one():
    from accounts.csrf import get_token as pages_token

    request = RequestFactory().get("/mail/")
    token = pages_token(request)
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]
    assert len(request.META["CSRF_COOKIE"]) == 32


def test_the_mask_draws_every_character_alike():
    """256,000 mask characters: each of the 62 about 4,129 times (give or take 64). A byte
    taken modulo 62 without dropping the top 8 values would draw the first eight 5,000
    times each and the others 4,000."""
    from collections import Counter

    from django.middleware.csrf import CSRF_ALLOWED_CHARS

    from accounts.csrf import masked

    drawn = Counter(ch for _ in range(8000) for ch in masked(SECRET)[:32])
    assert set(drawn) == set(CSRF_ALLOWED_CHARS)
    # Seven standard deviations either way: a fair draw misses once in 10^11 runs.
    assert all(3682 < count < 4576 for count in drawn.values()), drawn.most_common(3)
