"""Preferences: chosen in Settings section by section, kept in the database (so every
frontend and device draws the same screen), resolved against the domain's defaults and
locks; and each one changes what the user sees."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from accounts import preferences
from accounts.models import Domain
from tests.helpers import preference_form
from tests.unit.conftest import log_in

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"


def user(name=ALICE):
    return get_user_model().objects.get(username=name)


def choose(**values):
    preferences.choose(user(), values)


def body_of(page):
    return re.search(r"<body[^>]*>", page.content.decode()).group(0)


def rows(page):
    return re.findall(r'<tr[^>]*data-uid="(\d+)"', page.content.decode())


def save(client, section, **changes):
    return client.post(f"/accounts/settings/preferences/{section}/",
                       preference_form(user(), section, **changes))


def domain(**fields):
    return Domain.objects.create(name="heron.test", imap_host="imap.heron.test",
                                 smtp_host="smtp.heron.test", **fields)


# --- Saving ------------------------------------------------------------------------------

def test_a_new_user_gets_the_pane_on_the_right_comfortable_rows_and_shortcuts(alice):
    body = body_of(alice.get("/mail/"))
    assert 'data-layout="right"' in body and 'data-density="comfortable"' in body
    assert 'data-shortcuts="on"' in body and 'data-list-share="50"' in body
    assert 'data-check-seconds="30"' in body


def test_the_settings_page_has_a_labelled_section_for_each_group(alice):
    page = alice.get("/accounts/settings/").content.decode()
    for key, heading in (("mailbox", "Mailbox"), ("reading", "Reading"),
                         ("writing", "Writing"), ("general", "General")):
        assert f'<a href="#{key}">{heading}</a>' in page
        assert f'action="/accounts/settings/preferences/{key}/"' in page
    for name in ("per_page", "sort", "order", "conversations", "check_seconds",
                 "remote_content", "mark_read", "prefer", "compose_format", "reply_position",
                 "signature_position", "ask_subject", "ask_attachment", "language", "zone",
                 "time_format", "date_format", "shortcuts", "theme"):
        assert f'name="{name}"' in page
        # every control has a label: a <label for> or, for radios, a legend and labels
        assert re.search(rf'<label for="id_{name}(_0)?">', page), name
    reading = page[page.index('id="reading"'):page.index('id="writing"')]
    assert 'class="trusted-part"' in reading


def test_choices_saved_in_settings_follow_the_user_to_another_session(alice, fake_server):
    response = save(alice, "mailbox", layout="below", density="compact")
    assert response["Location"] == "/accounts/settings/#mailbox"
    assert save(alice, "general", shortcuts=False)["Location"].endswith("#general")
    page = alice.get("/accounts/settings/").content.decode()
    assert "Saved." in page
    elsewhere = Client()  # another device, or another frontend: only the database is shared
    log_in(elsewhere)
    body = body_of(elsewhere.get("/mail/"))
    assert 'data-layout="below"' in body and 'data-density="compact"' in body
    assert 'data-shortcuts="off"' in body


def test_an_unknown_choice_changes_nothing_and_keeps_what_was_typed(alice):
    response = save(alice, "writing", reply_position="sideways", undo_seconds="12")
    page = response.content.decode()
    assert response.status_code == 400 and "Not saved" in page
    assert "Select a valid choice" in page and 'value="12"' in page
    assert preferences.effective(user(), "reply_position") == "above"
    assert preferences.effective(user(), "undo_seconds") == 10


def test_preference_views_need_post_a_login_and_a_csrf_token(client, alice, fake_server):
    assert alice.get("/accounts/settings/preferences/mailbox/").status_code == 405
    assert alice.get("/accounts/settings/theme/").status_code == 405
    assert alice.post("/accounts/settings/preferences/nowhere/", {}).status_code == 404
    anonymous = Client()
    assert anonymous.post("/accounts/settings/divider/", {"share": "30"}).status_code == 401
    assert anonymous.post("/accounts/settings/theme/", {"theme": "dark"}).status_code == 401
    assert anonymous.post("/accounts/settings/preferences/mailbox/", {"layout": "off"}
                          )["Location"].startswith("/accounts/login/")
    strict = Client(enforce_csrf_checks=True)
    log_in(strict)
    assert strict.post("/accounts/settings/divider/", {"share": "30"}).status_code == 403
    assert strict.post("/accounts/settings/theme/", {"theme": "dark"}).status_code == 403
    assert strict.post("/accounts/settings/preferences/mailbox/",
                       preference_form(user(), "mailbox")).status_code == 403


def test_one_users_choices_are_not_anothers(alice, fake_server):
    save(alice, "mailbox", layout="off", per_page=25)
    carol = Client()
    log_in(carol, "carol@heron.test")
    assert 'data-layout="right"' in body_of(carol.get("/mail/"))
    assert preferences.effective(user("carol@heron.test"), "per_page") == 50


@pytest.mark.parametrize("sent, kept", [("35", 35), ("5", 20), ("99", 80), ("-4", 20)])
def test_the_divider_is_remembered_within_bounds(alice, sent, kept):
    response = alice.post("/accounts/settings/divider/", {"share": sent})
    assert response.json() == {"share": kept}
    assert f'data-list-share="{kept}"' in body_of(alice.get("/mail/"))


def test_a_divider_position_that_is_not_a_number_is_refused(alice):
    assert alice.post("/accounts/settings/divider/", {"share": "1e9x"}).status_code == 400
    assert alice.post("/accounts/settings/divider/", {}).status_code == 400


# --- Domain defaults and locks ------------------------------------------------------------

def test_an_unset_preference_follows_the_domain_default(alice):
    domain(preference_defaults={"per_page": 100, "theme": "dark", "bogus": 1,
                                "density": "enormous"})
    assert preferences.effective(user(), "per_page") == 100
    assert preferences.effective(user(), "density") == "comfortable"  # bad default ignored
    save(alice, "mailbox", per_page=25)
    assert preferences.effective(user(), "per_page") == 25
    save(alice, "mailbox", per_page=100)  # the same as the default: follows it again
    Domain.objects.filter(name="heron.test").update(preference_defaults={"per_page": 200})
    assert preferences.effective(user(), "per_page") == 200


def test_a_locked_setting_is_shown_read_only_and_refused_on_post(alice, fake_server):
    domain(preference_defaults={"remote_content": "never"}, preference_locks=["remote_content"])
    page = alice.get("/accounts/settings/").content.decode()
    control = re.search(r'<input[^>]*name="remote_content"[^>]*value="always"[^>]*>', page)
    assert "disabled" in control.group(0)
    assert "Set by your administrator." in page
    data = {**preference_form(user(), "reading"), "remote_content": "always"}
    response = alice.post("/accounts/settings/preferences/reading/", data)
    assert response.status_code == 302
    assert preferences.effective(user(), "remote_content") == "never"
    preferences.choose(user(), {"remote_content": "always"})  # refused below the form too
    assert preferences.effective(user(), "remote_content") == "never"
    assert alice.post("/accounts/settings/theme/", {"theme": "dark"}).json()["locked"] is False


def test_reading_preferences_costs_one_query(alice, django_assert_num_queries):
    domain(preference_defaults={"per_page": 25})
    someone = user()
    preferences.shown(someone)  # made on first use
    cache.clear()
    again = user()
    with django_assert_num_queries(1):
        assert preferences.effective(again, "per_page") == 25
        assert preferences.effective(again, "theme") == "system"
        preferences.preferences_for(again)
    later = user()
    with django_assert_num_queries(0):  # kept in the shared cache for the next request
        assert preferences.effective(later, "per_page") == 25


def test_kept_preferences_follow_the_users_choice_and_the_domains_defaults(alice):
    domain(preference_defaults={"per_page": 25})
    preferences.forget_domain_defaults("heron.test")  # what the Domain admin's save does
    assert preferences.effective(user(), "per_page") == 25
    preferences.choose(user(), {"per_page": 100})
    assert preferences.effective(user(), "per_page") == 100
    preferences.choose(user(), {"per_page": 25})
    Domain.objects.filter(name="heron.test").update(preference_defaults={"per_page": 50})
    preferences.forget_domain_defaults("heron.test")
    assert preferences.effective(user(), "per_page") == 50


def test_the_domain_admin_sets_defaults_and_locks(admin_client):
    response = admin_client.post("/admin/accounts/domain/add/", {
        "name": "heron.test", "imap_host": "imap.heron.test", "imap_port": 993,
        "imap_security": "ssl", "smtp_host": "smtp.heron.test", "smtp_port": 587,
        "smtp_security": "starttls", "sieve_port": "4190",
        "sieve_security": "starttls-if-offered", "sieve_folder_encoding": "utf-8", "active": "on",
        "default_per_page": "100", "lock_per_page": "on", "default_theme": "-",
        "default_shortcuts": "0", "default_undo_seconds": "",
        **{f"default_{name}": "-" for name in (
            "sort", "order", "conversations", "layout", "density", "check_seconds",
            "remote_content", "mark_read", "prefer", "compose_format", "reply_position",
            "signature_position", "ask_subject", "ask_attachment", "language", "zone",
            "time_format", "date_format")},
        "default_mark_read_seconds": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = Domain.objects.get(name="heron.test")
    assert saved.preference_defaults == {"per_page": 100, "shortcuts": False}
    assert saved.preference_locks == ["per_page"]
    page = admin_client.get(f"/admin/accounts/domain/{saved.pk}/change/").content.decode()
    assert "Lock Messages per page" in page and "Default: Theme" in page


# --- Each preference changes what the user sees --------------------------------------------

def test_messages_per_page_sets_the_rows_of_a_page(alice):
    assert len(rows(alice.get("/mail/"))) == 50
    choose(per_page=25)
    assert len(rows(alice.get("/mail/"))) == 25
    choose(per_page=100)
    assert len(rows(alice.get("/mail/"))) == 100


def test_the_default_sort_and_order_apply_until_the_list_names_one(alice):
    assert rows(alice.get("/mail/"))[0] == "120"  # newest first
    choose(sort="date", order="asc")
    assert rows(alice.get("/mail/"))[0] == "1"
    assert rows(alice.get("/mail/", {"sort": "date", "order": "desc"}))[0] == "120"


def test_conversations_on_or_off(alice):
    assert "120 messages" in alice.get("/mail/").content.decode()
    choose(conversations=True)
    assert "conversations" in alice.get("/mail/").content.decode()
    choose(conversations=False)
    assert "120 messages" in alice.get("/mail/").content.decode()


def test_the_new_mail_check_interval_reaches_the_page(alice):
    choose(check_seconds=300)
    assert 'data-check-seconds="300"' in body_of(alice.get("/mail/"))


def test_the_theme_is_drawn_by_the_server_and_saved_by_the_toggle(alice):
    html = re.compile(r"<html[^>]*>")
    assert 'data-theme="auto"' in html.search(alice.get("/mail/").content.decode()).group(0)
    choose(theme="dark")
    assert 'data-theme="dark"' in html.search(alice.get("/mail/").content.decode()).group(0)
    assert alice.post("/accounts/settings/theme/", {"theme": "light"}).json() == {
        "theme": "light", "locked": False}
    assert 'data-theme="light"' in alice.get("/accounts/settings/").content.decode()
    assert alice.post("/accounts/settings/theme/", {"theme": "pink"}).status_code == 400


def test_a_fixed_time_zone_and_date_format_show_in_the_message_and_the_list(alice):
    page = alice.get("/mail/message/6/", {"mailbox": "INBOX"}).content.decode()
    assert "06:00" in page  # 1 Jan 2026 06:00 UTC, no zone cookie: UTC
    choose(zone="Asia/Tokyo", time_format="12", date_format="iso")
    page = alice.get("/mail/message/6/", {"mailbox": "INBOX"}).content.decode()
    assert "2026-01-01 3:00 PM JST" in page
    listing = alice.get("/mail/", {"page": 3}).content.decode()
    assert ">2026-01-01<" in listing
    choose(zone="", date_format="mdy")
    assert ">01/05<" in alice.get("/mail/").content.decode()  # uid 100


def test_an_unknown_zone_or_language_is_refused(alice):
    response = save(alice, "general", zone="Mars/Olympus", language="xx")
    assert response.status_code == 400
    assert preferences.effective(user(), "zone") == ""


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
