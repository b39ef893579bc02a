"""The message list in Chromium: reading a message in the pane makes its row read and
lowers the folder's count and the tab title; the star flags a message where it is."""
import re
from urllib.parse import quote

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.e2e.test_reading_browser import bob_folder, log_in  # noqa: F401 (a fixture)
from tests.integration import mailfactory as mf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_list(page, base, folder):
    page.set_viewport_size({"width": 1400, "height": 900})
    cache.clear()  # the folder list, kept for half a minute, names the new folder
    log_in(page, base)
    page.goto(f"{base}/mail/?mailbox={quote(folder)}")
    page.evaluate("window.sameDocument = true")  # gone after any reload


def test_reading_in_the_pane_marks_the_row_read_and_lowers_the_counts(live_server, page,
                                                                       bob_folder):  # noqa: F811
    conn, folder = bob_folder
    conn.append(folder, mf.message(subject="Count me", text="First body", days=1).as_bytes())
    conn.append(folder, mf.message(subject="And me", text="Second body", days=2).as_bytes())
    open_list(page, live_server.url, folder)
    badge = page.locator(f'.folders a[data-folder="{folder}"] .badge')
    assert page.title() == f"{folder} (2) – Heron" and badge.inner_text() == "2"
    row = page.locator("tr.message-row", has_text="And me")
    assert row.get_by_role("img", name="Unread").count() == 1

    page.get_by_role("link", name="And me", exact=True).click()
    page.get_by_role("complementary", name="Reading pane").get_by_text("Second body").wait_for()
    expect(row).not_to_have_class(re.compile(r"\bunread\b"))
    assert row.get_by_role("img", name="Unread").count() == 0
    expect(badge).to_have_text("1")
    expect(page).to_have_title(f"{folder} (1) – Heron")
    page.get_by_role("link", name=f"{folder}, 1 unread").wait_for()
    assert page.locator("tr.message-row.unread").count() == 1
    assert page.evaluate("window.sameDocument")
    conn.select_folder(folder, readonly=True)
    assert len(conn.search(["UNSEEN"])) == 1


def test_the_star_flags_and_unflags_a_message_without_a_reload(live_server, page,
                                                                bob_folder):  # noqa: F811
    conn, folder = bob_folder
    conn.append(folder, mf.message(subject="Star me").as_bytes(), flags=[b"\\Seen"])
    open_list(page, live_server.url, folder)
    row = page.locator("tr.message-row", has_text="Star me")
    star = row.get_by_role("button", name="Flag", exact=True)
    assert star.get_attribute("aria-pressed") == "false"

    star.click()
    flagged = row.get_by_role("button", name="Remove flag", exact=True)
    expect(flagged).to_have_attribute("aria-pressed", "true")
    conn.select_folder(folder, readonly=True)
    assert len(conn.search(["FLAGGED"])) == 1

    flagged.focus()  # and by keyboard
    page.keyboard.press("Enter")
    expect(row.get_by_role("button", name="Flag", exact=True)).to_have_attribute(
        "aria-pressed", "false")
    conn.select_folder(folder, readonly=True)
    assert conn.search(["FLAGGED"]) == []
    assert page.evaluate("window.sameDocument")
