"""Times for Send later, as the user reads and picks them (webmail/schedule.py): presets in
the user's zone, a picked wall-clock time read in the zone the browser posted, and times
refused in words."""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from webmail import schedule
from webmail.zones import zone_named

PARIS, TOKYO, NEW_YORK = (ZoneInfo("Europe/Paris"), ZoneInfo("Asia/Tokyo"),
                          ZoneInfo("America/New_York"))


def at(zone, *fields):
    return datetime(*fields, tzinfo=zone)


@pytest.mark.parametrize("now, expected", [
    # A Tuesday morning: later today, tomorrow, Monday.
    (at(PARIS, 2026, 12, 1, 9, 30), [("Later today", "Tue 1 Dec, 18:00"),
                                     ("Tomorrow morning", "Wed 2 Dec, 08:00"),
                                     ("Monday morning", "Mon 7 Dec, 08:00")]),
    # From 17:00 on, "later today" would be too soon.
    (at(PARIS, 2026, 12, 1, 17, 0), [("Tomorrow morning", "Wed 2 Dec, 08:00"),
                                     ("Monday morning", "Mon 7 Dec, 08:00")]),
    # On a Sunday, Monday morning is tomorrow morning: offered once.
    (at(PARIS, 2026, 12, 6, 20, 0), [("Tomorrow morning", "Mon 7 Dec, 08:00")]),
    # On a Monday, Monday morning is next week's.
    (at(PARIS, 2026, 12, 7, 7, 0), [("Later today", "Mon 7 Dec, 18:00"),
                                    ("Tomorrow morning", "Tue 8 Dec, 08:00"),
                                    ("Monday morning", "Mon 14 Dec, 08:00")]),
    # New Year's Eve: next year's dates carry their year.
    (at(PARIS, 2026, 12, 31, 10, 0), [("Later today", "Thu 31 Dec, 18:00"),
                                      ("Tomorrow morning", "Fri 1 Jan 2027, 08:00"),
                                      ("Monday morning", "Mon 4 Jan 2027, 08:00")]),
])
def test_presets_are_computed_in_the_users_zone(now, expected):
    found = schedule.presets(now.astimezone(timezone.utc), PARIS)
    assert [(p.label, p.shown) for p in found] == expected


def test_a_preset_is_the_same_moment_whatever_zone_reads_it():
    now = at(TOKYO, 2026, 12, 1, 9, 0)  # Tuesday morning in Tokyo, Monday night in Paris
    [today, tomorrow, _monday] = schedule.presets(now, TOKYO)
    assert today.value == "2026-12-01T18:00:00+09:00"
    assert datetime.fromisoformat(tomorrow.value) == at(TOKYO, 2026, 12, 2, 8, 0)
    assert schedule.chosen(tomorrow.value, "", PARIS, now) == at(TOKYO, 2026, 12, 2, 8, 0)


def test_presets_keep_the_wall_clock_across_a_change_of_summer_time():
    now = at(NEW_YORK, 2026, 3, 7, 12, 0)  # the Saturday before clocks go forward
    tomorrow = schedule.presets(now, NEW_YORK)[1]
    assert tomorrow.shown == "Sun 8 Mar, 08:00"
    assert tomorrow.value.endswith("-04:00")


def test_a_picked_time_is_read_in_the_zone_it_was_picked_in():
    now = at(PARIS, 2026, 12, 1, 9, 0)
    moment = schedule.chosen("", "2026-12-03T09:30", NEW_YORK, now)
    assert moment.astimezone(timezone.utc) == datetime(2026, 12, 3, 14, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("preset, local, problem", [
    ("", "", "Choose when to send it"),
    ("", "next tuesday", "“next tuesday” is not a date and time"),
    ("2026-12-03T08:00:00", "", "not a full time"),
    ("", "2026-12-01T08:59", "Tue 1 Dec, 08:59 has passed. Choose a later time; nothing was sent."),
    ("", "2027-12-02T09:00", "Thu 2 Dec 2027, 09:00 is more than a year ahead"),
])
def test_times_that_cannot_be_used_are_refused_in_words(preset, local, problem):
    with pytest.raises(schedule.TimeRefused) as refused:
        schedule.chosen(preset, local, PARIS, at(PARIS, 2026, 12, 1, 9, 0))
    assert problem in refused.value.message


def test_the_picker_runs_from_this_minute_to_a_year_ahead():
    low, high = schedule.picker_bounds(at(PARIS, 2026, 12, 1, 9, 0, 41), PARIS)
    assert (low, high) == ("2026-12-01T09:00", "2027-12-01T09:00")


@pytest.mark.parametrize("name, known", [
    ("Europe/Paris", True), ("UTC", True), ("Mars/Olympus_Mons", False), ("", False),
    ("../../etc/passwd", False), ("A" * 65, False), (None, False)])
def test_only_real_zone_names_are_zones(name, known):
    assert (zone_named(name) is not None) == known


def test_a_notice_names_its_held_message_and_the_seconds_left():
    held = SimpleNamespace(kind="undo", id="0b7c2b36-8a5f-4a55-9a3e-3b1f4f4a0c11",
                           send_at=at(PARIS, 2026, 12, 1, 9, 0, 10))
    tags = schedule.notice_tags(held)
    found = schedule.read_notice_tags(f"other {tags}", at(PARIS, 2026, 12, 1, 9, 0, 2))
    assert (found.kind, str(found.id), found.seconds) == ("undo", held.id, 8)
    assert schedule.read_notice_tags(tags, at(PARIS, 2026, 12, 1, 9, 1)).seconds == 0
    assert schedule.read_notice_tags("undoable", at(PARIS, 2026, 12, 1, 9)) is None
    assert schedule.read_notice_tags("held:undo:not-a-uuid:12", at(PARIS, 2026, 12, 1)) is None


def test_the_zone_read_from_the_browser_comes_before_the_remembered_one(settings):
    settings.TIME_ZONE = "UTC"
    remembered = SimpleNamespace(time_zone="Asia/Tokyo")
    request = SimpleNamespace(COOKIES={schedule.ZONE_COOKIE: "Europe%2FParis"}, user=None)
    with mock.patch.object(schedule, "preferences_for", return_value=remembered), \
            mock.patch.object(schedule, "effective", return_value=""):
        assert schedule.zone_for(request).key == "Europe/Paris"
        request.COOKIES = {schedule.ZONE_COOKIE: "Nowhere/Land"}
        assert schedule.zone_for(request).key == "Asia/Tokyo"
        remembered.time_zone = ""
        assert schedule.zone_for(request).key == "UTC"


def test_a_time_exactly_now_has_passed_and_one_a_year_ahead_is_allowed():
    now = at(PARIS, 2026, 12, 1, 9, 0)
    with pytest.raises(schedule.TimeRefused):
        schedule.check(now, PARIS, now)
    schedule.check(now + timedelta(days=365), PARIS, now)
