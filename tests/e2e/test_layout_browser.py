"""The layouts a user picks in Settings, in Chromium: the reading pane on the right, below
or off; the divider dragged by keyboard and remembered; single-key shortcuts turned off."""
from urllib.parse import quote

import pytest

from accounts.models import Preferences
from tests.e2e.test_reading_browser import BOB, bob_folder, log_in  # noqa: F401 (fixture)
from tests.integration import mailfactory as mf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def choose(page, base, layout_label, compact=False, shortcuts=True):
    page.goto(f"{base}/accounts/settings/")
    page.get_by_label(layout_label).check()
    page.get_by_label("Compact" if compact else "Comfortable").check()
    with page.expect_navigation():
        page.locator("#mailbox").get_by_role("button", name="Save").click()
    page.get_by_label("Single-key shortcuts").set_checked(shortcuts)
    with page.expect_navigation():
        page.locator("#general").get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_the_reading_pane_below_the_list_and_a_divider_kept_across_pages(
        live_server, page, bob_folder):
    conn, folder = bob_folder
    conn.append(folder, mf.message(subject="Below one", text="Read below").as_bytes())
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server.url)
    choose(page, live_server.url, "Reading pane below the list")
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    listed, reading = box(page, ".list-pane"), box(page, ".reading-pane")
    assert reading["y"] >= listed["y"] + listed["height"] - 1, "the pane is under the list"
    assert abs(reading["x"] - listed["x"]) < 2
    page.get_by_role("link", name="Below one").click()
    page.get_by_role("complementary", name="Reading pane").get_by_text("Read below").wait_for()
    divider = page.get_by_role("separator", name="Resize the message list and the reading pane")
    divider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowUp")
    assert divider.get_attribute("aria-valuenow") == "35"
    page.wait_for_function("() => !document.querySelector('.divider.dragging')")
    page.wait_for_timeout(600)  # the save is sent 400 ms after the last key
    assert Preferences.objects.get(user__username=BOB).list_share == 35
    page.reload()
    assert page.get_by_role("separator").get_attribute("aria-valuenow") == "35"
    shorter = box(page, ".list-pane")
    assert shorter["height"] < listed["height"]


def test_without_a_reading_pane_a_message_opens_as_its_own_page(live_server, page, bob_folder):
    conn, folder = bob_folder
    conn.append(folder, mf.message(subject="Own page", text="Whole window").as_bytes())
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server.url)
    choose(page, live_server.url, "No reading pane (list, then message)", compact=True)
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    assert not page.locator(".reading-pane").is_visible()
    assert page.locator("body").get_attribute("data-density") == "compact"
    page.get_by_role("link", name="Own page").click()
    page.wait_for_url("**/mail/message/**")
    assert page.get_by_text("Whole window").is_visible()


def test_single_key_shortcuts_can_be_turned_off(live_server, page, bob_folder):
    conn, folder = bob_folder
    for n in range(2):
        conn.append(folder, mf.message(subject=f"Key {n}", days=n).as_bytes())
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    page.keyboard.press("j")
    assert page.locator("tr.message-row.selected").count() == 1
    choose(page, live_server.url, "Reading pane on the right", shortcuts=False)
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.locator("tr.message-row.selected").count() == 0
    assert page.locator("tr.message-row input[type=checkbox]:checked").count() == 0


def test_on_a_phone_the_message_actions_are_a_bar_at_the_bottom(live_server, page, bob_folder):
    conn, folder = bob_folder
    conn.append(folder, mf.message(subject="Thumb reach", text="Read on a phone").as_bytes())
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    page.get_by_role("link", name="Thumb reach").click()
    page.wait_for_url("**/mail/message/**")
    bar = page.locator(".message-toolbar").bounding_box()
    assert abs(bar["y"] + bar["height"] - 844) <= 1
    actions = page.get_by_role("form", name="Message actions")
    for name in ("Reply", "Archive", "Delete", "More actions"):
        control = actions.get_by_label(name, exact=True)
        assert control.is_visible(), f"{name} is in the bottom bar"
        box = control.bounding_box()
        assert box["y"] >= bar["y"] - 1 and box["x"] + box["width"] <= 390
    more = actions.get_by_label("More actions", exact=True)
    more.click()
    menu = page.get_by_role("menu").bounding_box()
    assert menu["y"] >= 0 and menu["y"] + menu["height"] <= more.bounding_box()["y"], (
        "the menu opens upwards, on screen")
