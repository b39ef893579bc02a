"""Snooze in Chromium, by label and from the keyboard: b opens the Snooze menu on the
highlighted message, a preset puts it away, the Snoozed view lists it and Unsnooze now
brings it back on top with its note; Enter in the date field snoozes (never archives), a
past date is refused in words; on a phone the menu stays on the screen."""
import re
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest

from tests.e2e.test_accessibility import violations
from tests.e2e.test_reading_browser import BOB, bob_folder, log_in  # noqa: F401 (a fixture)
from tests.integration import mailfactory as mf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def snoozing(bob_folder, service_login):
    """Bob's scratch folder with three messages; his Snoozed folder emptied of them after."""
    conn, folder = bob_folder
    for n in range(3):
        conn.append(folder, mf.message(subject=f"Later {n}", text=f"Body {n}", days=n,
                                       to="Bob <bob@heron.test>").as_bytes())
    had_snoozed = conn.folder_exists("Snoozed")
    yield conn, folder
    if conn.folder_exists("Snoozed"):
        conn.select_folder("Snoozed")
        mine = conn.search(["SUBJECT", "Later "])
        if mine:
            conn.delete_messages(mine)
            conn.uid_expunge(mine)
        if not had_snoozed and not conn.search(["ALL"]):
            conn.unselect_folder()
            conn.delete_folder("Snoozed")


def rows(page):
    return page.locator("tr.message-row .subject a").all_inner_texts()


def test_b_snoozes_the_highlighted_message_and_unsnooze_brings_it_back_on_top(
        live_server, page, snoozing):
    conn, folder = snoozing
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    assert rows(page) == ["Later 2", "Later 1", "Later 0"]
    for _ in range(3):
        page.keyboard.press("j")  # down to the oldest, Later 0
    page.keyboard.press("b")
    presets = page.locator("#list-form .snooze-preset")
    presets.first.wait_for()
    assert presets.first.evaluate("button => button === document.activeElement")
    page.keyboard.press("ArrowDown")
    assert presets.nth(1).evaluate("button => button === document.activeElement")
    tomorrow = page.get_by_role("button", name=re.compile(r"^Tomorrow, \w{3} \d+ \w{3}, 08:00$"))
    with page.expect_navigation():
        tomorrow.click()
    page.get_by_text("Snoozed 1 message until").wait_for()
    assert rows(page) == ["Later 2", "Later 1"]

    page.get_by_role("link", name="Snoozed, 1 waiting").click()
    page.get_by_role("heading", name="Later 0").wait_for()
    with page.expect_navigation():
        page.get_by_role("button", name="Unsnooze now: Later 0").click()
    page.get_by_text(f"“Later 0” is back in {folder}, unread.").wait_for()
    page.get_by_text("Nothing is snoozed.").wait_for()

    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    assert rows(page) == ["Later 0", "Later 2", "Later 1"]  # on top, though the oldest
    first = page.locator("tr.message-row").first
    assert "unread" in first.get_attribute("class")
    assert first.locator(".snooze-note").inner_text().startswith("Snoozed on ")


def test_enter_in_the_date_field_snoozes_and_a_past_date_is_refused(live_server, page,
                                                                     snoozing):
    conn, folder = snoozing
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    page.get_by_role("link", name="Later 1").click()
    page.wait_for_url("**/mail/message/**")
    page.get_by_label("Snooze", exact=True).click()
    panel = page.locator(".message-toolbar .snooze-panel")
    panel.wait_for()
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] >= 0
    assert violations(page) == []
    page.emulate_media(color_scheme="dark")
    assert violations(page) == []

    picker = page.get_by_label("Pick date and time…")
    # The picker's min keeps a past date out; a page left open overnight does not.
    picker.evaluate("input => input.removeAttribute('min')")
    picker.fill((datetime.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        picker.press("Enter")
    page.get_by_text("has passed. Choose a later time; nothing was snoozed.").wait_for()
    assert "Later 1" in rows(page)  # not archived, not snoozed

    page.get_by_role("link", name="Later 1").click()
    page.wait_for_url("**/mail/message/**")
    page.get_by_label("Snooze", exact=True).click()
    picker = page.get_by_label("Pick date and time…")
    picker.fill((datetime.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        picker.press("Enter")
    page.get_by_text("Snoozed 1 message until").wait_for()
    assert "Later 1" not in rows(page)
    conn.select_folder("Snoozed", readonly=True)
    assert conn.search(["SUBJECT", "Later 1"])
