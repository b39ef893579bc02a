"""What a row of the message list tells at a glance (who, what, the start of the text,
when, its marks), the star that flags a message where it is, and the unread counts after
reading: through the in-memory mail server."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from django.test import Client, override_settings

from tests.fakes.messages import Stored, written_for
from tests.helpers import make_summaries
from webmail.imap.types import Address
from webmail.templatetags.heron import names, short_date

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"
JSON = {"HTTP_ACCEPT": "application/json"}


def row(page, uid):
    return page.split(f'data-uid="{uid}"')[1].split("</tr>")[0]


def listed(client, mailbox="INBOX"):
    return client.get("/mail/", {"mailbox": mailbox}).content.decode()


def add(server, folder, summary, flags=()):
    server.folder(ALICE, folder).add(Stored(summary.uid, written_for(summary), flags, summary))


# --- the row ---------------------------------------------------------------------------
def test_a_row_shows_the_sender_the_subject_and_the_start_of_the_text(alice):
    found = row(listed(alice), 120)
    assert "Sender 120" in found and "Message 120</a>" in found
    assert '<span class="snippet"> – Body of Message 120</span>' in found
    assert "To:" not in found


def test_in_sent_a_row_shows_the_recipients_instead_of_the_sender(alice, fake_server):
    summary = make_summaries(1, start_uid=600)[0]
    add(fake_server, "Sent", summary.__class__(**{
        **summary.__dict__, "to": (Address("Ann", "ann@x.test"), Address("", "bo@x.test"))}),
        flags=("\\Seen",))
    found = row(listed(alice, "Sent"), 600)
    assert re.search(r'<span class="to-label">To:</span> Ann, bo@x\.test', found)
    assert "Sender 600" not in found


def test_a_hostile_snippet_is_shown_as_text(alice, fake_server):
    summary = make_summaries(1, start_uid=130)[0]
    add(fake_server, "INBOX", summary.__class__(**{
        **summary.__dict__, "snippet": '<script>alert(1)</script> "quoted" & more'}))
    found = row(listed(alice), 130)
    assert "<script>" not in found
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; more" in found


def test_rows_carry_marks_for_unread_flagged_answered_forwarded_and_attachments(alice,
                                                                                 fake_server):
    fake_server.folder(ALICE, "INBOX").messages[119].flags.update(
        {"\\Flagged", "\\Answered", "$Forwarded"})
    page = listed(alice)
    marked, unread = row(page, 119), row(page, 120)
    for label in ("Answered", "Forwarded"):
        assert f'aria-label="{label}"' in marked and f'aria-label="{label}"' not in unread
    assert 'aria-label="Unread"' in unread and 'aria-label="Unread"' not in marked
    assert 'aria-label="Has attachments"' in unread  # 120 carries a file
    assert "message-row unread" in page.split('data-uid="120"')[0].rsplit("<tr", 1)[1]


def test_the_star_says_whether_the_message_is_flagged(alice, fake_server):
    fake_server.folder(ALICE, "INBOX").messages[119].flags.add("\\Flagged")
    page = listed(alice)
    assert 'aria-pressed="true" aria-label="Remove flag"' in row(page, 119)
    assert 'aria-pressed="false" aria-label="Flag"' in row(page, 118)


def test_the_date_has_the_full_date_and_the_size_in_its_title(alice):
    found = row(listed(alice), 120)  # 1 January 2026 + 120 hours, UTC
    assert 'title="Tuesday 6 January 2026, 00:00 · 1.1\xa0KB"' in found


# --- dates, with a fixed now -------------------------------------------------------------
NOW = datetime(2026, 12, 2, 15, 30, tzinfo=timezone.utc)  # a Wednesday


@pytest.mark.parametrize("when, shown", [
    (NOW - timedelta(minutes=5), "15:25"),
    (NOW.replace(hour=0, minute=1), "00:01"),
    (NOW - timedelta(days=1), "Tue"),
    (NOW - timedelta(days=6), "Thu"),
    (NOW - timedelta(days=7), "25 Nov"),
    (datetime(2026, 3, 4, 9, 0, tzinfo=timezone.utc), "4 Mar"),
    (datetime(2025, 12, 30, 9, 0, tzinfo=timezone.utc), "30 Dec 2025"),
    (NOW + timedelta(days=3), "5 Dec"),  # a date ahead of the clock is no weekday
    (None, ""),
])
def test_a_row_dates_today_by_time_this_week_by_weekday_and_older_by_date(when, shown):
    assert short_date(when, NOW) == shown


@override_settings(TIME_ZONE="Europe/Berlin")
def test_today_is_today_where_the_user_is():
    late = datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc)  # 00:30 on 2 Dec in Berlin
    assert short_date(late, NOW) == "00:30"


def test_recipients_are_named_by_name_else_address():
    assert names((Address("Ann", "ann@x.test"), Address("", "bo@x.test"))) == "Ann, bo@x.test"
    assert names(()) == ""


# --- the star's request ------------------------------------------------------------------
def test_the_star_flags_and_unflags_one_message_without_leaving_the_page(alice, fake_server):
    stored = fake_server.folder(ALICE, "INBOX").messages[118]
    response = alice.post("/mail/actions/", {"action": "flag", "uids": [118],
                                             "mailbox": "INBOX"}, **JSON)
    assert response.status_code == 200 and response.json()["notice"] == "Flagged 1 message"
    assert "\\Flagged" in stored.flags
    response = alice.post("/mail/actions/", {"action": "unflag", "uids": [118],
                                             "mailbox": "INBOX"}, **JSON)
    assert response.status_code == 200 and "\\Flagged" not in stored.flags


def test_the_star_needs_a_post_with_csrf(alice, fake_server):
    assert alice.get("/mail/actions/", {"action": "flag", "uids": [118]}).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = alice.cookies
    response = strict.post("/mail/actions/", {"action": "flag", "uids": [118],
                                              "mailbox": "INBOX"}, **JSON)
    assert response.status_code == 403
    assert "\\Flagged" not in fake_server.folder(ALICE, "INBOX").messages[118].flags


# --- counts after reading ----------------------------------------------------------------
def test_the_tab_title_names_the_folder_and_its_unread_count(alice):
    assert "<title>Inbox (40) – Heron</title>" in listed(alice)


def test_the_message_page_counts_the_message_being_read_as_read(alice, fake_server):
    page = alice.get("/mail/message/120/", {"mailbox": "INBOX"}).content.decode()
    assert 'aria-label="Inbox, 39 unread"' in page
    again = alice.get("/mail/message/120/", {"mailbox": "INBOX"}).content.decode()
    assert 'aria-label="Inbox, 39 unread"' in again  # already read: nothing to take off
