"""Reading and organising in Chromium: hostile HTML stays inert, actions work by label."""
import os
import uuid
from urllib.parse import quote

import pytest
from django.core.cache import cache
from imapclient import IMAPClient

from tests.e2e.conftest import log_in as enter
from tests.e2e.test_login_browser import stack_password
from tests.integration import mailfactory as mf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
BOB = "bob@heron.test"


@pytest.fixture
def bob_folder():
    """A scratch folder of Bob's on the stack's Dovecot, subscribed as a mail client makes
    one (the folder tree shows subscribed folders)."""
    conn = IMAPClient(os.environ["IMAP_HOST"], port=int(os.environ["IMAP_PORT"]), ssl=False)
    conn.login(BOB, stack_password(BOB))
    name = f"HeronE2E-{uuid.uuid4().hex[:8]}"
    conn.create_folder(name)
    conn.subscribe_folder(name)
    yield conn, name
    conn.select_folder("INBOX")
    conn.delete_folder(name)
    conn.logout()


def log_in(page, base):
    enter(page, base, BOB)


def test_hostile_html_runs_no_script_and_loads_nothing_remote(live_server, page, bob_folder):
    conn, folder = bob_folder
    conn.append(folder, mf.html_with_images(remote_images=3, trackers=1).as_bytes())
    requests, dialogs = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    page.get_by_role("link", name="Newsletter with pictures").click()
    frame_element = page.get_by_title("Message body")
    frame_element.wait_for()
    frame = frame_element.content_frame
    frame.get_by_role("heading", name="Our news").wait_for()
    # Every request the message makes has been made once its frame has loaded (the load
    # event waits for each image, loaded or refused) and the pane's own images are done.
    # Not "networkidle": Playwright's idle timer for a frame inserted into a loaded page
    # did not always fire under the full suite's load (once in four runs, a 30 s timeout).
    loaded = frame_element.element_handle().content_frame()
    loaded.wait_for_load_state("load")
    for document in (loaded, page):
        document.wait_for_function("Array.from(document.images).every(image => image.complete)")
    assert page.title() != "pwned" and "pwned" not in page.title()
    assert dialogs == []
    assert page.get_by_text("3 remote images blocked, 1 of them tracker").is_visible()
    strangers = [url for url in requests if not url.startswith(live_server.url)
                 and not url.startswith("data:")]
    assert strangers == []
    # The cid: logo came from Heron itself and really rendered.
    logo_width = frame.locator('img[alt="logo"]').evaluate("img => img.naturalWidth")
    assert logo_width == 2
    link = frame.get_by_role("link", name="Read more")
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener noreferrer"


def _styled_letter(conn, folder):
    styled = mf.message(subject="Styled letter", text="Plain version")
    styled.add_alternative(
        "<html><head><style>.lead { color: rgb(10, 120, 30); }</style></head><body>"
        '<p class="lead">Lead paragraph</p>'
        '<p style="font-weight: 700" title="<style>p{color:red}</style>">Bold words</p>'
        '<img src="https://track.example.net/o.gif" width="1" height="1" alt="">'
        "<script>parent.document.title='pwned'</script>"
        "<img src=x onerror=\"parent.document.title='pwned'\"></body></html>",
        subtype="html")
    conn.append(folder, styled.as_bytes(), flags=[b"\\Seen"])
    conn.select_folder(folder, readonly=True)
    return conn.search(["SUBJECT", "Styled letter"])[0]


