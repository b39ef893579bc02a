"""Undo send, Send later and the Scheduled view from the user's side: through the Django
test client, the in-memory mail server and a stand-in for webmail.smtp.send. The engine
below them (webmail/outbox.py) has its own tests in test_outbox.py, whose fixtures these
share: files in a folder of the test's own, the service login, SMTP stood in for."""
import html
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts import preferences
from accounts.models import Preferences
from tests.helpers import preference_form
from tests.unit.conftest import log_in
from tests.unit.test_compose_views import field, identity_of
from tests.unit.test_outbox import media, server, wire  # noqa: F401
from webmail import mail, outbox, pending
from webmail.context_processors import held_messages
from webmail.models import HeldMessage

pytestmark = pytest.mark.django_db
ALICE, CAROL = "alice@heron.test", "carol@heron.test"
PARIS = ZoneInfo("Europe/Paris")
State = HeldMessage.State


@pytest.fixture
def alice(client, server):
    assert log_in(client).status_code == 302
    client.cookies["heron_tz"] = "Europe/Paris"
    return client


def user(name=ALICE):
    return get_user_model().objects.get(username=name)


def set_undo(seconds):
    preferences.choose(user(), {"undo_seconds": seconds})


def message(client, **fields):
    data = {"draft": uuid.uuid4().hex, "version": 0, "identity": identity_of(client),
            "to": "Bob <bob@heron.test>", "subject": "Plans", "body": "See you at eight.\n",
            "format": "text"}
    data.update(fields)
    return data


def notices(response):
    return [text_of(n) for n in re.findall(r'<div class="notice[^"]*"[^>]*>(.*?)</div>',
                                           response.content.decode(), re.S)]


def text_of(page):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).strip())


def drafts(server):
    folders = server.account(ALICE).folders
    return list(folders["Drafts"].messages.values()) if "Drafts" in folders else []


def in_days(days, hour=9):
    """A moment `days` from now at `hour` in Paris, as a preset button posts it."""
    local = timezone.now().astimezone(PARIS) + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def held_row(client, when=None, kind=HeldMessage.Kind.LATER, **fields):
    """Schedule a message through the compose window; its HeldMessage."""
    when = when or in_days(2)
    response = client.post("/mail/compose/send-later/", message(
        client, send_at=when.isoformat(), time_zone="Europe/Paris", **fields))
    assert response.status_code == 302, response.content[:800]
    found = HeldMessage.objects.order_by("-created").first()
    if kind != found.kind:
        HeldMessage.objects.filter(pk=found.pk).update(kind=kind)
        found.refresh_from_db()
    return found


# --- Send with Undo ----------------------------------------------------------------------

def test_send_holds_the_message_for_the_undo_delay_and_says_sending(alice, server, wire):
    before = timezone.now()
    response = alice.post("/mail/compose/send/", message(alice))
    assert response.status_code == 302 and response["Location"] == "/mail/"
    held = HeldMessage.objects.get()
    assert held.kind == HeldMessage.Kind.UNDO and held.state == State.QUEUED
    assert before + timedelta(seconds=10) <= held.send_at <= timezone.now() + timedelta(
        seconds=10)
    assert wire.sent == [] and drafts(server) == []
    page = alice.get("/mail/").content.decode()
    assert f'action="/mail/outbox/{held.id}/undo/"' in page
    assert re.search(r'data-seconds="(9|10)"', page)
    assert "Sending… " in text_of(page) and 'aria-label="Undo send"' in page


def test_the_delay_set_in_settings_is_the_one_used(alice, server, wire):
    set_undo(25)
    alice.post("/mail/compose/send/", message(alice))
    held = HeldMessage.objects.get()
    assert timedelta(seconds=24) < held.send_at - held.created <= timedelta(seconds=26)


