"""Browser tests: Debian's Chromium driven by Playwright, against Django's live server."""
import os
import shutil

import pytest

pytestmark = pytest.mark.e2e
# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it (deploy/browser.sh)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    # Leaving the page sends what it still has to send (the compose page saves the draft
    # on pagehide); let those requests finish before the test database is emptied, which
    # they would otherwise deadlock with.
    composing = "/mail/compose/" in page.url
    page.goto("about:blank")
    if composing:
        page.wait_for_timeout(1000)
    context.close()


def log_in(page, base, user):
    """Log in through the login page as a stack user, landing on the inbox."""
    from tests.e2e.test_login_browser import stack_password

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email address").fill(user)
    page.get_by_label("Password").fill(stack_password(user))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/mail/")
    # A first login asks for the name people see on one's mail; the tests say not now.
    not_now = page.get_by_role("button", name="Not now")
    if not_now.count():
        with page.expect_navigation():
            not_now.click()
