"""Preferences in Chromium: asking before a send without a subject or with "attached" and
no file, the theme toggle saved for the user, mark as read after a while, and the Settings
page at phone and desktop widths in both themes."""
import os
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model

from accounts.preferences import choose, effective
from tests.e2e.test_reading_browser import BOB, bob_folder, log_in  # noqa: F401 (fixture)
from tests.integration import mailfactory as mf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("HERON_SHOTS_DIR", "")


def bob():
    return get_user_model().objects.get(username=BOB)


def write(page, base, subject, body):
    page.goto(f"{base}/mail/compose/")
    page.get_by_label("To", exact=True).fill(BOB)
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Message", exact=True).fill(body)


def test_send_without_a_subject_asks_in_a_dialog_first(live_server, page):
    base = live_server.url
    log_in(page, base)
    choose(bob(), {"undo_seconds": 0})
    write(page, base, "", "The plan is attached.")
    page.get_by_role("button", name="Send", exact=True).click()
    dialog = page.get_by_role("dialog", name="Send this message?")
    dialog.wait_for()
    assert dialog.get_by_text("The message has no subject.").is_visible()
    assert dialog.get_by_text("The text mentions an attachment, but no file is attached."
                              ).is_visible()
    dialog.get_by_role("button", name="Back to the message").click()
    assert dialog.count() == 0 and "/mail/compose/" in page.url
    assert page.get_by_label("Message", exact=True).input_value() == "The plan is attached."
    page.get_by_role("button", name="Send", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("dialog").get_by_role("button", name="Send anyway").click()
    page.wait_for_url(f"{base}/mail/")


def test_a_message_with_a_subject_and_no_mention_sends_without_asking(live_server, page):
    base = live_server.url
    log_in(page, base)
    choose(bob(), {"undo_seconds": 0})
    write(page, base, "Lunch", "Noon at the usual place?")
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(f"{base}/mail/")


def test_the_theme_toggle_is_kept_for_the_user_not_the_browser(live_server, page):
    base = live_server.url
    log_in(page, base)
    page.emulate_media(color_scheme="light")
    page.reload()
    with page.expect_response("**/accounts/settings/theme/"):
        page.locator(".theme-toggle").first.click()
    assert effective(bob(), "theme") == "dark"
    page.evaluate("localStorage.clear()")  # what this browser kept plays no part
    page.goto(f"{base}/accounts/settings/")
    assert page.locator("html").get_attribute("data-theme") == "dark"
    assert page.get_by_role("radio", name="Dark").is_checked()


def test_mark_as_read_after_a_while(live_server, page, bob_folder):
    conn, folder = bob_folder
    conn.append(folder, mf.message(subject="Read slowly", text="Take your time").as_bytes())
    base = live_server.url
    log_in(page, base)
    choose(bob(), {"mark_read": "delay", "mark_read_seconds": 1})
    page.goto(f"{base}/mail/?mailbox={quote(folder)}")
    conn.select_folder(folder)
    uid = conn.search(["ALL"])[0]
    with page.expect_response("**/mail/actions/"):
        page.get_by_role("link", name="Read slowly").click()
    assert b"\\Seen" in conn.get_flags([uid])[uid]


@pytest.mark.parametrize("width", [1440, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_settings_draws_at_each_width_and_theme(live_server, page, width, scheme):
    base = live_server.url
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)
    log_in(page, base)
    page.goto(f"{base}/accounts/settings/")
    for name in ("Mailbox", "Reading", "Writing", "General"):
        page.get_by_role("navigation", name="Settings sections").get_by_role(
            "link", name=name).wait_for()
    page.get_by_label("Messages per page").select_option("25")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/settings-{width}-{scheme}.png", full_page=True)