def test_undo_reopens_the_same_message_in_the_compose_window(alice, server, wire):
    sent = message(alice, cc="Dora <dora@heron.test>", bcc="eve@heron.test")
    alice.post("/mail/compose/send/", sent)
    held = HeldMessage.objects.get()
    response = alice.post(f"/mail/outbox/{held.id}/undo/", {"next": "/mail/"})
    assert response.status_code == 302
    assert response["Location"].startswith("/mail/compose/?draft=")
    assert response["Location"].endswith("&mailbox=Drafts")
    page = alice.get(response["Location"]).content.decode()
    assert field(page, "to") == "Bob <bob@heron.test>"
    assert field(page, "cc") == "Dora <dora@heron.test>"
    assert field(page, "bcc") == "eve@heron.test"
    assert field(page, "subject") == "Plans"
    assert field(page, "body").strip() == "See you at eight."
    assert field(page, "draft") == sent["draft"]
    assert "Undone: nothing was sent." in text_of(page)
    held.refresh_from_db()
    assert held.state == State.CANCELLED and wire.sent == []


def test_undo_after_a_worker_took_the_message_says_it_is_too_late(alice, server, wire):
    alice.post("/mail/compose/send/", message(alice))
    held = HeldMessage.objects.get()
    HeldMessage.objects.filter(pk=held.pk).update(state=State.SENDING)
    response = alice.post(f"/mail/outbox/{held.id}/undo/", {"next": "/mail/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/mail/"
    assert "Too late to undo: the message has been sent." in " ".join(notices(response))
    assert drafts(server) == []


def test_with_no_delay_the_message_goes_at_once(alice, server, wire):
    set_undo(0)
    response = alice.post("/mail/compose/send/", message(alice), follow=True)
    assert "Message sent." in " ".join(notices(response))
    assert len(wire.sent) == 1 and not HeldMessage.objects.exists()


def test_without_the_service_login_the_message_goes_at_once(alice, server, wire, settings):
    settings.HERON_SERVICE_USER = ""
    alice.post("/mail/compose/send/", message(alice))
    assert len(wire.sent) == 1 and not HeldMessage.objects.exists()


@pytest.mark.parametrize("fields, problem", [
    ({"to": "bob@"}, "bob@"),
    ({"to": "", "cc": "", "bcc": ""}, "Add at least one recipient."),
])
def test_a_held_send_refused_comes_back_with_the_reason_and_the_draft_saved(
        alice, server, wire, fields, problem):
    response = alice.post("/mail/compose/send/", message(alice, subject="Kept", **fields))
    assert response.status_code == 422
    page = response.content.decode()
    assert problem in text_of(re.search(r'class="compose-problem"[^>]*>(.*?)</p>', page,
                                        re.S).group(1))
    assert not HeldMessage.objects.exists()
    assert [d.header("Subject") for d in drafts(server)] == ["Kept"]


def test_an_identity_not_confirmed_is_refused_before_holding(alice, server, wire):
    from accounts.models import Identity
    stranger = Identity.objects.create(user=user(), name="Other", email="other@elsewhere.test")
    response = alice.post("/mail/compose/send/", message(alice, identity=stranger.id))
    assert response.status_code == 422 and not HeldMessage.objects.exists()


# --- Send later --------------------------------------------------------------------------

def test_send_later_offers_presets_in_the_users_zone_and_a_picker(alice, server):
    page = alice.get("/mail/compose/").content.decode()
    menu = re.search(r'<details class="menu send-later">(.*?)</details>', page, re.S).group(1)
    assert 'aria-label="Tomorrow morning, ' in menu and "08:00" in menu
    assert 'formaction="/mail/compose/send-later/"' in menu
    assert "Pick date and time…" in menu
    assert 'type="datetime-local"' in page and 'name="time_zone" value="Europe/Paris"' in page


def test_a_preset_schedules_the_message_and_says_when(alice, server, wire):
    when = in_days(2, hour=8)
    response = alice.post("/mail/compose/send-later/", message(
        alice, send_at=when.isoformat(), time_zone="Europe/Paris"))
    assert response["Location"] == "/mail/"
    held = HeldMessage.objects.get()
    assert held.kind == HeldMessage.Kind.LATER and held.send_at == when
    assert drafts(server) == [] and wire.sent == []
    page = alice.get("/mail/")
    shown = f"{when:%a} {when.day} {when:%b}, 08:00"
    assert f"Scheduled for {shown}. Undo View" in " ".join(notices(page))
    assert f'action="/mail/outbox/{held.id}/undo/"' in page.content.decode()
    assert Preferences.objects.get(user=user()).time_zone == "Europe/Paris"


def test_a_picked_time_is_read_in_the_zone_the_browser_posted(alice, server, wire):
    day = (timezone.now() + timedelta(days=3)).astimezone(ZoneInfo("America/New_York"))
    alice.post("/mail/compose/send-later/", message(
        alice, send_at_local=f"{day:%Y-%m-%d}T09:30", time_zone="America/New_York"))
    held = HeldMessage.objects.get()
    expected = datetime(day.year, day.month, day.day, 9, 30,
                        tzinfo=ZoneInfo("America/New_York"))
    assert held.send_at == expected
    assert Preferences.objects.get(user=user()).time_zone == "America/New_York"


def test_a_zone_that_is_not_one_is_not_remembered(alice, server, wire):
    when = in_days(2)
    alice.post("/mail/compose/send-later/", message(
        alice, send_at=when.isoformat(), time_zone="Mars/Olympus_Mons"))
    assert HeldMessage.objects.get().send_at == when
    assert Preferences.objects.get(user=user()).time_zone == ""


@pytest.mark.parametrize("when, problem", [
    ({"send_at_local": "2020-01-01T08:00"}, "has passed. Choose a later time; nothing was sent."),
    ({"send_at": "2020-01-01T08:00:00+01:00"}, "has passed."),
    ({"send_at_local": "2099-01-01T08:00"}, "is more than a year ahead."),
    ({"send_at_local": "soon"}, "“soon” is not a date and time."),
    ({}, "Choose when to send it"),
])
def test_a_time_past_or_too_far_is_refused_and_nothing_is_lost(alice, server, wire, when,
                                                               problem):
    response = alice.post("/mail/compose/send-later/", message(
        alice, subject="Later", time_zone="Europe/Paris", **when))
    assert response.status_code == 422
    assert problem in text_of(response.content.decode())
    assert not HeldMessage.objects.exists() and wire.sent == []
    assert [d.header("Subject") for d in drafts(server)] == ["Later"]


def test_send_later_is_not_offered_without_the_service_login(alice, server, settings):
    settings.HERON_SERVICE_USER = ""
    page = alice.get("/mail/compose/").content.decode()
    assert "Send later" not in page and 'class="menu send-later"' not in page
    response = alice.post("/mail/compose/send-later/", message(
        alice, subject="Off", send_at=in_days(1).isoformat()))
    assert response.status_code == 422 and "Send later is off" in text_of(
        response.content.decode())
    assert not HeldMessage.objects.exists()
    assert [d.header("Subject") for d in drafts(server)] == ["Off"]


# --- The Scheduled view ------------------------------------------------------------------

def rows_of(page):
    return [text_of(row) for row in re.findall(r'<li class="held-row[^"]*"[^>]*>(.*?)</li>',
                                               page.content.decode(), re.S)]


def test_the_scheduled_view_lists_subject_recipients_time_and_state(alice, server):
    when = in_days(2, hour=8)
    held_row(alice, when, subject="Report", to="Bob <bob@heron.test>",
             cc="dora@heron.test")
    [row] = rows_of(alice.get("/mail/outbox/"))
    assert "Report" in row and "Bob <bob@heron.test>, dora@heron.test" in row
    assert f"{when:%a} {when.day} {when:%b}, 08:00" in row and "Waiting" in row
    for label in ("Send now: Report", "Edit: Report", "Reschedule: Report", "Cancel: Report"):
        assert f'aria-label="{label}"' in alice.get("/mail/outbox/").content.decode()


def test_the_scheduled_view_shows_times_in_the_browsers_zone(alice, server):
    when = in_days(2, hour=8)
    held_row(alice, when)
    alice.cookies["heron_tz"] = "Asia/Tokyo"
    [row] = rows_of(alice.get("/mail/outbox/"))
    assert f"{when.astimezone(ZoneInfo('Asia/Tokyo')):%H:%M}" in row
    assert "Asia/Tokyo" in alice.get("/mail/outbox/").content.decode()


@pytest.mark.parametrize("state, error, words, buttons", [
    (State.RETRYING, "The mail server cannot be reached.", "Retrying The mail server cannot "
     "be reached. Next try", ["Send now", "Edit", "Reschedule", "Cancel"]),
    (State.FAILED, "550 5.1.1 no such user", "Not sent 550 5.1.1 no such user It is going "
     "back to Drafts.", ["Send now", "Edit", "Cancel"]),
    (State.UNCERTAIN, "Heron was stopped while the mail server was taking this message.",
     "Perhaps sent Heron was stopped", ["Send again", "It was sent", "Edit", "Cancel"]),
    (State.SENDING, "", "Sending", []),
])
def test_each_state_says_what_happened_and_offers_what_can_be_done(
        alice, server, state, error, words, buttons):
    held = held_row(alice, subject="Minutes")
    HeldMessage.objects.filter(pk=held.pk).update(state=state, last_error=error)
    page = alice.get("/mail/outbox/")
    [row] = rows_of(page)
    assert words in row
    found = re.findall(r'aria-label="([^":]+): Minutes"', page.content.decode())
    assert found == buttons


def test_an_empty_scheduled_view_says_what_it_is_for(alice, server):
    page = text_of(alice.get("/mail/outbox/").content.decode())
    assert "Nothing is waiting to be sent." in page and "choose Send later" in page


def test_the_folder_list_counts_what_is_scheduled(alice, server):
    assert 'aria-label="Scheduled"' in alice.get("/mail/").content.decode()
    held_row(alice)
    held_row(alice, subject="Second")
    page = alice.get("/mail/").content.decode()
    assert 'aria-label="Scheduled, 2 waiting"' in page


def test_reschedule_moves_the_message_to_a_preset_or_a_picked_time(alice, server):
    held = held_row(alice)
    later = in_days(5, hour=8)
    response = alice.post(f"/mail/outbox/{held.id}/reschedule/", {
        "send_at": later.isoformat(), "time_zone": "Europe/Paris"}, follow=True)
    assert response.redirect_chain[-1][0] == "/mail/outbox/"
    held.refresh_from_db()
    assert held.send_at == later
    assert f"now scheduled for {later:%a} {later.day} {later:%b}, 08:00." in " ".join(
        notices(response))
    local = in_days(6)
    alice.post(f"/mail/outbox/{held.id}/reschedule/", {
        "send_at_local": f"{local:%Y-%m-%dT%H:%M}", "time_zone": "Europe/Paris"})
    held.refresh_from_db()
    assert held.send_at == local


def test_reschedule_to_a_time_past_is_refused_and_changes_nothing(alice, server):
    held = held_row(alice)
    response = alice.post(f"/mail/outbox/{held.id}/reschedule/", {
        "send_at_local": "2020-05-01T08:00", "time_zone": "Europe/Paris"}, follow=True)
    assert "Fri 1 May 2020, 08:00 has passed." in " ".join(notices(response))
    assert HeldMessage.objects.get(pk=held.pk).send_at == held.send_at


def test_send_now_puts_the_message_due_at_once(alice, server):
    held = held_row(alice, subject="Now")
    response = alice.post(f"/mail/outbox/{held.id}/send-now/", follow=True)
    assert "Sending “Now” now." in " ".join(notices(response))
    held.refresh_from_db()
    assert held.send_at <= timezone.now() and held.state == State.QUEUED


def test_send_now_of_a_message_being_sent_says_it_can_no_longer_be_changed(alice, server):
    held = held_row(alice)
    HeldMessage.objects.filter(pk=held.pk).update(state=State.SENDING)
    response = alice.post(f"/mail/outbox/{held.id}/send-now/", follow=True)
    assert "can no longer be changed" in " ".join(notices(response))


def test_cancel_puts_the_message_back_in_drafts_and_says_so(alice, server, wire):
    held = held_row(alice, subject="Maybe")
    response = alice.post(f"/mail/outbox/{held.id}/cancel/", follow=True)
    assert "Cancelled: “Maybe” is back in Drafts." in " ".join(notices(response))
    assert [d.header("Subject") for d in drafts(server)] == ["Maybe"]
    assert rows_of(response) == [] and wire.sent == []


def test_edit_takes_the_message_out_of_scheduled_into_the_compose_window(alice, server):
    held = held_row(alice, subject="Edit me")
    response = alice.post(f"/mail/outbox/{held.id}/undo/", {"next": "/mail/outbox/"},
                          follow=True)
    assert response.redirect_chain[-1][0].startswith("/mail/compose/?draft=")
    assert field(response.content.decode(), "subject") == "Edit me"
    assert "Taken out of Scheduled" in " ".join(notices(response))


def test_it_was_sent_settles_a_message_perhaps_sent(alice, server):
    held = held_row(alice, subject="Unsure")
    HeldMessage.objects.filter(pk=held.pk).update(state=State.UNCERTAIN)
    response = alice.post(f"/mail/outbox/{held.id}/sent/", follow=True)
    assert "Marked “Unsure” as sent" in " ".join(notices(response))
    assert HeldMessage.objects.get(pk=held.pk).state == State.ACCEPTED
    again = alice.post(f"/mail/outbox/{held.id}/sent/", follow=True)
    assert "no longer waiting for your answer" in " ".join(notices(again))


ACTIONS = ("undo", "cancel", "send-now", "reschedule", "sent")


@pytest.mark.parametrize("action", ACTIONS)
def test_carol_gets_404_for_alices_held_messages(alice, server, action):
    held = held_row(alice)
    carol = Client()
    assert log_in(carol, CAROL).status_code == 302
    response = carol.post(f"/mail/outbox/{held.id}/{action}/", {
        "send_at": in_days(3).isoformat()})
    assert response.status_code == 404
    assert HeldMessage.objects.get(pk=held.pk).state == State.QUEUED
    assert "Plans" not in carol.get("/mail/outbox/").content.decode()


@pytest.mark.parametrize("action", ACTIONS)
def test_an_unknown_or_malformed_id_is_a_404(alice, server, action):
    assert alice.post(f"/mail/outbox/{uuid.uuid4()}/{action}/").status_code == 404
    assert alice.post(f"/mail/outbox/not-a-uuid/{action}/").status_code == 404


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_answer_only_post_with_a_csrf_token_and_a_login(alice, server, action):
    held = held_row(alice)
    url = f"/mail/outbox/{held.id}/{action}/"
    assert alice.get(url).status_code == 405
    anonymous = Client()
    response = anonymous.post(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    strict = Client(enforce_csrf_checks=True)
    assert log_in(strict).status_code in (302, 403)
    strict.cookies.update(alice.cookies)
    assert strict.post(url).status_code == 403
    assert HeldMessage.objects.get(pk=held.pk).state == State.QUEUED


def test_the_scheduled_view_answers_only_get_and_needs_a_login(client, server):
    assert client.get("/mail/outbox/")["Location"].startswith("/accounts/login/")
    assert log_in(client).status_code == 302
    assert client.post("/mail/outbox/").status_code == 405
    assert client.post("/mail/compose/send-later/").status_code == 400


# --- Failures speak ----------------------------------------------------------------------

def refused(client, server, reason="550 5.1.1 <bob@heron.test>: no such user"):
    """A scheduled message the server refused, back in Drafts, the user not yet told."""
    held = held_row(client, subject="Quarterly")
    with mail.service_mail(ALICE) as session:
        outbox.recall(session, user(), held)
    HeldMessage.objects.filter(pk=held.pk).update(last_error=reason, untold=True)
    return held


def test_a_refused_send_is_told_once_on_the_next_page_with_a_link_to_the_draft(alice,
                                                                             server):
    held = refused(alice, server)
    page = alice.get("/mail/")
    said = " ".join(notices(page))
    assert ("Not sent: Quarterly — 550 5.1.1 <bob@heron.test>: no such user. It is "
            "back in Drafts.") in said
    assert f'href="/mail/compose/reload/?key={held.draft_key}"' in page.content.decode()
    assert "Not sent: Quarterly" not in " ".join(notices(alice.get("/mail/")))


def test_the_draft_refused_shows_the_servers_reason_at_the_top(alice, server):
    held = refused(alice, server)
    page = alice.get(f"/mail/compose/reload/?key={held.draft_key}", follow=True)
    problem = re.search(r'class="compose-problem"[^>]*>(.*?)</p>', page.content.decode(),
                        re.S).group(1)
    assert text_of(problem) == ("The mail server refused this message: 550 5.1.1 "
                                "<bob@heron.test>: no such user")


def test_a_fragment_does_not_use_up_the_failure_notice(alice, server):
    refused(alice, server)
    alice.get("/mail/", HTTP_HX_REQUEST="true")
    assert "Not sent: Quarterly" in " ".join(notices(alice.get("/mail/")))


def test_a_message_perhaps_sent_is_told_with_a_link_to_scheduled(alice, server):
    held = held_row(alice, subject="Unsure")
    HeldMessage.objects.filter(pk=held.pk).update(
        state=State.UNCERTAIN, untold=True, last_error="Heron was stopped.")
    page = alice.get("/mail/")
    assert "Perhaps sent: Unsure — Heron was stopped." in " ".join(notices(page))
    assert '<a href="/mail/outbox/">Open Scheduled</a>' in page.content.decode()


def test_what_the_pages_show_of_held_messages_costs_two_queries_and_no_imap(
        alice, server, rf, django_assert_num_queries):
    held_row(alice)
    request = rf.get("/mail/")
    request.user = user()
    figures = held_messages(request)["held"]
    with django_assert_num_queries(2):  # held messages, snoozes: once a request
        assert (figures.scheduled, figures.failures, figures.shown_in_folders) == (1, [], True)
        assert pending.figures(request.user)["snoozed"] == 0
    assert held_messages(rf.get("/accounts/login/")) == {}


def test_a_user_with_nothing_pending_costs_no_query_after_the_first_page(
        alice, server, django_assert_num_queries):
    first, later = user(), user()  # as two requests' users
    with django_assert_num_queries(2):
        assert pending.figures(first) == pending.NOTHING
    with django_assert_num_queries(0):  # a later request: the quiet flag answers
        assert pending.figures(later) == pending.NOTHING
    held_row(alice)  # holding a message takes the flag down
    assert pending.figures(user())["scheduled"] == 1


# --- Settings ----------------------------------------------------------------------------

def test_the_undo_delay_is_set_in_settings_within_0_to_30_seconds(alice, server):
    page = alice.get("/accounts/settings/").content.decode()
    assert 'name="undo_seconds"' in page and 'value="10"' in page and "Undo send" in page
    alice.post("/accounts/settings/preferences/writing/",
               preference_form(user(), "writing", undo_seconds=30))
    assert preferences.effective(user(), "undo_seconds") == 30
    for wrong in ("31", "-1", "ten"):
        response = alice.post("/accounts/settings/preferences/writing/",
                              preference_form(user(), "writing", undo_seconds=wrong))
        assert response.status_code == 400
        assert "Enter a whole number from 0 to 30." in response.content.decode()
        assert f'value="{wrong}"' in response.content.decode()  # kept, to correct
    assert preferences.effective(user(), "undo_seconds") == 30


def test_the_page_saying_redis_is_down_draws_without_held_messages(rf):
    """The 503 page runs this context processor too: reading request.user reads the
    session, which fails with Redis down."""
    from redis.exceptions import ConnectionError as RedisDown

    class SessionGone:
        @property
        def user(self):
            raise RedisDown("connection refused")

    assert held_messages(SessionGone()) == {}


def test_a_refused_send_is_told_once_on_a_message_page_kept_whole(alice, server):
    for _ in range(2):  # drawn, then kept
        assert not notices(alice.get("/mail/message/6/", {"mailbox": "INBOX"}))
    refused(alice, server)
    told = alice.get("/mail/message/6/", {"mailbox": "INBOX"})
    assert "Not sent: Quarterly" in " ".join(notices(told))
    assert not notices(alice.get("/mail/message/6/", {"mailbox": "INBOX"}))
