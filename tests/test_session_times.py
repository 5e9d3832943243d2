"""Session times on a fixed clock, across the clock changes of 2026-11-01 and 2027-03-14 in
America/New_York: sessions keep their wall-clock time, reminders keep theirs."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.runtime import MIGRATION_SETS
from bot.sessions import core as sessions
from bot.sessions import slots
from bot.sessions.core import Series
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
