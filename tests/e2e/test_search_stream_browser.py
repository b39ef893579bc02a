"""A search of all folders in Chromium: the first folder's hits are on screen while a
slower folder has not answered, and the count of folders searched ends in the total."""
import re
import uuid

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.e2e.test_reading_browser import bob_folder, log_in  # noqa: F401 (a fixture)
from tests.integration import mailfactory as mf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_first_results_show_before_the_slowest_folder_answers(live_server, page,
                                                              bob_folder):  # noqa: F811
    conn, folder = bob_folder
    token = f"zq{uuid.uuid4().hex[:10]}"
    conn.append(folder, mf.message(subject=f"Streamed {token}", text="hi", days=1).as_bytes())
    held = []
    # The Inbox's answer is held until the test has seen the scratch folder's hits.
    page.route(re.compile(r"/mail/search/folder/\?"),
               lambda route: held.append(route) if "folder=INBOX&" in route.request.url + "&"
               else route.continue_())
    cache.clear()  # the folder list, kept for half a minute, names the new folder
    log_in(page, live_server.url)
    page.get_by_role("searchbox", name="Search mail").fill(token)
    page.get_by_text("Filters", exact=True).click()
    page.get_by_role("group", name="Search filters").get_by_label("Folders").select_option(
        "everywhere")
    page.get_by_role("button", name="Search", exact=True).click()

    progress = page.locator("#search-progress")
    expect(page.get_by_role("link", name=f"Streamed {token}")).to_be_visible()
    expect(progress).to_contain_text("Folders searched:")
    for _ in range(100):  # the held request reaches the handler while Playwright waits
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the Inbox was never asked"
    expect(progress).not_to_contain_text("Messages found")
    held[0].continue_()
    expect(progress).to_have_text("Messages found: 1")
    expect(page.get_by_role("link", name=f"Streamed {token}")).to_be_visible()
