"""The main screens in each of Heron's languages: the page says its language and direction,
its controls are found by their labels in that language, and Arabic runs right to left.

The anonymous login page gets its language from Accept-Language, the others from the
user's preference. One browser; one login per language.

A language other than English passes once its catalogs are translated (locale/, see
docs/translating.md): until then each of its labels is reported as untranslated. To add a
screen (contacts, say), add it to SCREENS with a few of its controls."""
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from accounts.models import Preferences
from tests.e2e.conftest import log_in

# Carol's folder of fixed messages that the screenshots use too.
from tests.e2e.test_screenshots import FOLDER, USER, screen_folder  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LANGUAGES = [code for code, _name in settings.LANGUAGES]
RTL = set(settings.LANGUAGES_BIDI)


@dataclass(frozen=True)
class Screen:
    path: str
    # (ARIA role, English label): found on the page by the label in its language.
    controls: tuple
    anonymous: bool = False


SCREENS = {
    "login": Screen("/accounts/login/", (("button", "Log in"),), anonymous=True),
    "mailbox": Screen("/mail/?mailbox=" + FOLDER, (
        ("link", "Compose"), ("button", "Log out"), ("navigation", "Folders"),
        ("button", "Archive selected"), ("combobox", "Sort by"))),
    "message": Screen("/mail/message/{uid}/?mailbox=" + FOLDER, (
        ("link", "Reply"), ("button", "Archive"), ("button", "Forward"))),
    "compose": Screen("/mail/compose/", (
        ("button", "Send"), ("button", "Save draft"), ("button", "Attach"))),
    "settings": Screen("/accounts/settings/", (("heading", "Settings"),)),
}


def translated(label, language):
    """label in language, through the catalogs the page uses; fails when there is none."""
    with translation.override(language):
        shown = translation.gettext(label)
    if not language.startswith("en"):
        assert shown != label, f"{language}: no translation of {label!r} (locale/{language})"
    return shown


def check_screen(page, name, language):
    html = page.locator("html")
    assert html.get_attribute("lang") == language, f"{name}: lang of the page"
    assert html.get_attribute("dir") == ("rtl" if language in RTL else "ltr"), f"{name}: dir"
    for role, label in SCREENS[name].controls:
        control = page.get_by_role(role, name=translated(label, language), exact=True)
        assert control.first.is_visible(), f"{name} in {language}: no {role} {label!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_screens_speak_the_language(live_server, browser, screen_folder,
                                             language):
    base = live_server.url
    anonymous = browser.new_context(viewport={"width": 1440, "height": 900},
                                    extra_http_headers={"Accept-Language": language})
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = anonymous.new_page()
        for name, screen in SCREENS.items():
            if screen.anonymous:
                page.goto(base + screen.path)
                check_screen(page, name, language)
        page = context.new_page()
        log_in(page, base, USER)
        carol = get_user_model().objects.get(username=USER)
        Preferences.objects.update_or_create(user=carol, defaults={"language": language})
        for name, screen in SCREENS.items():
            if not screen.anonymous:
                page.goto(base + screen.path.format(uid=screen_folder))
                check_screen(page, name, language)
        page.goto(base + SCREENS["mailbox"].path)
        folders = page.locator(".folders").bounding_box()
        listing = page.locator(".list-pane").bounding_box()
        if language in RTL:
            assert folders["x"] > listing["x"], "right to left, the folders sit on the right"
        else:
            assert folders["x"] < listing["x"], "left to right, the folders sit on the left"
    finally:
        anonymous.close()
        context.close()