def _watch(page):
    requests, refused, dialogs = [], [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return requests, refused, dialogs


def _styled_and_inert(page, base, requests, refused, dialogs):
    frame_element = page.get_by_title("Message body")
    frame_element.wait_for()
    loaded = frame_element.element_handle().content_frame()
    loaded.wait_for_load_state("load")
    lead = loaded.get_by_text("Lead paragraph")
    assert lead.evaluate("p => getComputedStyle(p).color") == "rgb(10, 120, 30)"
    bold = loaded.get_by_text("Bold words")
    assert bold.evaluate("p => getComputedStyle(p).fontWeight") == "700"
    assert bold.evaluate("p => getComputedStyle(p).color") != "rgb(255, 0, 0)"
    assert "/body/" not in " ".join(requests), "the body came with the page"
    assert [url for url in requests if not url.startswith(base)] == []
    assert page.title() != "pwned" and dialogs == []
    assert refused == [], refused
    # The frame grew to its content.
    assert frame_element.evaluate("f => f.getBoundingClientRect().height") > 60


def test_a_message_page_holds_its_body_styled_inert_and_in_one_request(live_server, page,
                                                                        bob_folder):
    """The message page writes the body into its frame (srcdoc): no second request, the
    mail's style rules and attributes apply under the page's policy, its script and
    handlers do not run, nothing remote loads, and no policy refuses anything else."""
    conn, folder = bob_folder
    uid = _styled_letter(conn, folder)
    requests, refused, dialogs = _watch(page)
    log_in(page, live_server.url)
    requests.clear()
    page.goto(f"{live_server.url}/mail/message/{uid}/?mailbox={quote(folder)}")
    _styled_and_inert(page, live_server.url, requests, refused, dialogs)


def test_the_reading_pane_holds_its_body_styled_inert_and_in_one_request(live_server, page,
                                                                         bob_folder):
    conn, folder = bob_folder
    _styled_letter(conn, folder)
    page.set_viewport_size({"width": 1400, "height": 900})
    requests, refused, dialogs = _watch(page)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    requests.clear()
    page.get_by_role("link", name="Styled letter").click()
    reading = page.get_by_role("complementary", name="Reading pane")
    reading.get_by_title("Message body").wait_for()
    _styled_and_inert(page, live_server.url, requests, refused, dialogs)


def test_select_messages_and_archive_them_from_the_toolbar(live_server, page, bob_folder):
    conn, folder = bob_folder
    for n in range(3):
        conn.append(folder, mf.message(subject=f"Tidy {n}", days=n).as_bytes())
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    page.get_by_label("Select message from Dana Whitfield: Tidy 0").check()
    page.get_by_label("Select message from Dana Whitfield: Tidy 2").check()
    page.get_by_role("button", name="Flag selected").click()
    # A click that submits returns once the next page is asked for, not once it is drawn:
    # wait for what it shows.
    page.get_by_role("status").get_by_text("Flagged 2 messages").wait_for()
    page.get_by_label("Select all messages on this page").check()
    page.get_by_role("button", name="Archive selected").click()
    page.get_by_text("Moved 3 messages to Archive").wait_for()
    assert page.get_by_text("No messages in this folder.").is_visible()
    page.get_by_role("button", name="Undo").click()
    assert page.locator("tr.message-row").count() == 3


def test_dragging_a_message_onto_a_folder_moves_it(live_server, page, bob_folder):
    conn, folder = bob_folder
    target = folder + "-drop"
    conn.create_folder(target)
    conn.subscribe_folder(target)
    try:
        conn.append(folder, mf.message(subject="Drag me").as_bytes())
        log_in(page, live_server.url)
        page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
        row = page.locator("tr.message-row", has_text="Drag me")
        row.drag_to(page.locator(f'.folders a[data-folder="{target}"]'))
        page.get_by_text("No messages in this folder.").wait_for()
        conn.select_folder(target, readonly=True)
        assert len(conn.search(["SUBJECT", "Drag me"])) == 1
    finally:
        conn.select_folder("INBOX")
        conn.delete_folder(target)


def test_a_message_opens_in_the_reading_pane_beside_the_list(live_server, page, bob_folder):
    conn, folder = bob_folder
    conn.append(folder, mf.message(subject="Pane one", text="First body", days=1).as_bytes())
    conn.append(folder, mf.message(subject="Pane two", text="Second body", days=2).as_bytes())
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, live_server.url)
    list_url = f"{live_server.url}/mail/?mailbox={quote(folder)}"
    page.goto(list_url)
    assert page.locator("tr.message-row.unread").count() == 2
    page.get_by_role("link", name="Pane two").click()
    reading = page.get_by_role("complementary", name="Reading pane")
    reading.get_by_text("Second body").wait_for()
    assert page.url == list_url, "the list stays where it was"
    assert page.locator("tr.message-row.unread").count() == 1
    reading.get_by_role("link", name="Next message").click()
    reading.get_by_text("First body").wait_for()
    reading.get_by_role("button", name="Flag").click()
    page.get_by_role("status").get_by_text("Flagged 1 message").wait_for()
    assert page.url == list_url, "acting from the pane keeps the user's place"
    conn.select_folder(folder, readonly=True)
    flagged = conn.search(["FLAGGED"])
    assert [conn.fetch(flagged, ["ENVELOPE"])[flagged[0]][b"ENVELOPE"].subject] == [b"Pane one"]


def test_on_a_phone_a_message_opens_as_its_own_page(live_server, page, bob_folder):
    conn, folder = bob_folder
    conn.append(folder, mf.message(subject="Small screen", text="Phone body").as_bytes())
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    page.get_by_role("link", name="Small screen").click()
    page.wait_for_url("**/mail/message/**")
    assert page.get_by_text("Phone body").is_visible()


def test_new_mail_shows_up_without_a_reload(live_server, page, bob_folder):
    conn, folder = bob_folder
    conn.append(folder, mf.message(subject="Already here").as_bytes(), flags=[b"\\Seen"])
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
    page.get_by_role("link", name="Already here").wait_for()
    page.evaluate("window.stillThisPage = true")
    conn.append(folder, mf.message(subject="Just arrived").as_bytes())
    # The page polls every half minute and when the tab comes back into view.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.get_by_role("link", name="Just arrived").wait_for(timeout=10000)
    assert page.title() == f"{folder} (1) – Heron"
    assert page.evaluate("window.stillThisPage") is True, "slid in, no reload"
    assert "arrived" in page.locator("tr.message-row", has_text="Just arrived").get_attribute(
        "class")
    assert "arrived" not in page.locator("tr.message-row", has_text="Already here"
                                         ).get_attribute("class")
    assert page.get_by_text("2 messages", exact=False).first.is_visible()
    # The new row works like the others: it opens in the reading pane.
    page.get_by_role("link", name="Just arrived").click()
    page.get_by_role("complementary", name="Reading pane").get_by_text("Hello Bob").wait_for()


def test_the_poll_updates_the_unread_badges_of_other_folders(live_server, page, bob_folder):
    conn, folder = bob_folder
    other = f"HeronE2E-side-{uuid.uuid4().hex[:6]}"
    conn.create_folder(other)
    conn.subscribe_folder(other)
    try:
        conn.append(folder, mf.message(subject="Open here").as_bytes(), flags=[b"\\Seen"])
        cache.clear()  # the sidebar lists both folders
        log_in(page, live_server.url)
        page.goto(f"{live_server.url}/mail/?mailbox={quote(folder)}")
        side = page.locator(f'.folders a[data-folder="{other}"]')
        assert side.get_attribute("aria-label") == other
        conn.append(other, mf.message(subject="Elsewhere").as_bytes())
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        page.get_by_role("link", name=f"{other}, 1 unread").wait_for(timeout=10000)
        assert side.locator(".badge").inner_text() == "1"
    finally:
        conn.select_folder("INBOX")
        conn.delete_folder(other)
