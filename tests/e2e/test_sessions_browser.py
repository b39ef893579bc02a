"""A person signs out their phone from the laptop's Settings."""
import re

import pytest

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ALICE = "alice@heron.test"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.fixture
def phone(browser):
    context = browser.new_context(user_agent=SAFARI_IPHONE, viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


def test_alice_signs_out_her_phone_from_the_laptops_settings(live_server, page, phone):
    log_in(phone, live_server.url, ALICE)
    log_in(page, live_server.url, ALICE)

    page.goto(f"{live_server.url}/accounts/settings/")
    sessions = page.get_by_role("table", name="Your sessions")
    assert sessions.get_by_role("row").count() == 3  # the header and two sessions
    assert sessions.get_by_text("This session").is_visible()
    page.get_by_role("button", name=re.compile(r"^Sign out the session of Safari on iPhone, "
                                               r"last seen ")).click()
    page.get_by_text("Signed out the session of Safari on iPhone.").wait_for()
    assert page.get_by_role("table", name="Your sessions").get_by_role("row").count() == 2
    assert not page.get_by_role("button", name="Sign out all other sessions").is_visible()

    phone.goto(f"{live_server.url}/mail/")
    assert "/accounts/login/" in phone.url
    page.goto(f"{live_server.url}/mail/")
    assert page.url == f"{live_server.url}/mail/"
