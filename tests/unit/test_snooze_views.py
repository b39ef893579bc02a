"""Snooze from the user's side: the Snooze menus, the POST that snoozes, the Snoozed view
and Unsnooze now, the note on a message back from a snooze; through the Django test client
and the in-memory mail server. The engine has its own tests in test_snooze.py."""
import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts.preferences import preferences_for
from tests.unit.conftest import log_in
from tests.unit.test_snooze import server  # noqa: F401 (a fixture)
from webmail import snooze
from webmail.models import Snooze

pytestmark = pytest.mark.django_db
ALICE, CAROL = "alice@heron.test", "carol@heron.test"
State = Snooze.State


@pytest.fixture
def alice(client, server):
    assert log_in(client).status_code == 302
    return client


def later(hours=3):
    return (timezone.now() + timedelta(hours=hours)).isoformat()


def snooze_post(client, uids, until=None, **fields):
    data = {"mailbox": "INBOX", "uids": uids, "until": until or later(),
            "next": "/mail/?mailbox=INBOX", **fields}
    return client.post("/mail/snooze/", data)


def shown_notices(response, client):
    page = client.get(response["Location"]).content.decode()
    return html.unescape(page)


def test_the_snooze_button_snoozes_the_message_and_returns_to_its_folder(alice, server):
    response = snooze_post(alice, [118])
    assert response.status_code == 302 and response["Location"] == "/mail/?mailbox=INBOX"
    assert 118 not in server.folder(ALICE, "INBOX").messages
    [row] = Snooze.objects.all()
    assert row.owner.username == ALICE and row.state == State.WAITING
    assert "Snoozed 1 message until" in shown_notices(response, alice)


def test_a_past_time_is_refused_with_a_clear_message_and_nothing_moves(alice, server):
    gone = (timezone.now() - timedelta(minutes=5)).isoformat()
    response = snooze_post(alice, [118], until=gone)
    assert response.status_code == 302
    page = shown_notices(response, alice)
    assert "has passed. Choose a later time; nothing was snoozed." in page
    assert 118 in server.folder(ALICE, "INBOX").messages and not Snooze.objects.exists()


def test_a_picked_time_is_read_in_the_users_zone(alice, server):
    user = get_user_model().objects.get(username=ALICE)
    prefs = preferences_for(user)
    prefs.time_zone = "Asia/Tokyo"
    prefs.save()
    tokyo = datetime.now(ZoneInfo("Asia/Tokyo")) + timedelta(days=2)
    snooze_post(alice, [118], until="pick", until_local=tokyo.strftime("%Y-%m-%dT%H:%M"))
    [row] = Snooze.objects.all()
    assert row.wake_at == tokyo.replace(second=0, microsecond=0)


def test_snoozing_without_a_message_or_a_time_says_what_is_missing(alice, server):
    page = shown_notices(snooze_post(alice, []), alice)
    assert "Select a message to snooze." in page
    page = shown_notices(snooze_post(alice, [118], until="pick"), alice)
    assert "Choose when it should come back" in page


def test_json_callers_get_the_notice_or_the_problem(alice, server):
    answer = alice.post("/mail/snooze/", {"mailbox": "INBOX", "uids": [117], "until": later()},
                        HTTP_ACCEPT="application/json")
    assert answer.status_code == 200 and answer.json()["notice"].startswith("Snoozed 1")
    answer = alice.post("/mail/snooze/", {"mailbox": "INBOX", "uids": [116], "until": "soon"},
                        HTTP_ACCEPT="application/json")
    assert answer.status_code == 400 and "not a date and time" in answer.json()["error"]


def test_the_list_snoozes_each_checked_conversation_whole(alice, server):
    inbox = server.folder(ALICE, "INBOX")
    reply = inbox.append(b"Subject: Re: Message 5\r\nMessage-ID: <reply-5@x.test>\r\n"
                         b"In-Reply-To: <fake-5@fake.test>\r\n\r\nOk\r\n")
    snooze_post(alice, [reply], conversations="on")
    [row] = Snooze.objects.all()
    assert len(row.messages) == 2 and 5 not in inbox.messages


@pytest.mark.parametrize("url", ["/mail/snooze/", "/mail/snoozed/00000000-0000-0000-0000-"
                                                  "000000000000/unsnooze/"])
