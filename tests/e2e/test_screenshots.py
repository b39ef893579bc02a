"""Pictures of the main screens (list, message, compose, scheduled) at 1440, 1024 and 390
px, in the light and the dark theme, compared with the reference pictures in
tests/e2e/screens/: an unexpected change of the screen fails the test, with the new picture
and a picture of the difference left in tests/e2e/screens/failed/ to look at.

A change meant to alter the screens takes new references, deliberately, by
`make screenshots` (README: "Screenshots"), which also renews docs/screenshots/.

Each other language (settings.LANGUAGES, Arabic right to left) has its pictures of the list,
a message and compose at 1440 and 390 px in the light theme, taken with the user's language
preference; after translating, take new references and look at them (docs/translating.md).

The content is fixed (a folder of its own with dated messages, messages scheduled at fixed
times); what changes from run to run (the list of folders, whose scratch folders come and
go) is masked."""
import io
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from imapclient import IMAPClient
from PIL import Image, ImageChops

from accounts import preferences
from tests.e2e.conftest import log_in
from tests.e2e.test_login_browser import stack_password
from tests.integration import mailfactory as mf
from webmail.models import HeldMessage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENS = Path(__file__).parent / "screens"
DOCS = Path(__file__).parents[2] / "docs" / "screenshots"
UPDATE = os.environ.get("HERON_UPDATE_SCREENSHOTS") == "1"
WIDTHS = {1440: 900, 1024: 768, 390: 844}
# A pixel counts as changed when a channel moved by more than CHANNEL; the screen as
# changed when more than SHARE of its pixels did (font hinting and anti-aliasing of a
# glyph edge stay well below both; a moved, recoloured or missing control does not).
CHANNEL, SHARE = 40, 0.004
USER, FOLDER = "carol@heron.test", "Screens"


@pytest.fixture
def screen_folder():
    """Carol's folder "Screens" with four messages of fixed dates and one with a file."""
    conn = IMAPClient(os.environ["IMAP_HOST"], port=int(os.environ["IMAP_PORT"]), ssl=False)
    conn.login(USER, stack_password(USER))
    if conn.folder_exists(FOLDER):
        conn.delete_folder(FOLDER)
    conn.create_folder(FOLDER)
    people = ["Dana Whitfield <dana@whitfield.example.com>", "Ravi Patel <ravi@example.org>",
              "Lena Fischer <lena@example.net>", "Tom Okafor <tom@example.com>"]
    for n, (sender, subject) in enumerate(zip(people, [
            "Quarterly plan for the garden project", "Lunch on Friday?",
            "Photos from the weekend", "Your invoice for March"])):
        conn.append(FOLDER, mf.message(
            subject=subject, sender=sender, to="Carol <carol@heron.test>", days=n,
            text=f"Hello Carol,\n\n{subject}: here is what I wanted to say.\n\n"
                 "Best wishes").as_bytes(), flags=[b"\\Seen"] if n % 2 else [])
    conn.select_folder(FOLDER, readonly=True)
    newest = max(conn.search(["ALL"]))
    yield newest
    conn.select_folder("INBOX")
    conn.delete_folder(FOLDER)
    conn.logout()


def compare(name, picture):
    """Fails when picture differs from the reference `name` (see the module docstring)."""
    reference = SCREENS / f"{name}.png"
    if UPDATE:
        SCREENS.mkdir(exist_ok=True)
        reference.write_bytes(picture)
        return
    assert reference.exists(), f"no reference picture {reference}: run `make screenshots`"
    failed = SCREENS / "failed"
    expected = Image.open(reference).convert("RGB")
    actual = Image.open(io.BytesIO(picture)).convert("RGB")
    if expected.size != actual.size:
        failed.mkdir(exist_ok=True)
        (failed / f"{name}.png").write_bytes(picture)
        pytest.fail(f"{name}: {actual.size} now, {expected.size} in the reference")
    difference = ImageChops.difference(expected, actual)
    # The largest channel difference of each pixel, then the count of those above CHANNEL.
    worst = ImageChops.lighter(ImageChops.lighter(*difference.split()[:2]),
                               difference.split()[2])
    changed = worst.point(lambda v: 255 if v > CHANNEL else 0).histogram()[255]
    share = changed / (actual.size[0] * actual.size[1])
    if share > SHARE:
        failed.mkdir(exist_ok=True)
        (failed / f"{name}.png").write_bytes(picture)
        difference.point(lambda v: 255 if v > CHANNEL else 0).save(failed / f"{name}-diff.png")
        pytest.fail(f"{name}: {share:.2%} of the pixels changed (at most {SHARE:.2%}); "
                    f"see {failed}")


