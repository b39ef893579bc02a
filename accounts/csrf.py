"""The CSRF cookie sent again only when it must (after Django's CSRF middleware).

Django sends the cookie back with every response whose page shows a token, so that its
expiry (CSRF_COOKIE_AGE, a year) moves on: a Set-Cookie header made on every page and
parsed by the browser every time (Roundcube sends none with an opened message). For a
signed-in user that renewal buys nothing as long as the session cookie is not renewed
either: signing in sets a new CSRF secret, so the cookie is as young as the session, and
it lives at least as long. So here the cookie goes out again only when the browser does
not hold this very secret (a new one, a rotated one, none, or an old masked one), when
nobody is signed in (Django's way), or when the session cookie goes out too, which pushes
the session's own expiry on. The tokens, their checks and their rotation stay Django's
(django.middleware.csrf.CsrfViewMiddleware, just before this one): this only clears the
flag by which it would set the cookie again.

get_token is Django's, its mask drawn in one read of the system's randomness.
"""
import os

from django.conf import settings
from django.db import DatabaseError
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.middleware.csrf import get_token as djangos_get_token
from redis.exceptions import RedisError

# A byte below this picks one of the 62 characters without bias (4 × 62 = 248).
_FAIR_BYTES = len(CSRF_ALLOWED_CHARS) * (256 // len(CSRF_ALLOWED_CHARS))


def get_token(request):
    """The request's CSRF token, as Django's get_token: the request's secret under a fresh
    mask (so that no two pages show the same token), and the cookie marked to be sent.

    Django draws the mask a character at a time: 32 reads of the system's randomness, about
    20 µs of every page's CPU. Here it is drawn in one. A request with no secret yet
    takes Django's own way, which makes one; the checks stay Django's."""
    secret = request.META.get("CSRF_COOKIE")
    if not isinstance(secret, str) or len(secret) != CSRF_SECRET_LENGTH:
        return djangos_get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return masked(secret)


def masked(secret):
    """secret under a new random mask: the mask, then each character of secret shifted
    by the mask's (Django's format, which CsrfViewMiddleware unmasks)."""
    chars = CSRF_ALLOWED_CHARS
    mask = []
    while len(mask) < len(secret):
        mask += [chars[byte % len(chars)] for byte in os.urandom(2 * len(secret))
                 if byte < _FAIR_BYTES]
    mask = mask[:len(secret)]
    cipher = "".join(chars[(chars.index(plain) + chars.index(shift)) % len(chars)]
                     for plain, shift in zip(secret, mask, strict=True))
    return "".join(mask) + cipher


def _never_outlived():
    """True when the CSRF cookie lives at least as long as the session cookie."""
    age = settings.CSRF_COOKIE_AGE
    return not settings.CSRF_USE_SESSIONS and (age is None or age >= settings.SESSION_COOKIE_AGE)


def _renewal_needless(request):
    if request.COOKIES.get(settings.CSRF_COOKIE_NAME) != request.META.get("CSRF_COOKIE"):
        return False
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    try:
        signed_in = user is not None and user.is_authenticated
    except (RedisError, DatabaseError):
        return False  # the session could not be read (the page said so): Django's way
    return (signed_in and session is not None and not session.modified
            and not settings.SESSION_SAVE_EVERY_REQUEST and _never_outlived())


class CsrfCookieKeptMiddleware:
    """Goes right after CsrfViewMiddleware, whose process_response sees its answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") and _renewal_needless(request):
            request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
        return response
