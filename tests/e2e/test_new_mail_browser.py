"""New mail shows itself outside the page: the unread count on the tab's icon, and a
desktop notification once the user turned them on in Settings."""
import json
from urllib.parse import quote

import pytest

from tests.e2e.conftest import log_in
from tests.e2e.test_reading_browser import BOB, bob_folder  # noqa: F401 (fixture)
from tests.integration import mailfactory as mf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Chromium headless shows no desktop notifications: the page's Notification is replaced by
# one that writes down what it was asked to show (in sessionStorage: the page may reload).
RECORD_NOTIFICATIONS = """
(() => {
  const notes = () => JSON.parse(sessionStorage.getItem("notes") || "[]");
  function Recorded(title, options) {
    sessionStorage.setItem("notes", JSON.stringify(notes().concat([[title, options.body]])));
    this.close = () => {};
  }
  Recorded.permission = "granted";
  Recorded.requestPermission = () => Promise.resolve("granted");
  window.Notification = Recorded;
})();
"""


def test_new_mail_is_announced_and_counted_on_the_tab_icon(live_server, browser, bob_folder):
    conn, folder = bob_folder
    conn.append(folder, mf.message(subject="Old news").as_bytes())
    context = browser.new_context()
    context.add_init_script(RECORD_NOTIFICATIONS)
    page = context.new_page()
    try:
        log_in(page, live_server.url, BOB)
        page.goto(f"{live_server.url}/accounts/settings/")
        page.get_by_role("button", name="Turn on desktop notifications").click()
        page.get_by_role("button", name="Turn off desktop notifications").wait_for()
        page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
        assert " (1) – " in page.title()
        page.wait_for_function(
            "() => document.querySelector('link[rel=icon]').href.startsWith('data:image/png')")
        conn.append(folder, mf.message(subject="Fresh news").as_bytes())
        # The page polls every 30 s and when it becomes visible again: the latter, now. The
        # new mail slides into the list.
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        page.get_by_role("link", name="Fresh news").wait_for()
        page.wait_for_function("() => / \\(2\\) – /.test(document.title)")
        page.wait_for_function("() => (sessionStorage.getItem('notes') || '[]') !== '[]'")
        notes = json.loads(page.evaluate("sessionStorage.getItem('notes')"))
        assert notes == [[f"New mail in {folder}", "1 new unread message"]]
    finally:
        page.goto("about:blank")
        context.close()


def test_without_the_opt_in_no_notification_is_shown(live_server, browser, bob_folder):
    conn, folder = bob_folder
    context = browser.new_context()
    context.add_init_script(RECORD_NOTIFICATIONS)
    page = context.new_page()
    try:
        log_in(page, live_server.url, BOB)
        page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
        conn.append(folder, mf.message(subject="Quiet news").as_bytes())
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        page.get_by_role("link", name="Quiet news").wait_for()
        page.wait_for_function("() => / \\(1\\) – /.test(document.title)")
        assert page.evaluate("sessionStorage.getItem('notes')") is None
    finally:
        page.goto("about:blank")
        context.close()
