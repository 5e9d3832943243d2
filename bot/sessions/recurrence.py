"""When a series' sessions fall: one-off, weekly, every two weeks, or monthly on the nth weekday.

Times are wall-clock times in the series' own time zone, expanded with ``dateutil.rrule``
on naive local times and only then given the zone, so a 3:30 pm Eastern session is
3:30 pm Eastern in November and in March alike (its UTC time moves, its local time
does not). Everything this module returns is an aware UTC ``datetime``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil import rrule

UTC = dt.UTC
ONCE, WEEKLY, BIWEEKLY, MONTHLY = "once", "weekly", "biweekly", "monthly"
FREQUENCIES = (ONCE, WEEKLY, BIWEEKLY, MONTHLY)
LAST = -1  # week_of_month for "the last <weekday> of the month"
HORIZON = dt.timedelta(days=120)  # how far ahead occurrences are created
CLOCK_CHECK = dt.timedelta(days=400)  # a new series' dates checked for clock changes: a year and more
MINUTE = dt.timedelta(minutes=1)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", LAST: "last"}
_RRULE_DAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)


@dataclass(frozen=True)
class Recurrence:
    """How a series repeats.

    :param frequency: ``once``, ``weekly``, ``biweekly`` or ``monthly``.
    :param first_start: the first session's start, naive, as a wall clock in ``timezone`` reads it.
    :param timezone: an IANA zone name, e.g. ``America/New_York``.
    :param week_of_month: for ``monthly``: 1 to 4, or :data:`LAST`; the weekday is ``first_start``'s.
    :param until: no session after this local date (inclusive), or None.
    :param count: at most this many sessions in all, or None.
    """

    frequency: str
    first_start: dt.datetime
    timezone: str
    week_of_month: int | None = None
    until: dt.date | None = None
    count: int | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def weekday(self) -> int:
        """Monday is 0."""
        return self.first_start.weekday()

    def _rule(self) -> rrule.rrule:
        until = dt.datetime.combine(self.until, dt.time.max) if self.until else None
        count = 1 if self.frequency == ONCE else self.count
        if self.frequency == MONTHLY:
            nth = self.week_of_month or week_of_month(self.first_start.date())
            return rrule.rrule(
                rrule.MONTHLY, dtstart=self.first_start, byweekday=_RRULE_DAYS[self.weekday](nth), until=until, count=count
            )
        interval = 2 if self.frequency == BIWEEKLY else 1
        return rrule.rrule(rrule.WEEKLY, dtstart=self.first_start, interval=interval, until=until, count=count)

    def starts(self, after: dt.datetime, before: dt.datetime) -> list[dt.datetime]:
        """Session starts (aware, UTC) from ``after`` (inclusive) to ``before`` (exclusive)."""
        tz = self.tz
        # Search a day wider in local time, then cut exactly in UTC: zone offsets are < 1 day.
        lo = after.astimezone(tz).replace(tzinfo=None) - dt.timedelta(days=1)
        hi = before.astimezone(tz).replace(tzinfo=None) + dt.timedelta(days=1)
        found = (to_utc(local, tz) for local in self._rule().between(lo, hi, inc=True))
        return [start for start in found if after <= start < before]

    def next_start(self, after: dt.datetime) -> dt.datetime | None:
        """The first session start (aware, UTC) from ``after`` on, however far ahead; None once
        the series is over."""
        tz = self.tz
        lo = after.astimezone(tz).replace(tzinfo=None) - dt.timedelta(days=1)  # as in starts()
        for local in self._rule().xafter(lo, inc=True):
            if (start := to_utc(local, tz)) >= after:
                return start
        return None

    def local_starts(self, within: dt.timedelta) -> list[dt.datetime]:
        """The sessions' starts as naive wall-clock times, from the first to ``within`` after it."""
        return self._rule().between(self.first_start, self.first_start + within, inc=True)

    def describe(self) -> str:
        """In words: "Monthly on the 2nd Tuesday at 3:30 PM (America/New_York), until 2027-06-30"."""
        at = f"at {clock(self.first_start)} ({self.timezone})"
        day = WEEKDAYS[self.weekday]
        if self.frequency == ONCE:
            return f"Once, on {day}, {self.first_start:%B} {self.first_start.day}, {self.first_start.year} {at}"
        if self.frequency == MONTHLY:
            nth = self.week_of_month or week_of_month(self.first_start.date())
            words = f"Monthly on the {ORDINALS[nth]} {day} {at}"
        else:
            words = f"{'Every two weeks' if self.frequency == BIWEEKLY else 'Weekly'} on {day}s {at}"
        if self.until:
            words += f", until {self.until.isoformat()}"
        if self.count:
            words += f", {self.count} sessions in all"
        return words


