"""Session times on a fixed clock, across the clock changes of 2026-11-01 and 2027-03-14 in
America/New_York: sessions keep their wall-clock time, reminders keep theirs. A time the clocks
skip is refused; a time they pass twice is the first pass, and the coordinator is told so."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.runtime import MIGRATION_SETS
from bot.sessions import core as sessions
from bot.sessions import slots
from bot.sessions.core import Series, SessionError
from bot.sessions.form import InvalidForm, SessionForm, check_form, check_new_time
from bot.sessions.ics import ics
from bot.sessions.recurrence import BIWEEKLY, LAST, MONTHLY, ONCE, WEEKLY, Recurrence, before_start
from bot.store import Store

EASTERN = ZoneInfo("America/New_York")
OCTOBER = datetime(2026, 10, 1, tzinfo=UTC)
APRIL = datetime(2027, 4, 30, tzinfo=UTC)


def eastern(*args: int) -> datetime:
    return datetime(*args, tzinfo=EASTERN)


def local_times(recurrence: Recurrence, after: datetime = OCTOBER, before: datetime = APRIL) -> list[str]:
    return [f"{start.astimezone(EASTERN):%Y-%m-%d %H:%M %Z}" for start in recurrence.starts(after, before)]


def test_a_weekly_session_stays_at_3_30_pm_eastern_across_both_clock_changes():
    weekly = Recurrence(WEEKLY, datetime(2026, 10, 26, 15, 30), "America/New_York", until=date(2026, 11, 9))
    assert local_times(weekly) == ["2026-10-26 15:30 EDT", "2026-11-02 15:30 EST", "2026-11-09 15:30 EST"]
    utc_hours = [start.hour for start in weekly.starts(OCTOBER, APRIL)]
    assert utc_hours == [19, 20, 20]

    spring = Recurrence(WEEKLY, datetime(2027, 3, 8, 15, 30), "America/New_York", count=2)
    assert local_times(spring) == ["2027-03-08 15:30 EST", "2027-03-15 15:30 EDT"]


def test_monthly_on_the_2nd_tuesday_from_october_to_april():
    monthly = Recurrence(MONTHLY, datetime(2026, 10, 13, 15, 30), "America/New_York")
    assert local_times(monthly) == [
        "2026-10-13 15:30 EDT",
        "2026-11-10 15:30 EST",
        "2026-12-08 15:30 EST",
        "2027-01-12 15:30 EST",
        "2027-02-09 15:30 EST",
        "2027-03-09 15:30 EST",
        "2027-04-13 15:30 EDT",
    ]
    assert monthly.describe() == "Monthly on the 2nd Tuesday at 3:30 PM (America/New_York)"


def test_monthly_on_the_last_weekday_and_every_two_weeks_and_once():
    last_friday = Recurrence(MONTHLY, datetime(2026, 10, 30, 12, 0), "America/New_York", week_of_month=LAST, count=3)
    assert local_times(last_friday) == ["2026-10-30 12:00 EDT", "2026-11-27 12:00 EST", "2026-12-25 12:00 EST"]
    biweekly = Recurrence(BIWEEKLY, datetime(2026, 10, 25, 9, 0), "America/New_York", until=date(2026, 11, 22))
    assert local_times(biweekly) == ["2026-10-25 09:00 EDT", "2026-11-08 09:00 EST", "2026-11-22 09:00 EST"]
    once = Recurrence(ONCE, datetime(2027, 3, 14, 15, 30), "America/New_York")
    assert local_times(once) == ["2027-03-14 15:30 EDT"]


def test_the_window_is_exact_in_utc():
    weekly = Recurrence(WEEKLY, datetime(2026, 11, 2, 15, 30), "America/New_York")
    first = eastern(2026, 11, 2, 15, 30).astimezone(UTC)
    assert weekly.starts(first, first + timedelta(days=7)) == [first]
    assert weekly.starts(first + timedelta(seconds=1), first + timedelta(days=7)) == []


@pytest.mark.parametrize(
    "session, minutes, reminder",
    [
        # "1 day before" is 3:30 pm the day before: 25 hours across the fall clock change...
        (eastern(2026, 11, 1, 15, 30), 1440, eastern(2026, 10, 31, 15, 30)),
        # ...23 hours across the spring one,
        (eastern(2027, 3, 14, 15, 30), 1440, eastern(2027, 3, 13, 15, 30)),
        # and a quarter of an hour is always 15 real minutes.
        (eastern(2026, 11, 1, 15, 30), 15, eastern(2026, 11, 1, 15, 15)),
        (eastern(2027, 3, 14, 15, 30), 10080, eastern(2027, 3, 7, 15, 30)),
    ],
)
def test_reminders_keep_their_wall_clock_time_across_clock_changes(session, minutes, reminder):
    assert before_start(session.astimezone(UTC), minutes, EASTERN) == reminder.astimezone(UTC)


@pytest.fixture
def store(tmp_path) -> Store:
    store = Store(tmp_path / "heart.db")
    store.migrate(MIGRATION_SETS)
    return store


def test_slots_of_a_session_on_the_day_clocks_fall_back(store):
    series = Series(
        id="", title="Peer Support Hour", recurrence=Recurrence(ONCE, datetime(2026, 11, 1, 15, 30), "America/New_York")
    )
    saved = sessions.add_series(store, series, now=datetime(2026, 10, 20, tzinfo=UTC), created_by="UCOORD1")
    occurrence = sessions.upcoming(store, datetime(2026, 10, 20, tzinfo=UTC), series_id=saved.id)[0]
    due = {
        slot.kind: f"{slot.due_at.astimezone(EASTERN):%m-%d %H:%M %Z}"
        for slot in slots.slots_for(occurrence, saved.reminder_offsets)
    }
    assert due == {
        "reminder-1440": "10-31 15:30 EDT",
        "reminder-15": "11-01 15:15 EST",
        "starting": "11-01 15:30 EST",
        "shareout": "11-01 16:30 EST",
    }


def test_occurrences_are_created_120_days_ahead_and_again_as_time_passes(store):
    weekly = Series(id="", title="Weekly hour", recurrence=Recurrence(WEEKLY, datetime(2026, 11, 2, 15, 30), "America/New_York"))
    now = datetime(2026, 11, 1, tzinfo=UTC)
    saved = sessions.add_series(store, weekly, now=now, created_by="UCOORD1")
    found = sessions.occurrences_between(store, now, now + timedelta(days=400))
    assert len(found) == 17  # Mondays from 2026-11-02 to 2027-02-22: the next 120 days
    assert sessions.expand_all(store, now) == 0  # idempotent
    assert sessions.expand_all(store, now + timedelta(days=14)) == 2
    march = [o for o in sessions.occurrences_between(store, now, now + timedelta(days=400)) if o.starts_at.month == 3]
    assert {o.starts_at.astimezone(EASTERN).strftime("%H:%M") for o in march} == {"15:30"}
    assert all(o.id.startswith(f"{saved.id}:") for o in found)


# ----------------------------------------------------------------------------- times that don't exist

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def night_owls(day: str, time: str, zone: str, **fields: str) -> SessionForm:
    return SessionForm(title="Night owls", date=day, time=time, timezone=zone, **fields)


def test_2_30_am_on_the_spring_forward_night_is_refused_with_the_jump_named():
    with pytest.raises(InvalidForm) as refused:
        check_form(night_owls("2027-03-14", "02:30", "America/Los_Angeles"), now=NOW, default_timezone="America/New_York")
    assert refused.value.problems == {
        "time": "2:30 AM doesn't exist on Sunday, March 14, 2027 in America/Los_Angeles: the clocks jump from "
        "2:00 AM to 3:00 AM that night. Choose another time, such as 3:00 AM."
    }


@pytest.mark.parametrize(
    "zone, day, typed, jump, fine",
    [
        ("America/Los_Angeles", "2027-03-14", "02:00", "from 2:00 AM to 3:00 AM", ("01:59", "03:00")),
        ("America/New_York", "2027-03-14", "02:59", "from 2:00 AM to 3:00 AM", ("01:59", "03:00")),
        ("Europe/London", "2027-03-28", "01:15", "from 1:00 AM to 2:00 AM", ("00:59", "02:00")),
        ("Australia/Lord_Howe", "2027-10-03", "02:10", "from 2:00 AM to 2:30 AM", ("01:59", "02:30")),  # half an hour
    ],
)
def test_a_time_the_clocks_skip_is_refused_in_every_zone(zone, day, typed, jump, fine):
    with pytest.raises(InvalidForm) as refused:
        check_form(night_owls(day, typed, zone), now=NOW, default_timezone=zone)
    assert set(refused.value.problems) == {"time"}
    assert jump in refused.value.problems["time"] and zone in refused.value.problems["time"]
    for time in fine:  # the minutes on either side of the jump are fine
        assert check_form(night_owls(day, time, zone), now=NOW, default_timezone=zone).notes == ()


def test_a_repeating_series_whose_time_is_skipped_on_a_later_date_is_refused():
    weekly = night_owls("2027-02-28", "02:30", "America/Los_Angeles", repeat="weekly", count="4")
    with pytest.raises(InvalidForm) as refused:
        check_form(weekly, now=NOW, default_timezone="UTC")
    assert "doesn't exist on Sunday, March 14, 2027, the date of one of these sessions," in refused.value.problems["time"]
    two_before_the_change = night_owls("2027-02-28", "02:30", "America/Los_Angeles", repeat="weekly", count="2")
    assert check_form(two_before_the_change, now=NOW, default_timezone="UTC")


def test_1_30_am_on_the_fall_back_night_is_the_first_pass_and_the_form_says_so(tmp_path):
    checked = check_form(night_owls("2027-11-07", "01:30", "America/New_York"), now=NOW, default_timezone="UTC")
    assert checked.notes == (
        "1:30 AM comes twice on Sunday, November 7, 2027 in America/New_York, as the clocks go back that night: "
        "the session starts at the first 1:30 AM (EDT), not the second (EST).",
    )
    store = Store(tmp_path / "heart.db")
    store.migrate(MIGRATION_SETS)
    saved = sessions.add_series(store, checked.series, now=NOW, created_by="cli")
    occurrence = sessions.upcoming(store, NOW, series_id=saved.id)[0]
    assert occurrence.starts_at == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # 1:30 EDT, UTC-4
    # The calendar file means the same 1:30 (RFC 5545 reads a repeated local time as its first pass).
    event = Calendar.from_ical(ics(occurrence, deployment="test", now=NOW)).walk("VEVENT")[0]
    assert event.decoded("dtstart").astimezone(UTC) == occurrence.starts_at
    # In a weekly series, the note names the one date where the time comes twice.
    weekly = check_form(night_owls("2027-10-03", "01:30", "America/New_York", repeat="weekly"), now=NOW, default_timezone="UTC")
    assert len(weekly.notes) == 1 and "Sunday, November 7, 2027" in weekly.notes[0] and "that session" in weekly.notes[0]
    assert check_form(night_owls("2027-11-07", "15:30", "America/New_York"), now=NOW, default_timezone="UTC").notes == ()


def test_moving_a_session_to_a_time_the_clocks_skip_is_refused(store):
    series = Series(id="", title="Night owls", recurrence=Recurrence(ONCE, datetime(2027, 3, 10, 15, 30), "America/Los_Angeles"))
    saved = sessions.add_series(store, series, now=NOW, created_by="cli")
    occurrence_id = sessions.upcoming(store, NOW, series_id=saved.id)[0].id
    with pytest.raises(InvalidForm) as refused:
        check_new_time("2027-03-14", "02:30", "America/Los_Angeles")
    assert "doesn't exist on Sunday, March 14, 2027" in refused.value.problems["time"]
    with pytest.raises(SessionError, match="2:30 AM doesn't exist on Sunday, March 14, 2027"):
        sessions.move_occurrence(store, occurrence_id, datetime(2027, 3, 14, 2, 30), by="cli", now=NOW)
    moved = sessions.move_occurrence(store, occurrence_id, datetime(2027, 3, 14, 3, 30), by="cli", now=NOW)
    assert moved.starts_at == datetime(2027, 3, 14, 10, 30, tzinfo=UTC)  # 3:30 PDT


def test_a_first_session_more_than_two_years_away_is_taken_for_a_mistyped_year():
    with pytest.raises(InvalidForm) as refused:
        check_form(night_owls("2208-03-01", "15:30", "America/New_York"), now=NOW, default_timezone="UTC")
    assert refused.value.problems == {"date": "2208-03-01 is more than two years away: check the year."}
    assert check_form(night_owls("2028-09-06", "15:30", "America/New_York"), now=NOW, default_timezone="UTC")
    # The last evening of the calendar is past the year 9999 in UTC: refused, not a crash.
    with pytest.raises(InvalidForm, match="more than two years away"):
        check_form(night_owls("9999-12-31", "23:30", "America/New_York"), now=None, default_timezone="UTC")
    with pytest.raises(InvalidForm, match="more than two years away"):
        check_new_time("9999-12-31", "23:30", "America/New_York")
