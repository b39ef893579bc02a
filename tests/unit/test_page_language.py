"""The page's language: the user's choice wins, else Accept-Language; the login page follows
the browser; the JavaScript catalog is one cached file per language and release."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext

from accounts import preferences
from accounts.models import Preferences
from webmail import language

pytestmark = pytest.mark.django_db


def _choose(code):
    user = get_user_model().objects.get(username="alice@heron.test")
    preferences.choose(user, {"language": code})


def _html_lang(response):
    return re.search(r'<html lang="([^"]+)" dir="([^"]+)"', response.content.decode()).groups()


def test_the_login_page_follows_accept_language(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    assert response.status_code == 200
    assert _html_lang(response) == ("de", "ltr")
    assert response["Content-Language"] == "de"


def test_arabic_pages_run_right_to_left(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ar")
    assert _html_lang(response) == ("ar", "rtl")


def test_an_unknown_language_falls_back_to_english(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="xx-YY")
    assert _html_lang(response) == ("en", "ltr")
    assert response["Content-Language"] == "en"


def test_the_users_choice_wins_over_the_browser(alice):
    _choose("fr")
    response = alice.get("/mail/", HTTP_ACCEPT_LANGUAGE="de", follow=True)
    assert _html_lang(response) == ("fr", "ltr")
    assert response["Content-Language"] == "fr"


def test_brazilian_portuguese_is_kept_as_chosen(alice):
    _choose("pt-br")
    response = alice.get("/mail/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert _html_lang(response)[0] == "pt-br"


def test_no_choice_follows_the_browser(alice):
    _choose("")
    response = alice.get("/mail/", HTTP_ACCEPT_LANGUAGE="es", follow=True)
    assert _html_lang(response) == ("es", "ltr")


def test_a_choice_heron_no_longer_offers_follows_the_browser(alice):
    # Stored by an older release that offered it; choosing it now is refused.
    user = get_user_model().objects.get(username="alice@heron.test")
    preferences.preferences_for(user)
    Preferences.objects.filter(user=user).update(chosen={"language": "kl"})
    response = alice.get("/mail/", HTTP_ACCEPT_LANGUAGE="de", follow=True)
    assert _html_lang(response)[0] == "de"


def test_the_language_costs_no_extra_preferences_read(alice):
    _choose("de")
    alice.get("/mail/", follow=True)
    with CaptureQueriesContext(connection) as queries:
        response = alice.get("/mail/", follow=True)
    assert _html_lang(response)[0] == "de"
    reads = [q["sql"] for q in queries if 'FROM "accounts_preferences"' in q["sql"]]
    assert len(reads) <= 1  # none while the shared cache keeps them


def test_the_page_links_the_catalog_of_its_language(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert f'src="/jsi18n/ar/{language.CATALOG_VERSION}.js"' in page


def test_the_catalog_is_cached_for_a_year_in_its_language(client):
    response = client.get(f"/jsi18n/ar/{language.CATALOG_VERSION}.js",
                          HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert "django.gettext" in response.content.decode()
    assert "immutable" in response["Cache-Control"]
    assert "max-age=31536000" in response["Cache-Control"]
    assert response["Content-Language"] == "ar"
    # Arabic has six plural forms: the catalog's pluralidx is Arabic's, not English's.
    assert "n==2 ? 2" in response.content.decode()


def test_a_catalog_of_another_release_is_served_but_revalidated(client):
    response = client.get("/jsi18n/de/0123456789ab.js")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("path", [
    "/jsi18n/xx/{v}.js", "/jsi18n/ar/0000.js", "/jsi18n/AR/{v}.js", "/jsi18n/ar%0d/{v}.js",
    "/jsi18n/de/{v}%0d%0a.js",
])
def test_an_unknown_catalog_is_not_found(client, path):
    assert client.get(path.format(v=language.CATALOG_VERSION)).status_code == 404


def test_the_catalog_answers_only_get(client):
    response = client.post(f"/jsi18n/de/{language.CATALOG_VERSION}.js")
    assert response.status_code == 405


def test_icons_that_point_are_mirrored_right_to_left():
    from django.template import Context, Template
    html = Template('{% load icons %}{% icon "arrow-left" %}{% icon "star" %}').render(Context())
    assert 'class="icon icon-directional"' in html
    assert '<svg class="icon" ' in html


@pytest.mark.parametrize("outage", ["redis", "database"])
def test_with_the_session_or_database_down_the_browser_picks(rf, settings, outage):
    """The page saying a service is down is drawn in the browser's language: asking who
    the user is reads the session (Redis), their choice the database."""
    from django.db import OperationalError
    from django.utils import translation
    from redis.exceptions import ConnectionError as RedisDown

    failure = RedisDown("down") if outage == "redis" else OperationalError("down")

    class Gone:
        @property
        def is_authenticated(self):
            raise failure

    request = rf.get("/mail/", HTTP_ACCEPT_LANGUAGE="de")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "x"
    request.user = Gone()
    with translation.override("de"):
        response = language.LanguageMiddleware(lambda r: HttpResponse("ok"))(request)
    assert response.status_code == 200
    assert response["Content-Language"] == "de"


def test_the_user_it_loads_replaces_the_lazy_stand_in(alice):
    """Signed in, the page's request.user is the user itself from here on (every later use
    plain, not through Django's lazy proxy); anonymous, it stays Django's lazy one."""
    from django.test import Client
    from django.utils.functional import SimpleLazyObject

    page = alice.get("/mail/")
    assert type(page.wsgi_request.user) is get_user_model()
    assert page.wsgi_request.user.username == "alice@heron.test"
    anonymous = Client().get("/accounts/login/")
    assert isinstance(anonymous.wsgi_request.user, SimpleLazyObject)
    assert not anonymous.wsgi_request.user.is_authenticated