def week_of_month(day: dt.date) -> int:
    """Which of the month's weekdays ``day`` is: 1 to 4, or :data:`LAST` for a 5th."""
    nth = (day.day - 1) // 7 + 1
    return LAST if nth == 5 else nth


def is_last_of_month(day: dt.date) -> bool:
    """True when no later day of the month falls on the same weekday."""
    return (day + dt.timedelta(days=7)).month != day.month


def to_utc(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A naive wall-clock time in ``tz`` as aware UTC.

    As RFC 5545 reads such times (and so every calendar app): a time the clocks skip (2:30 am
    on the spring-forward night) reads as if the clocks had not changed yet, i.e. 3:30 am; a
    repeated one (1:30 am in November) as its first pass, before the clocks go back. Forms
    refuse the first (:func:`skipped_problem`) and say which the second means
    (:func:`repeated_note`).
    """
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def is_skipped(local: dt.datetime, tz: ZoneInfo) -> bool:
    """True for a wall-clock time that doesn't exist: the clocks jump over it (2:30 am on the
    spring-forward night in America/Los_Angeles)."""
    return to_utc(local, tz).astimezone(tz).replace(tzinfo=None) != local.replace(fold=0)


def is_repeated(local: dt.datetime, tz: ZoneInfo) -> bool:
    """True for a wall-clock time that happens twice: the clocks pass it again when they go back
    (1:30 am on the first Sunday of November in America/New_York)."""
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    return not is_skipped(local, tz) and first.utcoffset() != second.utcoffset()


def skipped_problem(local: dt.datetime, timezone: str, *, later: bool = False) -> str | None:
    """Why ``local`` can't start a session in ``timezone`` (the clocks skip it that night), or None.

    :param later: it is the date of a later session in a series, not the first.
    """
    tz = ZoneInfo(timezone)
    if not is_skipped(local, tz):
        return None
    gap_from = gap_to = local.replace(second=0, microsecond=0)
    while is_skipped(gap_from - MINUTE, tz):
        gap_from -= MINUTE
    while is_skipped(gap_to, tz):
        gap_to += MINUTE
    which = ", the date of one of these sessions," if later else ""
    if gap_to.date() == gap_from.date():
        resume, jump = clock(gap_to), f"{clock(gap_to)} {'that night' if gap_from.hour < 6 else 'that day'}"
    else:  # a whole day skipped (Samoa, 2011)
        resume = jump = f"{clock(gap_to)} on {day_text(gap_to)}"
    return (
        f"{clock(local)} doesn't exist on {day_text(local)}{which} in {timezone}: the clocks jump from "
        f"{clock(gap_from)} to {jump}. Choose another time, such as {resume}."
    )


def repeated_note(local: dt.datetime, timezone: str, *, later: bool = False) -> str | None:
    """Which of the two ``local`` times a session starts at when the clocks pass it twice, or None.

    :param later: it is the date of a later session in a series, not the first.
    """
    tz = ZoneInfo(timezone)
    if not is_repeated(local, tz):
        return None
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    session = "that session" if later else "the session"
    return (
        f"{clock(local)} comes twice on {day_text(local)} in {timezone}, as the clocks go back that night: "
        f"{session} starts at the first {clock(local)} ({first.tzname()}), not the second ({second.tzname()})."
    )


def clock_change_problem(recurrence: Recurrence) -> str | None:
    """The first of the series' dates (over :data:`CLOCK_CHECK`) on which its time doesn't exist, in words."""
    for index, local in enumerate(recurrence.local_starts(CLOCK_CHECK)):
        if problem := skipped_problem(local, recurrence.timezone, later=index > 0):
            return problem
    return None


def clock_change_notes(recurrence: Recurrence) -> list[str]:
    """What the series' time means on its first date (over :data:`CLOCK_CHECK`) where it comes twice."""
    for index, local in enumerate(recurrence.local_starts(CLOCK_CHECK)):
        if note := repeated_note(local, recurrence.timezone, later=index > 0):
            return [note]
    return []


def day_text(day: dt.date) -> str:
    """``Sunday, March 14, 2027``."""
    return f"{day:%A, %B} {day.day}, {day.year}"


def before_start(start: dt.datetime, minutes: int, tz: ZoneInfo) -> dt.datetime:
    """The moment ``minutes`` before ``start`` (aware), with whole days counted on the wall clock.

    "1 day before" a 3:30 pm session is 3:30 pm the day before even across a clock change
    (23 or 25 hours); the part of ``minutes`` under a day is counted in real minutes.
    """
    days, rest = divmod(minutes, 24 * 60)
    local = start.astimezone(tz).replace(tzinfo=None) - dt.timedelta(days=days)
    return to_utc(local, tz) - dt.timedelta(minutes=rest)


def clock(moment: dt.datetime) -> str:
    """``3:30 PM`` (no leading zero, whatever the platform's strftime supports)."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"
