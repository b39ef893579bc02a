"""The main screens in each of Heron's languages: the page says its language and direction,
its controls are found by their labels in that language, and Arabic runs right to left.

The anonymous login page gets its language from Accept-Language, the others from the
user's preference. One browser; one login per language.

A language other than English passes once its catalogs are translated (locale/, see
docs/translating.md): until then each of its labels is reported as untranslated. To add a
screen, add it to SCREENS with a few of its controls."""
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from accounts import preferences
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
        ("button", "Keyboard shortcuts"), ("combobox", "Sort by"))),
    "message": Screen("/mail/message/{uid}/?mailbox=" + FOLDER, (
        ("link", "Reply"), ("button", "Archive"), ("button", "Forward"))),
    "compose": Screen("/mail/compose/", (
        ("button", "Send"), ("button", "Save draft"), ("button", "Attach"))),
    "settings": Screen("/accounts/settings/", (("heading", "Settings"),)),
    "contacts": Screen("/contacts/", (("link", "New contact"), ("navigation", "Address books"))),
    "filters": Screen("/mail/filters/", (("link", "New rule"), ("link", "Vacation reply"))),
}


def translated(label, language):
    """label in language, through the catalogs the page uses (English when there is none)."""
    with translation.override(language):
        return translation.gettext(label)


def check_screen(page, name, language, problems):
    """Adds to problems what is wrong with the screen: its language, its direction, a
    control not found by its label in the language, a label with no translation."""
    html = page.locator("html")
    if html.get_attribute("lang") != language:
        problems.append(f"{name}: lang={html.get_attribute('lang')!r}")
    if html.get_attribute("dir") != ("rtl" if language in RTL else "ltr"):
        problems.append(f"{name}: dir={html.get_attribute('dir')!r}")
    for role, label in SCREENS[name].controls:
        shown = translated(label, language)
        if shown == label and not language.startswith("en"):
            problems.append(f"{name}: no {language} translation of {label!r}")
        if not page.get_by_role(role, name=shown, exact=True).first.is_visible():
            problems.append(f"{name}: no {role} named {shown!r} ({label!r})")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_screens_speak_the_language(live_server, browser, screen_folder,
                                             language):
    base = live_server.url
    anonymous = browser.new_context(viewport={"width": 1440, "height": 900},
                                    extra_http_headers={"Accept-Language": language})
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    problems = []
    try:
        page = anonymous.new_page()
        for name, screen in SCREENS.items():
            if screen.anonymous:
                page.goto(base + screen.path)
                check_screen(page, name, language, problems)
        page = context.new_page()
        log_in(page, base, USER)
        carol = get_user_model().objects.get(username=USER)
        preferences.choose(carol, {"language": language})
        for name, screen in SCREENS.items():
            if not screen.anonymous:
                page.goto(base + screen.path.format(uid=screen_folder))
                check_screen(page, name, language, problems)
        page.goto(base + SCREENS["mailbox"].path)
        folders = page.locator(".folders").bounding_box()
        listing = page.locator(".list-pane").bounding_box()
        # The layout runs with the language: the folders lead, on the right in Arabic.
        assert (folders["x"] > listing["x"]) == (language in RTL), (folders, listing)
    finally:
        anonymous.close()
        context.close()
    assert not problems, f"{language}: {problems}"
