"""The language of a page: the user's own choice, else the browser's, and the JavaScript
catalog in that language, served once per language and release.

LocaleMiddleware (before the session) picks from Accept-Language; LanguageMiddleware
(after authentication) replaces that pick with the signed-in user's preference. The login
page and every anonymous page therefore follow the browser."""
import hashlib
import re
from pathlib import Path

import django
from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog
from redis.exceptions import RedisError

from accounts.preferences import effective

# A year: the URL carries the catalogs' version, so a new release asks for a new URL.
CATALOG_MAX_AGE = 365 * 24 * 3600


def chosen_language(user):
    """The language the user chose (a code of settings.LANGUAGES), or "" to follow the
    browser. The only place a user's language is read; one memoised preferences read."""
    return effective(user, "language")


def supported(code):
    """code if Heron's pages come in it (or a variant of it), else None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


class LanguageMiddleware:
    """Activates the signed-in user's language for the request and names it in
    Content-Language; anonymous requests keep LocaleMiddleware's Accept-Language pick."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._users_language(request)
        if language is not None:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response

    @staticmethod
    def _users_language(request):
        # Without a session cookie no one is signed in: ask neither the session store nor
        # the database (health checks and the login page pay nothing).
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        try:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                return None
            if isinstance(user, SimpleLazyObject):
                # Loaded now: the user itself replaces Django's lazy stand-in, whose every
                # later use (about 70 on a message page) went through its proxy (as
                # auth.login() sets it).
                request.user = user = user._wrapped
            return supported(chosen_language(user))
        except (RedisError, DatabaseError):
            # Who the user is lives in the session (Redis) and their choice in PostgreSQL:
            # with either down, the page that says so follows the browser's language.
            return None


def _catalog_version():
    """Names this release's JavaScript catalogs by their sources' contents, so that every
    frontend of a release computes the same name (compiling is done on each machine)."""
    digest = hashlib.sha1(django.get_version().encode())
    for path in sorted(Path(p) for p in settings.LOCALE_PATHS):
        for po in sorted(path.glob("*/LC_MESSAGES/djangojs.po")):
            digest.update(po.relative_to(path).as_posix().encode())
            digest.update(po.read_bytes())
    return digest.hexdigest()[:12]


CATALOG_VERSION = _catalog_version()
_VERSION_SHAPE = re.compile(r"^[0-9a-f]{12}$")
_catalogs: dict[str, tuple[bytes, str]] = {}


@require_GET
def javascript_catalog(request, language, version):
    """Django's JavaScript catalog for one language, rendered once per process. With this
    release's version in the URL the browser keeps it a year; a page of another release
    (a rolling upgrade) gets it too, but revalidated, so no cache keeps a wrong pairing."""
    if not _VERSION_SHAPE.match(version) or language not in dict(settings.LANGUAGES):
        raise Http404
    cached = _catalogs.get(language)
    if cached is None:
        with translation.override(language):
            rendered = JavaScriptCatalog.as_view()(request)
        cached = _catalogs[language] = (rendered.content, rendered["Content-Type"])
    response = HttpResponse(cached[0], content_type=cached[1])
    response.headers["Content-Language"] = language
    if version == CATALOG_VERSION:
        patch_cache_control(response, public=True, max_age=CATALOG_MAX_AGE, immutable=True)
    else:
        patch_cache_control(response, no_cache=True)
    return response
