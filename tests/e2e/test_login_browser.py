"""A person logs in with Chromium and sees the inbox."""
import os

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def stack_password(user):
    pairs = dict(item.split(":", 1) for item in os.environ.get("STACK_USERS", "").split())
    if user not in pairs:
        pytest.fail("The browser tests need the service stack: run `make test`.")
    return pairs[user]


def test_alice_logs_in_and_sees_her_inbox(live_server, page):
    page.goto(f"{live_server.url}/mail/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Email address").fill("alice@heron.test")
    page.get_by_label("Password").fill(stack_password("alice@heron.test"))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/mail/")
    assert page.get_by_role("heading", name="Inbox").is_visible()
    assert page.locator("tr.message-row").count() == 50
    assert page.get_by_role("navigation", name="Folders").get_by_role(
        "link", name="Archive").is_visible()
    assert page.get_by_role("link", name="Older messages").is_visible()


def test_a_wrong_password_shows_the_reason_in_the_page(live_server, page):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill("alice@heron.test")
    page.get_by_label("Password").fill("certainly-wrong")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text().strip() == "Wrong email address or password."


def test_keyboard_moves_through_the_list_and_opens_a_message(live_server, page):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill("alice@heron.test")
    page.get_by_label("Password").fill(stack_password("alice@heron.test"))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/mail/")
    page.keyboard.press("j")
    page.keyboard.press("j")
    selected = page.locator("tr.message-row.selected")
    assert selected.count() == 1
    subject = selected.locator(".subject a").inner_text()
    page.keyboard.press("o")
    # A wide window opens it in the reading pane, beside the list.
    pane = page.get_by_role("complementary", name="Reading pane")
    pane.get_by_role("heading", name=subject, exact=True).wait_for()
    assert page.url == f"{live_server.url}/mail/"
