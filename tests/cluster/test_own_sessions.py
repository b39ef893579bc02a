"""A user signs out one of their sessions from another: every frontend sends it to login."""
import re

import pytest

from tests.cluster.conftest import eventually

pytestmark = pytest.mark.cluster
CAROL = "carol@heron.test"
LAPTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = ("Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
         "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36")
PHONE_NAME = "Samsung Internet on Android"


def signed_in(browser, stack_users, user_agent):
    person = browser()
    person.http.headers["User-Agent"] = user_agent
    person.log_in(CAROL, stack_users[CAROL])
    return person


def end_url_of(page, name):
    """The sign-out form of the most recently seen session of that browser, if listed."""
    found = re.search(r'action="(/accounts/settings/sessions/\d+/end/)">.{0,200}?'
                      rf'aria-label="Sign out the session of {re.escape(name)},', page, re.S)
    return found and found.group(1)


def answers_on_each(person, frontend_urls, path="/mail/"):
    return [person.http.get(url + path, allow_redirects=False, timeout=30)
            for url in frontend_urls]


def test_a_session_signed_out_from_another_is_sent_to_login_on_every_frontend(
        browser, stack_users, frontend_urls, all_frontends):
    laptop = signed_in(browser, stack_users, LAPTOP)
    phone = signed_in(browser, stack_users, PHONE)
    assert [r.status_code for r in answers_on_each(phone, frontend_urls)] == [200] * 3

    # The phone's row was written on the primary; the laptop may read a replica.
    end_url = eventually(lambda: end_url_of(laptop.get("/accounts/settings/").text, PHONE_NAME),
                         "the laptop's settings list the phone's session")
    ended = laptop.post(end_url)
    assert ended.status_code == 302, ended.text[:300]

    for answer in answers_on_each(phone, frontend_urls):
        assert answer.status_code == 302, f"{answer.headers.get('X-Heron-Frontend')} still " \
                                          f"serves the ended session"
        assert answer.headers["Location"].startswith("/accounts/login/")
    assert [r.status_code for r in answers_on_each(laptop, frontend_urls)] == [200] * 3
