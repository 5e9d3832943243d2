"""Report periods as coordinators type them, in the community's (or the series') time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.engagement.periods import PeriodError, SeriesInfo, parse_period

NEW_YORK = "America/New_York"
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=ZoneInfo(NEW_YORK))
SERIES = {"peer-hour": SeriesInfo("peer-hour", "Peer Support Hour", "America/Chicago", date(2026, 3, 3))}


def days(text: str) -> tuple[str, str]:
    period = parse_period(text, NOW, NEW_YORK, SERIES)
    return period.start_day.isoformat(), period.end_day.isoformat()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", ("2026-10-17", "2026-11-16")),
        ("last 30 days", ("2026-10-17", "2026-11-16")),
        ("past 7 days", ("2026-11-09", "2026-11-16")),
        ("last 2 weeks", ("2026-11-02", "2026-11-16")),
        ("this month", ("2026-11-01", "2026-11-16")),
        ("last month", ("2026-10-01", "2026-11-01")),
        ("2026-11", ("2026-11-01", "2026-11-16")),
        ("2026-10", ("2026-10-01", "2026-11-01")),
        ("October 2026", ("2026-10-01", "2026-11-01")),
        ("dec", ("2025-12-01", "2026-01-01")),
        ("2026-11-01..2026-11-15", ("2026-11-01", "2026-11-16")),
        ("2026-09 to 2026-10", ("2026-09-01", "2026-11-01")),
        ("2026-11-03", ("2026-11-03", "2026-11-04")),
        ("this week", ("2026-11-09", "2026-11-16")),
        ("last week", ("2026-11-02", "2026-11-09")),
        ("yesterday", ("2026-11-14", "2026-11-15")),
        ("this year", ("2026-01-01", "2026-11-16")),
        ("2025", ("2025-01-01", "2026-01-01")),
        ("  Last   Month ", ("2026-10-01", "2026-11-01")),
    ],
)
def test_periods_read_as_written(text, expected):
    assert days(text) == expected


def test_boundaries_are_midnight_in_the_community_zone():
    period = parse_period("2026-11", datetime(2026, 12, 10, tzinfo=ZoneInfo(NEW_YORK)), NEW_YORK)
    late_november = datetime(2026, 11, 30, 23, 30, tzinfo=ZoneInfo(NEW_YORK)).timestamp()
    assert period.start_ts <= late_november < period.end_ts
    assert period.end.isoformat() == "2026-12-01T00:00:00-05:00"
    assert period.start.isoformat() == "2026-11-01T00:00:00-04:00"  # daylight time until Nov 1, 2 am


def test_a_month_in_progress_is_reported_to_date():
    period = parse_period("this month", NOW, NEW_YORK)
    assert period.label == "November 2026, to date (Nov 1 – Nov 15, 2026)"


def test_the_previous_period_has_the_same_length():
    period = parse_period("2026-10", NOW, NEW_YORK)
    previous = period.previous()
    assert (previous.start_day, previous.end_day) == (date(2026, 8, 31), date(2026, 10, 1))
    assert previous.days == period.days == 31


def test_days_across_a_clock_change_are_whole_local_days():
    period = parse_period("2026-11-01", NOW, NEW_YORK)
    assert period.end_ts - period.start_ts == 25 * 3600  # the day clocks fall back


def test_a_series_brings_its_own_time_zone():
    period = parse_period("series peer-hour 2026-10", NOW, NEW_YORK, SERIES)
    assert period.series_id == "peer-hour"
    assert period.timezone == "America/Chicago"
    assert period.start.isoformat() == "2026-10-01T00:00:00-05:00"
    assert period.label.startswith("Peer Support Hour · October 2026")


def test_a_series_alone_runs_from_its_first_session():
    assert days("peer-hour") == ("2026-03-03", "2026-11-16")


@pytest.mark.parametrize(
    "text, says",
    [
        ("someday", "can't read"),
        ("2026-02-30", "not a date"),
        ("2027-01", "hasn't started"),
        ("2026-11-10..2026-11-01", "ends before it starts"),
        ("series nope", "no series called"),
        ("last 0 days", "at least one day"),
        ("1900..2026", "shorter"),
    ],
)
def test_unreadable_periods_say_what_works(text, says):
    with pytest.raises(PeriodError) as error:
        parse_period(text, NOW, NEW_YORK, SERIES)
    assert says in str(error.value)