def test_snooze_actions_answer_only_post_with_a_csrf_token_and_a_login(alice, server, url):
    assert alice.get(url).status_code == 405
    anonymous = Client().post(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    strict = Client(enforce_csrf_checks=True)
    strict.cookies.update(alice.cookies)
    assert strict.post(url, {"mailbox": "INBOX", "uids": [118], "until": later()}
                       ).status_code == 403
    assert 118 in server.folder(ALICE, "INBOX").messages


def test_the_snoozed_view_answers_only_get_and_needs_a_login(client, server):
    assert client.get("/mail/snoozed/")["Location"].startswith("/accounts/login/")
    assert log_in(client).status_code == 302
    assert client.post("/mail/snoozed/").status_code == 405


def test_the_snoozed_view_lists_what_waits_with_its_time_and_unsnooze_now(alice, server):
    snooze_post(alice, [118], until=later(5))
    snooze_post(alice, [117], until=later(2))
    page = html.unescape(alice.get("/mail/snoozed/").content.decode())
    assert page.index("Message 117") < page.index("Message 118")  # soonest back first
    assert "Sender 118" in page and "Comes back" in page
    assert page.count('aria-label="Unsnooze now: Message 11') == 2
    assert 'aria-label="Snoozed, 2 waiting"' in page and 'aria-current="page"' in page


def test_the_snoozed_view_says_when_nothing_is_snoozed(alice, server):
    page = alice.get("/mail/snoozed/").content.decode()
    assert "Nothing is snoozed." in page and "<kbd>b</kbd>" in page


def test_unsnooze_now_brings_it_back_at_once(alice, server):
    snooze_post(alice, [118])
    [row] = Snooze.objects.all()
    response = alice.post(f"/mail/snoozed/{row.id}/unsnooze/")
    assert response["Location"] == "/mail/snoozed/"
    row.refresh_from_db()
    assert row.state == State.WOKEN and row.messages[0]["back"] in server.folder(
        ALICE, "INBOX").messages
    assert "“Message 118” is back in Inbox, unread." in shown_notices(response, alice)


def test_carol_sees_none_of_alices_snoozes_and_gets_404_for_them(alice, server):
    snooze_post(alice, [118])
    [row] = Snooze.objects.all()
    carol = Client()
    assert log_in(carol, CAROL).status_code == 302
    assert carol.post(f"/mail/snoozed/{row.id}/unsnooze/").status_code == 404
    assert "Message 118" not in carol.get("/mail/snoozed/").content.decode()
    assert Snooze.objects.get(pk=row.pk).state == State.WAITING


def test_the_message_and_list_toolbars_offer_snooze_with_presets(alice, server):
    listed = html.unescape(alice.get("/mail/?mailbox=INBOX").content.decode())
    assert 'aria-label="Snooze selected"' in listed
    assert re.search(r'aria-label="Tomorrow, \w{3} \d+ \w{3}, 08:00"', listed)
    assert 'name="until_local"' in listed and "Pick date and time…" in listed
    shown = alice.get("/mail/message/118/?mailbox=INBOX").content.decode()
    assert 'aria-label="Snooze"' in shown and 'title="Snooze (b)"' in shown
    assert '<dt><kbd>b</kbd></dt><dd>Snooze</dd>' in shown


def test_enter_in_the_date_field_snoozes_rather_than_archives(alice, server):
    page = alice.get("/mail/message/118/?mailbox=INBOX").content.decode()
    form = page[page.index('class="message-actions'):]
    first_button = re.search(r"<button[^>]*>", form).group(0)
    assert 'formaction="/mail/snooze/"' in first_button and 'value="pick"' in first_button


def test_without_a_worker_there_is_no_snooze_menu(alice, server, settings):
    settings.HERON_SERVICE_USER = ""
    page = alice.get("/mail/?mailbox=INBOX").content.decode()
    assert 'aria-label="Snooze selected"' not in page and "Snoozed mail" not in page


def test_a_woken_message_is_on_top_of_the_list_and_says_when_it_was_snoozed(alice, server):
    snooze_post(alice, [4])
    [row] = Snooze.objects.all()
    snooze.wake(row.pk, "w1", now=row.wake_at)
    row.refresh_from_db()
    back = row.messages[0]["back"]
    page = alice.get("/mail/?mailbox=INBOX").content.decode()
    first = re.search(r'<tr class="message-row([^"]*)" data-uid="(\d+)"', page)
    assert first.group(2) == str(back) and "unread" in first.group(1)
    assert "woken" in first.group(1) and "Snoozed on" in page
    shown = alice.get(f"/mail/message/{back}/?mailbox=INBOX").content.decode()
    assert "Snoozed on <time" in shown


def test_the_snoozed_folder_is_reached_through_the_snoozed_view(alice, server):
    snooze_post(alice, [118])
    listed = alice.get("/mail/?mailbox=INBOX").content.decode()
    assert 'data-folder="Snoozed"' not in listed
    assert 'href="/mail/snoozed/"' in listed
    assert "/mail/?mailbox=Snoozed" in alice.get("/mail/snoozed/").content.decode()
