"""Undo send and Send later in Chromium, on the stack: Send → "Sending… Undo" → Undo opens
the same message again; Send later from a preset → the Scheduled view → Reschedule → Send
now, delivered by a worker run in this process with the stack's service login."""
import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from accounts.preferences import choose, preferences_for
from tests.e2e.conftest import log_in
from tests.e2e.test_accessibility import violations
from tests.e2e.test_compose_browser import imap, remove, wait_for
from webmail.models import HeldMessage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ALICE, BOB = "alice@heron.test", "bob@heron.test"
State = HeldMessage.State


@pytest.fixture(autouse=True)
def _service_login(service_login):
    return service_login


def browser_zone(page):
    return ZoneInfo(page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone"))


def undo_after(seconds):
    """Bob's Undo send delay set to `seconds`; Bob."""
    bob = get_user_model().objects.get(username=BOB)
    choose(bob, {"undo_seconds": seconds})
    return bob


def write(page, base, subject, to=ALICE, cc="", body="Shall we meet on Thursday?\n"):
    page.goto(f"{base}/mail/compose/")
    page.get_by_label("To", exact=True).fill(to)
    if cc:
        page.get_by_label("Cc", exact=True).fill(cc)
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Message", exact=True).fill(body)


def test_undo_send_brings_the_same_message_back_to_the_compose_window(live_server, page):
    subject = f"Undo me {uuid.uuid4().hex[:8]}"
    base = live_server.url
    log_in(page, base, BOB)
    bob = undo_after(30)  # time enough for a slow machine to click Undo
    write(page, base, subject, cc="Carol <carol@heron.test>",
          body="Shall we meet on Thursday?\nBring the plans.\n")
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(f"{base}/mail/")
    notice = page.locator(".held-notice")
    notice.get_by_text("Sending…").wait_for()
    assert re.fullmatch(r"(29|30) s", notice.locator(".countdown").inner_text())
    held = HeldMessage.objects.get(owner=bob, subject=subject)
    assert held.state == State.QUEUED and held.kind == HeldMessage.Kind.UNDO

    page.get_by_role("button", name="Undo send").click()
    page.wait_for_url(re.compile(r"/mail/compose/\?draft=\d+&mailbox=Drafts$"))
    assert page.get_by_label("To", exact=True).input_value() == ALICE
    assert page.get_by_label("Cc", exact=True).input_value() == "Carol <carol@heron.test>"
    assert page.get_by_label("Subject").input_value() == subject
    assert page.get_by_label("Message", exact=True).input_value().startswith(
        "Shall we meet on Thursday?\nBring the plans.")
    page.get_by_text("Undone: nothing was sent.").wait_for()
    held.refresh_from_db()
    assert held.state == State.CANCELLED
    page.get_by_role("button", name="Discard draft").click()
    page.wait_for_url(f"{base}/mail/")


def test_the_undo_notice_goes_away_when_its_time_is_up(live_server, page):
    subject = f"Short undo {uuid.uuid4().hex[:8]}"
    base = live_server.url
    log_in(page, base, BOB)
    bob = undo_after(2)
    write(page, base, subject)
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator(".held-notice").wait_for()
    page.locator(".held-notice").wait_for(state="detached", timeout=10000)
    HeldMessage.objects.filter(owner=bob, subject=subject).update(state=State.CANCELLED)


def test_send_later_then_reschedule_then_send_now_delivers_it_once(live_server, page):
    subject = f"Later {uuid.uuid4().hex[:8]}"
    base = live_server.url
    alice = imap(ALICE)
    try:
        log_in(page, base, BOB)
        write(page, base, subject)
        page.get_by_role("button", name="Send later").click()
        preset = page.get_by_role("menuitem", name=re.compile(r"^Tomorrow morning, "))
        shown = preset.get_attribute("aria-label").split(", ", 1)[1]
        preset.click()
        page.wait_for_url(f"{base}/mail/")
        page.get_by_text(f"Scheduled for {shown}.").wait_for()
        held = HeldMessage.objects.get(subject=subject)
        assert held.kind == HeldMessage.Kind.LATER and held.send_at > timezone.now()

        page.get_by_role("link", name="View scheduled messages").click()
        page.wait_for_url(f"{base}/mail/outbox/")
        row = page.get_by_role("listitem", name=subject)
        row.get_by_text("Waiting").wait_for()
        assert shown in row.inner_text() and ALICE in row.inner_text()

        assert violations(page) == []
        row.get_by_label(f"Reschedule: {subject}").click()
        assert violations(page) == []
        zone = browser_zone(page)
        later = (timezone.now() + timedelta(days=3)).astimezone(zone)
        row.get_by_label("Date and time").fill(f"{later:%Y-%m-%d}T09:30")
        row.get_by_role("button", name="Reschedule", exact=True).click()
        page.get_by_text(f"“{subject}” is now scheduled for").wait_for()
        held.refresh_from_db()
        local = held.send_at.astimezone(zone)
        assert (local.date(), local.hour, local.minute) == (later.date(), 9, 30)

        page.get_by_role("listitem", name=subject).get_by_role(
            "button", name=f"Send now: {subject}").click()
        page.get_by_text(f"Sending “{subject}” now.").wait_for()
        call_command("heron_worker", batch=True, verbosity=0)
        held.refresh_from_db()
        assert held.state == State.SENT
        assert len(wait_for(alice, "INBOX", subject)) == 1
        page.reload()
        assert page.get_by_role("listitem", name=subject).count() == 0
    finally:
        remove(alice, "INBOX", subject)
        alice.logout()
        bob = imap(BOB)
        remove(bob, "Sent", subject)
        bob.logout()


def test_pick_date_and_time_opens_a_picker_and_schedules_at_that_time(live_server, page):
    subject = f"Picked {uuid.uuid4().hex[:8]}"
    base = live_server.url
    log_in(page, base, BOB)
    write(page, base, subject)
    page.get_by_role("button", name="Send later").click()
    assert violations(page) == []
    page.get_by_role("menuitem", name="Pick date and time…").click()
    dialog = page.get_by_role("dialog", name="Send later")
    assert violations(page) == []
    picker = dialog.get_by_label("Date and time")
    assert picker.evaluate("el => el === document.activeElement")
    zone = browser_zone(page)
    when = (timezone.now() + timedelta(days=10)).astimezone(zone)
    picker.fill(f"{when:%Y-%m-%d}T07:15")
    picker.press("Enter")  # schedules: Enter in the picker is not Send
    page.wait_for_url(f"{base}/mail/")
    page.get_by_text("Scheduled for").wait_for()
    held = HeldMessage.objects.get(subject=subject)
    assert preferences_for(held.owner).time_zone == zone.key
    local = held.send_at.astimezone(zone)
    assert (local.date(), local.hour, local.minute) == (when.date(), 7, 15)
    page.get_by_role("button", name="Undo send").click()
    page.wait_for_url(re.compile(r"/mail/compose/"))
    page.get_by_role("button", name="Discard draft").click()
    page.wait_for_url(f"{base}/mail/")


def test_without_javascript_send_later_and_undo_still_work(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    subject = f"No script {uuid.uuid4().hex[:8]}"
    base = live_server.url
    try:
        log_in(page, base, BOB)
        write(page, base, subject)
        page.get_by_title("Send later").click()  # a <details>: its list opens
        page.get_by_role("button", name=re.compile(r"^Tomorrow morning, ")).click()
        page.wait_for_url(f"{base}/mail/")
        page.get_by_text("Scheduled for").wait_for()
        page.get_by_role("button", name="Undo send").click()
        page.wait_for_url(re.compile(r"/mail/compose/\?draft="))
        assert page.get_by_label("Subject").input_value() == subject
        # The picker stands below the message: a date and time, then Schedule.
        when = (timezone.now() + timedelta(days=4)).astimezone(ZoneInfo("UTC"))
        page.get_by_label("Date and time").fill(f"{when:%Y-%m-%d}T10:45")
        page.get_by_role("button", name="Schedule", exact=True).click()
        page.wait_for_url(f"{base}/mail/")
        held = HeldMessage.objects.get(subject=subject, state=State.QUEUED)
        assert held.send_at.astimezone(ZoneInfo("UTC")).strftime("%H:%M") == "10:45"
        page.goto(f"{base}/mail/outbox/")
        page.get_by_role("button", name=f"Cancel: {subject}").click()
        page.get_by_text(f"Cancelled: “{subject}” is back in Drafts.").wait_for()
        page.goto(f"{base}/mail/compose/reload/?key={held.draft_key}")
        page.get_by_role("button", name="Discard draft").click()
        page.wait_for_url(f"{base}/mail/")
    finally:
        page.goto("about:blank")
        context.close()
