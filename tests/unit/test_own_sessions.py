"""Settings lists the user's own sessions and signs out any or all of the others."""
import pytest
from django.conf import settings
from django.test import Client

from accounts.browsers import browser_name
from accounts.models import UserSession
from tests.unit.conftest import log_in
from webmail import mail

pytestmark = pytest.mark.django_db
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
END_OTHERS = "/accounts/settings/sessions/end-others/"


def browser(user_agent, username="alice@heron.test", address="198.51.100.7"):
    """A new browser logged in to Heron (against the fake mail server)."""
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    assert log_in(client, username).status_code == 302
    return client


def session_row(client):
    return UserSession.objects.get(session_key=client.session.session_key)


def end_url(row):
    return f"/accounts/settings/sessions/{row.pk}/end/"


def is_signed_out(client):
    response = client.get("/mail/")
    return response.status_code == 302 and response["Location"].startswith(settings.LOGIN_URL)


@pytest.fixture
def laptop(fake_server):
    return browser(FIREFOX_LINUX)


@pytest.fixture
def phone(fake_server):
    return browser(SAFARI_IPHONE, address="203.0.113.50")


def test_settings_lists_each_session_with_browser_address_and_this_one_marked(laptop, phone):
    page = laptop.get("/accounts/settings/").content.decode()

    assert "Firefox on Linux" in page and "Safari on iPhone" in page
    assert "198.51.100.7" in page and "203.0.113.50" in page
    assert page.count("This session") == 1
    assert page.index("This session") < page.index("Safari on iPhone")  # this one first
    assert 'aria-label="Sign out the session of Safari on iPhone, last seen in the last' in page
    assert "Sign out all other sessions" in page
    for row in UserSession.objects.all():
        assert row.session_key not in page


def test_signing_out_another_session_ends_it_and_keeps_this_one(laptop, phone):
    response = laptop.post(end_url(session_row(phone)))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/settings/#sessions-heading"
    page = laptop.get(response["Location"]).content.decode()
    assert "Signed out the session of Safari on iPhone." in page
    assert "Sign out all other sessions" not in page
    assert is_signed_out(phone)
    assert laptop.get("/mail/").status_code == 200
    assert UserSession.objects.count() == 1


def test_signing_out_all_other_sessions_leaves_only_this_one(laptop, phone, fake_server):
    tablet = browser(SAFARI_IPHONE.replace("iPhone", "iPad"))

    response = laptop.post(END_OTHERS, follow=True)

    assert "Signed out 2 other sessions." in response.content.decode()
    assert is_signed_out(phone) and is_signed_out(tablet)
    assert laptop.get("/mail/").status_code == 200
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [
        laptop.session.session_key]


def test_a_signed_out_session_lets_go_of_its_pooled_mail_connection(laptop, phone):
    assert mail.POOL.size() == 2  # each login keeps its connection
    laptop.post(end_url(session_row(phone)))
    assert mail.POOL.size() == 1


def test_carol_gets_404_for_alices_session(laptop, fake_server):
    carol = browser(FIREFOX_LINUX, username="carol@heron.test")
    alices = session_row(laptop)

    assert carol.post(end_url(alices)).status_code == 404
    assert laptop.get("/mail/").status_code == 200
    assert "Firefox on Linux" not in carol.get("/accounts/settings/").content.decode().split(
        "This session")[1]


def test_this_session_is_not_ended_from_its_own_list(laptop):
    assert laptop.post(end_url(session_row(laptop))).status_code == 404
    assert laptop.get("/mail/").status_code == 200


def test_an_unknown_session_is_a_404(laptop):
    assert laptop.post("/accounts/settings/sessions/999999/end/").status_code == 404


def test_signing_out_sessions_takes_only_post(laptop, phone):
    assert laptop.get(end_url(session_row(phone))).status_code == 405
    assert laptop.get(END_OTHERS).status_code == 405
    assert not is_signed_out(phone)


@pytest.mark.parametrize("url", ["/accounts/settings/sessions/1/end/", END_OTHERS])
def test_signing_out_sessions_needs_login(client, db, url):
    response = client.post(url)
    assert response.status_code == 302 and response["Location"].startswith(settings.LOGIN_URL)


def test_signing_out_sessions_needs_the_csrf_token(laptop, phone):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = laptop.cookies  # the same browser, now without the test client's pass
    assert strict.post(end_url(session_row(phone))).status_code == 403
    assert strict.post(END_OTHERS).status_code == 403
    assert not is_signed_out(phone)


@pytest.mark.parametrize("agent, name", [
    (FIREFOX_LINUX, "Firefox on Linux"),
    (SAFARI_IPHONE, "Safari on iPhone"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36", "Chrome on Windows"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87", "Edge on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Safari/605.1.15", "Safari on macOS"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.6478.122 Mobile Safari/537.36", "Chrome on Android"),
    ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36", "Chrome on ChromeOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0", "Opera on Windows"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "HeadlessChrome/126.0.0.0 Safari/537.36", "Chrome on Linux"),
    ("curl/8.5.0", "curl"),
    ("", "Unknown browser"),
    ("SomeBot/1.0 (Linux)", "Unknown browser on Linux"),
])
def test_browsers_get_readable_names(agent, name):
    assert browser_name(agent) == name