@pytest.fixture
def scheduled():
    """Two messages carol scheduled at fixed times, one of them being retried: what the
    Scheduled view lists (rows only: the view reads nothing else of them)."""
    def make():
        carol = get_user_model().objects.get(username=USER)
        for n, (subject, state, error) in enumerate([
                ("Agenda for the garden meeting", HeldMessage.State.QUEUED, ""),
                ("Invoice 2030-114", HeldMessage.State.RETRYING,
                 "The mail server cannot be reached right now.")]):
            HeldMessage.objects.create(
                owner=carol, kind=HeldMessage.Kind.LATER, state=state, last_error=error,
                send_at=datetime(2030, 5, 6 + n, 8, 0, tzinfo=timezone.utc),
                subject=subject, shown_to="Dana Whitfield <dana@whitfield.example.com>",
                envelope_from=USER, envelope_to=["dana@whitfield.example.com"],
                message_id=f"<screens-{n}@heron.test>", blob="", filed_headers=b"",
                draft_key=f"{n:032x}")
    return make


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_main_screens_look_as_they_did(live_server, browser, screen_folder, scheduled,
                                           service_login, width, scheme):
    context = browser.new_context(viewport={"width": width, "height": WIDTHS[width]},
                                  color_scheme=scheme, reduced_motion="reduce")
    page = context.new_page()
    base = live_server.url
    try:
        log_in(page, base, USER)
        scheduled()
        screens = {
            "list": f"{base}/mail/?mailbox={FOLDER}",
            "message": f"{base}/mail/message/{screen_folder}/?mailbox={FOLDER}",
            "compose": f"{base}/mail/compose/?to=dana%40whitfield.example.com"
                       "&subject=Re%3A%20Quarterly%20plan",
            "scheduled": f"{base}/mail/outbox/",
        }
        for name, url in screens.items():
            page.goto(url)
            page.wait_for_load_state("networkidle")
            page.evaluate("document.fonts.ready")
            # Caret and focus rings blink and wander; the folder list holds other tests'
            # scratch folders.
            masks = [page.locator(".folders"), page.locator("textarea, input[type=text]")]
            picture = page.screenshot(mask=masks, animations="disabled", caret="hide")
            compare(f"{name}-{width}-{scheme}", picture)
            if UPDATE and scheme == "light" and width in (1440, 390):
                DOCS.mkdir(parents=True, exist_ok=True)
                (DOCS / f"{name}-{width}.png").write_bytes(page.screenshot(
                    animations="disabled", caret="hide"))
    finally:
        page.goto("about:blank")
        context.close()


def take(page, name):
    """The picture of the page as it stands, with what changes between runs masked."""
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")
    masks = [page.locator(".folders"), page.locator("textarea, input[type=text]")]
    compare(name, page.screenshot(mask=masks, animations="disabled", caret="hide"))


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES
                                      if code != "en"])
def test_the_main_screens_in_each_language(live_server, browser, screen_folder, language):
    context = browser.new_context(viewport={"width": 1440, "height": WIDTHS[1440]},
                                  color_scheme="light", reduced_motion="reduce")
    page = context.new_page()
    base = live_server.url
    try:
        log_in(page, base, USER)
        carol = get_user_model().objects.get(username=USER)
        preferences.choose(carol, {"language": language})
        screens = {
            "list": f"{base}/mail/?mailbox={FOLDER}",
            "message": f"{base}/mail/message/{screen_folder}/?mailbox={FOLDER}",
            "compose": f"{base}/mail/compose/?to=dana%40whitfield.example.com"
                       "&subject=Re%3A%20Quarterly%20plan",
        }
        for width in (1440, 390):
            page.set_viewport_size({"width": width, "height": WIDTHS[width]})
            for name, url in screens.items():
                page.goto(url)
                take(page, f"{name}-{width}-{language}")
    finally:
        page.goto("about:blank")
        context.close()
