"""The mail screen's controls in Chromium: the message toolbar is one row on a wide screen
and on a phone, its More menu works from the keyboard, and Send stays in view."""
from urllib.parse import quote

import pytest

from tests.e2e.test_reading_browser import bob_folder, log_in  # noqa: F401 (a fixture)
from tests.integration import mailfactory as mf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def tops_of_toolbar(scope):
    """The top edge of each control the toolbar shows, rounded to the pixel."""
    return scope.locator(".message-toolbar").first.evaluate("""toolbar =>
        Array.from(toolbar.querySelectorAll(".tool"))
          .filter(control => control.getClientRects().length)
          .map(control => Math.round(control.getBoundingClientRect().top))""")


def open_first(page, base, folder, subject):
    page.goto(f"{base}/mail/?mailbox={quote(folder)}")
    page.get_by_role("link", name=subject).click()


def test_the_message_toolbar_is_one_row_wide_and_on_a_phone(live_server, page, bob_folder):  # noqa: F811
    conn, folder = bob_folder
    for n in range(3):
        conn.append(folder, mf.message(subject=f"Row {n}", text=f"Body {n}", days=n).as_bytes())
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server.url)
    open_first(page, live_server.url, folder, "Row 1")
    reading = page.get_by_role("complementary", name="Reading pane")
    reading.get_by_text("Body 1").wait_for()
    tops = tops_of_toolbar(reading)
    assert len(tops) >= 12 and len(set(tops)) == 1, tops  # prev and next included

    page.set_viewport_size({"width": 390, "height": 844})
    open_first(page, live_server.url, folder, "Row 1")
    page.wait_for_url("**/mail/message/**")
    tops = tops_of_toolbar(page)
    assert len(tops) >= 11 and len(set(tops)) == 1, tops
    toolbar = page.locator(".message-toolbar").bounding_box()
    assert toolbar["x"] >= 0 and toolbar["x"] + toolbar["width"] <= 390


def test_the_more_menu_works_from_the_keyboard(live_server, page, bob_folder):  # noqa: F811
    conn, folder = bob_folder
    conn.append(folder, mf.message(subject="Menu", text="Menu body").as_bytes())
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server.url)
    open_first(page, live_server.url, folder, "Menu")
    reading = page.get_by_role("complementary", name="Reading pane")
    reading.get_by_text("Menu body").wait_for()
    more = reading.get_by_role("button", name="More actions")
    assert more.get_attribute("aria-haspopup") == "menu"
    assert more.get_attribute("aria-expanded") == "false"
    more.focus()
    page.keyboard.press("Enter")
    menu = reading.get_by_role("menu")
    menu.wait_for()
    assert more.get_attribute("aria-expanded") == "true"
    items = menu.get_by_role("menuitem")
    assert items.first.evaluate("item => item === document.activeElement")
    page.keyboard.press("ArrowDown")
    assert items.nth(1).evaluate("item => item === document.activeElement")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # wraps round to the last
    assert items.last.evaluate("item => item === document.activeElement")
    page.keyboard.press("Escape")
    menu.wait_for(state="hidden")
    assert more.get_attribute("aria-expanded") == "false"
    assert more.evaluate("button => button === document.activeElement")

    page.keyboard.press("ArrowDown")
    menu.wait_for()
    page.get_by_role("heading", name=folder).click()  # the list's, outside the menu
    menu.wait_for(state="hidden")
    reading.get_by_role("button", name="More actions").click()
    menu.get_by_role("menuitem", name="Forward as attachment").wait_for()


def test_send_stays_in_view_while_writing_a_long_message(live_server, page):
    log_in(page, live_server.url)
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/mail/compose/")
        page.get_by_role("radio", name="Rich text").check()
        editor = page.get_by_role("textbox", name="Message (rich text)")
        editor.click()
        for line in range(40):
            page.keyboard.type(f"Line {line}")
            page.keyboard.press("Enter")
        box = page.get_by_role("button", name="Send", exact=True).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (width, box)
        page.get_by_role("button", name="Discard draft").click()
