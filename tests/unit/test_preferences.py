"""Layout, density and single-key shortcuts: chosen in Settings, kept in the database, so
every frontend and every device of the user draws the same screen."""
import re

import pytest
from django.test import Client

from accounts.models import Preferences
from tests.unit.conftest import log_in

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"


def body_of(page):
    return re.search(r"<body[^>]*>", page.content.decode()).group(0)


def test_a_new_user_gets_the_pane_on_the_right_comfortable_rows_and_shortcuts(alice):
    body = body_of(alice.get("/mail/"))
    assert 'data-layout="right"' in body and 'data-density="comfortable"' in body
    assert 'data-shortcuts="on"' in body and 'data-list-share="50"' in body


def test_choices_saved_in_settings_follow_the_user_to_another_session(alice, fake_server):
    page = alice.get("/accounts/settings/").content.decode()
    for label in ("Reading pane below the list", "No reading pane (list, then message)",
                  "Compact", "Single-key shortcuts"):
        assert label in page
    response = alice.post("/accounts/settings/preferences/", {
        "layout": "below", "density": "compact"})  # shortcuts unticked
    assert response["Location"] == "/accounts/settings/#appearance-heading"
    elsewhere = Client()  # another device, or another frontend: only the database is shared
    log_in(elsewhere)
    body = body_of(elsewhere.get("/mail/"))
    assert 'data-layout="below"' in body and 'data-density="compact"' in body
    assert 'data-shortcuts="off"' in body


def test_an_unknown_choice_changes_nothing_and_says_so(alice):
    response = alice.post("/accounts/settings/preferences/", {
        "layout": "sideways", "density": "compact", "shortcuts": "on"}, follow=True)
    assert "could not be saved" in response.content.decode()
    assert Preferences.objects.get(user__username=ALICE).layout == "right"


@pytest.mark.parametrize("sent, kept", [("35", 35), ("5", 20), ("99", 80), ("-4", 20)])
def test_the_divider_is_remembered_within_bounds(alice, sent, kept):
    response = alice.post("/accounts/settings/divider/", {"share": sent})
    assert response.json() == {"share": kept}
    assert f'data-list-share="{kept}"' in body_of(alice.get("/mail/"))


def test_a_divider_position_that_is_not_a_number_is_refused(alice):
    assert alice.post("/accounts/settings/divider/", {"share": "1e9x"}).status_code == 400
    assert alice.post("/accounts/settings/divider/", {}).status_code == 400


def test_preferences_need_a_login_and_a_csrf_token(client, fake_server):
    assert client.post("/accounts/settings/divider/", {"share": "30"}).status_code == 401
    assert client.post("/accounts/settings/preferences/", {"layout": "off"}
                       )["Location"].startswith("/accounts/login/")
    strict = Client(enforce_csrf_checks=True)
    log_in(strict)
    assert strict.post("/accounts/settings/divider/", {"share": "30"}).status_code == 403
    assert strict.post("/accounts/settings/preferences/", {"layout": "off"}).status_code == 403


def test_one_users_choices_are_not_anothers(alice, fake_server):
    alice.post("/accounts/settings/preferences/", {"layout": "off", "density": "compact"})
    carol = Client()
    log_in(carol, "carol@heron.test")
    assert 'data-layout="right"' in body_of(carol.get("/mail/"))


def test_an_error_page_still_draws_when_the_session_store_is_down(rf):
    """The 503 page of a Redis or database outage is drawn through these context
    processors too: what they cannot read is left out, never a 500 instead."""
    from django.contrib.auth.models import AnonymousUser
    from django.db import OperationalError
    from redis.exceptions import ConnectionError as RedisDown

    from accounts.context_processors import name_prompt, screen

    class Unreachable:
        is_authenticated = True

        def __getattr__(self, name):
            raise OperationalError("database down")

    class DeadSession(dict):
        def get(self, *args):
            raise RedisDown("redis down")

    request = rf.get("/mail/")
    request.user, request.session = Unreachable(), DeadSession()
    assert name_prompt(request) == {} and screen(request) == {}
    request.user = AnonymousUser()
    assert name_prompt(request) == {} and screen(request) == {}
