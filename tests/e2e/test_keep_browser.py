"""After an action the user keeps their place: the messages marked stay selected, the row
after an archived one is highlighted, and `z` undoes."""
from urllib.parse import quote

import pytest

from tests.e2e.test_reading_browser import bob_folder, log_in  # noqa: F401 (fixture)
from tests.integration import mailfactory as mf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_marked_messages_stay_selected_and_z_undoes_an_archive(live_server, page, bob_folder):
    conn, folder = bob_folder
    for n in range(3):
        conn.append(folder, mf.message(subject=f"Keep {n}", days=n).as_bytes())
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    page.get_by_label("Select message from Dana Whitfield: Keep 0").check()
    page.get_by_label("Select message from Dana Whitfield: Keep 2").check()
    page.get_by_role("button", name="Flag selected").click()
    page.get_by_role("status").get_by_text("Flagged 2 messages").wait_for()
    assert page.get_by_label("Select message from Dana Whitfield: Keep 0").is_checked()
    assert page.get_by_label("Select message from Dana Whitfield: Keep 2").is_checked()
    assert not page.get_by_label("Select message from Dana Whitfield: Keep 1").is_checked()

    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    page.locator("body").press("j")  # the newest, Keep 2
    page.locator("body").press("j")  # Keep 1
    page.locator("body").press("e")
    page.get_by_text("Moved 1 message to Archive").wait_for()
    assert page.locator("tr.message-row").count() == 2
    highlighted = page.locator("tr.message-row.selected")
    assert highlighted.count() == 1 and "Keep 0" in highlighted.inner_text()
    page.locator("body").press("z")
    page.get_by_role("status").get_by_text("Undone", exact=False).wait_for()
    assert page.locator("tr.message-row").count() == 3


def test_the_selection_toolbar_replaces_the_header_and_docks_at_the_bottom_of_a_phone(
        live_server, page, bob_folder):
    conn, folder = bob_folder
    for n in range(2):
        conn.append(folder, mf.message(subject=f"Pick {n}", days=n).as_bytes())
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    archive = page.get_by_role("button", name="Archive selected")
    header = page.locator(".list-header")
    assert not archive.is_visible() and header.is_visible()
    page.get_by_label("Select message from Dana Whitfield: Pick 1").check()
    assert archive.is_visible() and not header.is_visible()
    page.get_by_label("Select message from Dana Whitfield: Pick 1").uncheck()
    assert not archive.is_visible() and header.is_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_label("Select message from Dana Whitfield: Pick 0").check()
    bar = page.get_by_role("toolbar", name="Message actions").bounding_box()
    assert abs(bar["y"] + bar["height"] - 844) <= 1, "a compact bar at the bottom"
    assert bar["height"] < 80
