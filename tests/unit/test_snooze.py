"""Snooze's engine (webmail/snooze.py, webmail/woken.py): put away, woken once at its time,
found again whatever another client did meanwhile, placed on top of its folder; the times
offered and refused. Through the in-memory mail server; the views have test_snooze_views."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.unit.conftest import PASSWORDS, log_in
from webmail import schedule, snooze, tasks, woken
from webmail.imap.search import SearchQuery
from webmail.mail import service_mail
from webmail.models import QueueBeat, Snooze

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"
PARIS = ZoneInfo("Europe/Paris")
State = Snooze.State
QUERY = {"mailbox": "INBOX", "page": 1, "sort": "date", "order": "desc", "reverse": True,
         "threads": False}


@pytest.fixture
def server(service_server):
    return service_server


@pytest.fixture
def alice(client, server):
    assert log_in(client).status_code == 302
    return get_user_model().objects.get(username=ALICE)


def folder(server, name):
    return server.folder(ALICE, name).messages


def put_away(user, uids, *, mailbox="INBOX", minutes=60, conversations=False):
    with service_mail(user.username) as mail:
        return snooze.snooze(mail, user, mailbox, uids,
                             timezone.now() + timedelta(minutes=minutes), conversations)


def wake_all(rows, after=timedelta(hours=2), worker="w1"):
    return [snooze.wake(row.pk, worker, now=row.wake_at + after) for row in rows]


def first_page(user, query=QUERY, search=SearchQuery(), per_page=50):
    with service_mail(user.username) as mail:
        page = mail.page(query["mailbox"], 1, per_page, query["sort"], query["reverse"])
        return woken.on_top(mail, user, page, query, search)


# --- snoozing -----------------------------------------------------------------------------
def test_snoozing_moves_the_message_to_a_new_snoozed_folder_and_queues_its_wake_up(alice,
                                                                                    server):
    [row] = put_away(alice, [117])
    assert 117 not in folder(server, "INBOX")
    [(at, stored)] = folder(server, "Snoozed").items()
    assert stored.header("Subject") == "Message 117"
    assert row.messages == [{"id": "<fake-117@fake.test>", "uid": 117, "at": at, "back": None}]
    assert (row.state, row.folder, row.subject, row.sender) == (
        State.WAITING, "INBOX", "Message 117", "Sender 117")
    job = DBTaskResult.objects.get(task_path="webmail.snooze.wake_job")
    assert job.run_after == row.wake_at and job.args_kwargs["args"] == [str(row.pk)]
    assert QueueBeat.objects.filter(name=tasks.TICK).exists()


def test_each_selected_message_is_its_own_snooze(alice, server):
    rows = put_away(alice, [5, 6, 5])
    assert [[item["uid"] for item in row.messages] for row in rows] == [[5], [6]]


def test_a_conversation_snoozes_all_its_messages_in_the_folder(alice, server):
    inbox = server.folder(ALICE, "INBOX")
    reply = inbox.append(b"Subject: Re: Message 7\r\nMessage-ID: <reply-7@x.test>\r\n"
                         b"In-Reply-To: <fake-7@fake.test>\r\n"
                         b"Date: Thu, 01 Jan 2026 09:00:00 +0000\r\n\r\nYes\r\n")
    [row] = put_away(alice, [reply], conversations=True)
    assert sorted(item["uid"] for item in row.messages) == [7, reply]
    assert 7 not in inbox.messages and reply not in inbox.messages
    assert len(folder(server, "Snoozed")) == 2


def test_messages_in_snoozed_cannot_be_snoozed_again(alice, server):
    put_away(alice, [3])
    [at] = folder(server, "Snoozed")
    with pytest.raises(snooze.SnoozeRefused, match="snoozed already"):
        put_away(alice, [at], mailbox="Snoozed")


def test_a_message_that_could_not_be_found_again_is_not_snoozed(alice, server):
    # (The fake server announces no UIDPLUS.)
    uid = server.folder(ALICE, "INBOX").append(b"Subject: No id\r\n\r\nHi\r\n")
    with pytest.raises(snooze.SnoozeRefused, match="no Message-ID.*Nothing was snoozed"):
        put_away(alice, [uid])
    assert uid in folder(server, "INBOX") and not Snooze.objects.exists()


def test_snooze_is_refused_without_the_service_login_that_wakes_it(alice, server, settings):
    settings.HERON_SERVICE_USER = ""
    own = server.factory(None)
    own.login(ALICE, PASSWORDS[ALICE])
    with pytest.raises(snooze.SnoozeRefused, match="background worker"):
        snooze.snooze(own, alice, "INBOX", [3], timezone.now() + timedelta(hours=1))
    assert 3 in folder(server, "INBOX") and not Snooze.objects.exists()


def test_a_move_the_server_refuses_leaves_nothing_snoozed(alice, server, monkeypatch):
    from tests.fakes.session import FakeMailSession
    from webmail.imap.errors import ServerRefused

    def refuse(self, mailbox, uids, target, strict=False):
        raise ServerRefused("over quota")

    monkeypatch.setattr(FakeMailSession, "move_tracked", refuse)
    with pytest.raises(ServerRefused):
        put_away(alice, [3])
    assert not Snooze.objects.exists() and 3 in folder(server, "INBOX")


# --- waking -------------------------------------------------------------------------------
def test_at_its_time_it_comes_back_unread_to_its_folder(alice, server):
    server.folder(ALICE, "INBOX").messages[4].flags.add("\\Seen")
    [row] = put_away(alice, [4])
    assert wake_all([row]) == [State.WOKEN]
    row.refresh_from_db()
    [back] = [item["back"] for item in row.messages]
    stored = folder(server, "INBOX")[back]
    assert stored.header("Message-ID") == "<fake-4@fake.test>"
    assert "\\Seen" not in stored.flags
    assert folder(server, "Snoozed") == {}
    assert (row.state, row.back_in, row.woken_at) == (State.WOKEN, "INBOX",
                                                      row.wake_at + timedelta(hours=2))


def test_before_its_time_a_wake_does_nothing(alice, server):
    [row] = put_away(alice, [4], minutes=30)
    assert snooze.wake(row.pk, "w1", now=row.wake_at - timedelta(seconds=1)) is None
    assert Snooze.objects.get(pk=row.pk).state == State.WAITING


def test_two_workers_bring_it_back_once(alice, server):
    [row] = put_away(alice, [4])
    assert wake_all([row], worker="w1") == [State.WOKEN]
    assert wake_all([row], worker="w2") == [None]
    assert sum(1 for m in folder(server, "INBOX").values()
               if m.header("Message-ID") == "<fake-4@fake.test>") == 1


def test_a_conversation_comes_back_together(alice, server):
    inbox = server.folder(ALICE, "INBOX")
    inbox.append(b"Subject: Re: Message 8\r\nMessage-ID: <reply-8@x.test>\r\n"
                 b"In-Reply-To: <fake-8@fake.test>\r\n\r\nOk\r\n")
    [row] = put_away(alice, [8], conversations=True)
    wake_all([row])
    row.refresh_from_db()
    back = {item["id"]: item["back"] for item in row.messages}
    assert set(back) == {"<fake-8@fake.test>", "<reply-8@x.test>"}
    assert all(inbox.messages[uid].flags == set() for uid in back.values())


def test_a_message_another_client_deleted_from_snoozed_closes_the_row_quietly(alice, server):
    [row] = put_away(alice, [4])
    server.folder(ALICE, "Snoozed").expunge(list(folder(server, "Snoozed")))
    assert wake_all([row]) == [State.GONE]
    assert Snooze.objects.get(pk=row.pk).last_error == ""


def test_one_message_of_a_conversation_moved_away_meanwhile_leaves_the_other_to_come_back(
        alice, server):
    inbox = server.folder(ALICE, "INBOX")
    reply = inbox.append(b"Subject: Re: Message 9\r\nMessage-ID: <reply-9@x.test>\r\n"
                         b"In-Reply-To: <fake-9@fake.test>\r\n\r\nOk\r\n")
    [row] = put_away(alice, [reply], conversations=True)
    snoozed = server.folder(ALICE, "Snoozed")
    [gone] = [uid for uid, m in snoozed.messages.items()
              if m.header("Message-ID") == "<reply-9@x.test>"]
    with service_mail(ALICE) as mail:
        mail.move("Snoozed", [gone], "Projects")
    assert wake_all([row]) == [State.WOKEN]
    row.refresh_from_db()
    assert {item["id"]: (bool(item["back"]), item.get("gone", False))
            for item in row.messages} == {"<fake-9@fake.test>": (True, False),
                                          "<reply-9@x.test>": (False, True)}


def test_a_snoozed_folder_renumbered_by_another_client_is_searched_by_message_id(alice,
                                                                                 server):
    [row] = put_away(alice, [4])
    snoozed = server.folder(ALICE, "Snoozed")
    [(uid, stored)] = snoozed.messages.items()
    snoozed.expunge([uid])
    snoozed.take(stored)  # the same message under another UID
    assert wake_all([row]) == [State.WOKEN]


def test_a_folder_gone_meanwhile_sends_it_to_the_inbox(alice, server):
    [row] = put_away(alice, [801], mailbox="Projects/Heron")
    with service_mail(ALICE) as mail:
        mail.delete_folder("Projects/Heron")
    wake_all([row])
    row.refresh_from_db()
    assert row.back_in == "INBOX" and row.messages[0]["back"] in folder(server, "INBOX")


def test_a_mail_server_that_is_down_leaves_it_waiting_and_tried_again(alice, server):
    [row] = put_away(alice, [4])
    server.down = True
    now = row.wake_at + timedelta(minutes=1)
    assert snooze.wake(row.pk, "w1", now=now) == State.WAITING
    row.refresh_from_db()
    assert (row.state, row.next_try, row.attempts) == (State.WAITING,
                                                       now + timedelta(minutes=1), 1)
    assert "cannot be reached" in row.last_error
    retry = DBTaskResult.objects.filter(task_path="webmail.snooze.wake_job").order_by(
        "-run_after").first()
    assert retry.run_after == row.next_try
    server.down = False
    assert snooze.wake(row.pk, "w1", now=row.next_try) == State.WOKEN


def test_the_tick_resumes_a_wake_whose_worker_died_and_finds_what_it_moved(alice, server):
    [row] = put_away(alice, [4])
    # A worker took it, moved the message back, and was killed before it wrote so.
    Snooze.objects.filter(pk=row.pk).update(state=State.WAKING, attempts=1, claimed_by="dead",
                                            lease_until=row.wake_at)
    with service_mail(ALICE) as mail:
        mail.move("Snoozed", list(folder(server, "Snoozed")), "INBOX")
    done = snooze.recover(row.wake_at + timedelta(minutes=5))
    assert done["snoozes_resumed"] == 1
    assert snooze.wake(row.pk, "w2", now=row.wake_at + timedelta(minutes=5)) == State.WOKEN
    row.refresh_from_db()
    assert folder(server, "INBOX")[row.messages[0]["back"]].header("Subject") == "Message 4"


def test_the_tick_queues_a_wake_whose_job_was_lost(alice, server):
    [row] = put_away(alice, [4])
    DBTaskResult.objects.all().delete()
    assert snooze.recover(row.wake_at)["snoozes_due"] == 0  # not overdue yet
    assert snooze.recover(row.wake_at + timedelta(minutes=5))["snoozes_due"] == 1
    assert DBTaskResult.objects.filter(task_path="webmail.snooze.wake_job").count() == 1


def test_recovery_is_registered_with_the_tick():
    assert snooze.recover in tasks.RECOVERIES


def test_old_rows_of_messages_long_back_are_pruned(alice, server):
    [row] = put_away(alice, [4])
    wake_all([row])
    later = Snooze.objects.get(pk=row.pk).woken_at + snooze.KEEP_NOTES
    assert snooze.recover(later - timedelta(minutes=1))["snoozes_pruned"] == 0
    assert snooze.recover(later + timedelta(minutes=1))["snoozes_pruned"] == 1


# --- on top -------------------------------------------------------------------------------
def test_a_woken_message_is_first_in_the_newest_first_list_with_its_note(alice, server):
    [row] = put_away(alice, [4])
    wake_all([row])
    row.refresh_from_db()
    back = row.messages[0]["back"]
    page, notes = first_page(alice)
    assert [m.uid for m in page.messages[:2]] == [back, 120]
    assert page.messages[0].unread and notes == {back: row.snoozed_at}
    assert page.offset is None and len(page.messages) == 51


def test_it_stays_on_top_once_read_until_newer_mail_pushes_it_off_page_one(alice, server):
    [row] = put_away(alice, [4])
    wake_all([row], after=timedelta(0))
    row.refresh_from_db()
    back = row.messages[0]["back"]
    folder(server, "INBOX")[back].flags.add("\\Seen")
    page, _notes = first_page(alice, per_page=3)
    assert page.messages[0].uid == back
    inbox = server.folder(ALICE, "INBOX")
    for hour in (1, 2, 3):
        when = (row.woken_at + timedelta(hours=hour)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        inbox.append(f"Subject: New {hour}\r\nDate: {when}\r\n\r\nHi\r\n".encode())
    page, notes = first_page(alice, per_page=3)
    assert back not in [m.uid for m in page.messages] and back in notes
    assert Snooze.objects.get(pk=row.pk).state == State.DONE


@pytest.mark.parametrize("changes", [{"sort": "from"}, {"reverse": False, "order": "asc"}])
def test_orders_the_user_chose_by_name_or_oldest_first_keep_their_order(alice, server,
                                                                        changes):
    [row] = put_away(alice, [4])
    wake_all([row])
    query = {**QUERY, **changes}
    page, notes = first_page(alice, query)
    with service_mail(ALICE) as mail:
        plain = mail.page("INBOX", 1, 50, query["sort"], query["reverse"])
    assert page == plain and len(notes) == 1


def test_search_results_keep_their_order(alice, server):
    [row] = put_away(alice, [4])
    wake_all([row])
    with service_mail(ALICE) as mail:
        page = mail.page("INBOX", 1, 50)
        assert woken.on_top(mail, alice, page, QUERY, SearchQuery(text="x"))[0] == page


def test_in_conversations_the_woken_conversation_is_one_row_on_top(alice, server):
    inbox = server.folder(ALICE, "INBOX")
    inbox.append(b"Subject: Re: Message 10\r\nMessage-ID: <reply-10@x.test>\r\n"
                 b"In-Reply-To: <fake-10@fake.test>\r\n"
                 b"Date: Thu, 01 Jan 2026 12:00:00 +0000\r\n\r\nOk\r\n")
    [row] = put_away(alice, [10], conversations=True)
    wake_all([row])
    row.refresh_from_db()
    back = {item["back"] for item in row.messages}
    with service_mail(ALICE) as mail:
        page = mail.conversation_page("INBOX", 1, 50)
        page, _notes = woken.on_top(mail, alice, page, {**QUERY, "threads": True},
                                    SearchQuery())
    top = page.messages[0]
    assert (top.subject, top.thread_size, top.thread_unread) == ("Re: Message 10", 2, 2)
    assert sum(1 for m in page.messages if m.uid in back) == 1


def test_a_woken_message_moved_away_by_the_user_is_done(alice, server):
    [row] = put_away(alice, [4])
    wake_all([row])
    row.refresh_from_db()
    with service_mail(ALICE) as mail:
        mail.move("INBOX", [row.messages[0]["back"]], "Projects")
    page, _notes = first_page(alice)
    assert page.messages[0].uid == 120
    assert Snooze.objects.get(pk=row.pk).state == State.DONE


# --- times --------------------------------------------------------------------------------
def _at(text):
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


@pytest.mark.parametrize("now, expected", [
    # Wednesday morning: all four.
    ("2026-12-02 09:30", [("Later today", "2026-12-02 18:00"), ("Tomorrow", "2026-12-03 08:00"),
                          ("This weekend", "2026-12-05 08:00"), ("Next week", "2026-12-07 08:00")]),
    # Wednesday at 17:00: later today is no longer offered.
    ("2026-12-02 17:00", [("Tomorrow", "2026-12-03 08:00"), ("This weekend", "2026-12-05 08:00"),
                          ("Next week", "2026-12-07 08:00")]),
    # Friday evening: tomorrow is the weekend.
    ("2026-12-04 20:00", [("Tomorrow", "2026-12-05 08:00"), ("Next week", "2026-12-07 08:00")]),
    # Saturday: the next weekend; Sunday: tomorrow is next week.
    ("2026-12-05 10:00", [("Later today", "2026-12-05 18:00"), ("Tomorrow", "2026-12-06 08:00"),
                          ("Next weekend", "2026-12-12 08:00"), ("Next week", "2026-12-07 08:00")]),
    ("2026-12-06 18:00", [("Tomorrow", "2026-12-07 08:00"), ("Next weekend", "2026-12-12 08:00")]),
])
def test_presets_are_later_today_tomorrow_the_weekend_and_next_week(now, expected):
    found = snooze.presets(_at(now), PARIS)
    assert [(p.label, p.at) for p in found] == [(label, _at(at)) for label, at in expected]
    assert found[0].value == _at(expected[0][1]).isoformat()


def test_presets_are_in_the_users_zone():
    now = datetime(2026, 12, 2, 12, 0, tzinfo=ZoneInfo("UTC"))
    tokyo = snooze.presets(now, ZoneInfo("Asia/Tokyo"))  # 21:00 there
    assert tokyo[0].label == "Tomorrow" and tokyo[0].at.utcoffset() == timedelta(hours=9)
    assert tokyo[0].shown == "Thu 3 Dec, 08:00"


NOW = _at("2026-12-02 09:30")


@pytest.mark.parametrize("until, local, expected", [
    ("2026-12-03T08:00:00+01:00", "", _at("2026-12-03 08:00")),
    ("pick", "2026-12-24T07:15", _at("2026-12-24 07:15")),
    ("", "2026-12-24T07:15", _at("2026-12-24 07:15")),
])
def test_the_chosen_time_is_a_presets_moment_or_the_picked_one_in_the_users_zone(
        until, local, expected):
    assert snooze.wake_time(until, local, PARIS, NOW) == expected


@pytest.mark.parametrize("until, local, words", [
    ("pick", "", "Choose when it should come back"),
    ("pick", "2026-12-02T09:00", "Wed 2 Dec, 09:00 has passed. Choose a later time"),
    ("2026-12-01T08:00:00+01:00", "", "has passed"),
    ("pick", "2028-01-01T08:00", "more than a year ahead"),
    ("pick", "next tuesday", "is not a date and time"),
])
def test_a_time_that_has_passed_or_is_not_one_is_refused_clearly(until, local, words):
    with pytest.raises(schedule.TimeRefused, match=words):
        snooze.wake_time(until, local, PARIS, NOW)
