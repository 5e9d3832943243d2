"""Report periods in words coordinators use: "this month", "last 30 days", "2026-11",
"2026-11-01..2026-11-15", "last month", or a series.

A period is a run of whole calendar days in one time zone (the community's, or the
series' own when a report is about one series), so an event at 23:30 on 30 November in
New York belongs to November even though it is 1 December in UTC. Periods never reach
past today: "this month" means the month so far, and its trend compares it with the
same number of days just before.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import HeartError

DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years: enough for any report, small enough for a day-by-day export

EXAMPLES = "`this month`, `last month`, `last 30 days`, `2026-11`, `November 2026`, `2026-11-01..2026-11-15`, `this year`"

_MONTHS = {name.casefold(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.casefold(): number for number, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9
_LAST_N = re.compile(r"^(?:last|past)?\s*(\d{1,4})\s*(day|week)s?$")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
_MONTH_NAME = re.compile(r"^([a-z]+)\.?(?:\s+(\d{4}))?$")
_RANGE = re.compile(r"^(.+?)\s*(?:\.\.|\bto\b|–|—)\s*(.+)$")


class PeriodError(HeartError):
    """A period the parser cannot read; the message says what it can."""


@dataclass(frozen=True)
class SeriesInfo:
    """What a period needs to know about a series: its name, zone and first session."""

    id: str
    title: str
    timezone: str
    first_day: date | None = None  # the local date of its first occurrence


@dataclass(frozen=True)
class Period:
    """Whole days ``[start_day, end_day)`` in ``timezone``, optionally about one series."""

    start_day: date
    end_day: date  # exclusive
    timezone: str
    name: str  # "November 2026", "Last 30 days", or "" when the dates say it all
    series_id: str | None = None
    series_title: str | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def start(self) -> datetime:
        """Midnight at the start of the first day, in the period's zone."""
        return datetime.combine(self.start_day, time(), self.tz)

    @property
    def end(self) -> datetime:
        """Midnight after the last day, in the period's zone (exclusive)."""
        return datetime.combine(self.end_day, time(), self.tz)

    @property
    def start_ts(self) -> float:
        """The start as UTC unix seconds, as the database stores times."""
        return self.start.timestamp()

    @property
    def end_ts(self) -> float:
        """The (exclusive) end as UTC unix seconds."""
        return self.end.timestamp()

    @property
    def days(self) -> int:
        """How many calendar days the period covers."""
        return (self.end_day - self.start_day).days

    @property
    def dates(self) -> str:
        """The first and last day, e.g. "Nov 1 – Nov 15, 2026"."""
        return describe_days(self.start_day, self.end_day)

    @property
    def label(self) -> str:
        """A heading for the report, e.g. "Peer Support Hour · November 2026 (Nov 1 – Nov 15, 2026)"."""
        name = f"{self.name} ({self.dates})" if self.name else self.dates
        return f"{self.series_title} · {name}" if self.series_title else name

    @property
    def before(self) -> str:
        """The period of the same length just before, in words: "the day before", "the 30 days before"."""
        return "the day before" if self.days == 1 else f"the {self.days} days before"

    def previous(self) -> Period:
        """The period of the same length just before this one (for the trend)."""
        start = self.start_day - timedelta(days=self.days)
        return replace(
            self, start_day=start, end_day=self.start_day, name=f"Previous {self.days} days" if self.days > 1 else "Previous day"
        )

    def day_starts(self) -> list[datetime]:
        """Midnight of each day in the period, in its zone (DST-safe: 23- and 25-hour days)."""
        return [datetime.combine(self.start_day + timedelta(days=n), time(), self.tz) for n in range(self.days)]


def describe_days(start: date, end: date) -> str:
    """Days ``[start, end)`` in a short human form."""
    last = end - timedelta(days=1)
    if start == last:
        return f"{_short(start)}, {start.year}"
    if start.year == last.year:
        return f"{_short(start)} – {_short(last)}, {last.year}"
    return f"{_short(start)}, {start.year} – {_short(last)}, {last.year}"


def _short(day: date) -> str:
    return f"{calendar.month_abbr[day.month]} {day.day}"


def parse_period(text: str, now: datetime, timezone: str, series: Mapping[str, SeriesInfo] | None = None) -> Period:
    """Read a period as a coordinator types it.

    :param text: e.g. ``"last month"``, ``"2026-11"``, ``"peer-hour 2026-11"`` ("" means the last 30 days,
        or the whole series when only a series is named).
    :param now: the current time (aware).
    :param timezone: the community's zone; a named series brings its own.
    :param series: known series by id, so a report can be about one of them.
    :raises PeriodError: with examples of what works.
    """
    words = " ".join(text.casefold().replace(",", " ").split())
    chosen, words = _take_series(words, series or {})
    zone = chosen.timezone if chosen else timezone
    today = now.astimezone(ZoneInfo(zone)).date()
    if not words:
        if chosen and chosen.first_day:
            start, end, name = chosen.first_day, today + timedelta(days=1), "All sessions"
        else:
            start, end, name = _last_days(today, DEFAULT_DAYS)
    else:
        start, end, name = _days_of(words, today)
    if start > today:
        raise PeriodError(f"*{describe_days(start, end)}* hasn't started yet, so there is nothing to report.")
    if end <= start:
        raise PeriodError("That range ends before it starts. Try e.g. `2026-11-01..2026-11-15`.")
    if end > today + timedelta(days=1):  # the part that has happened so far
        end = today + timedelta(days=1)
        name = f"{name}, to date" if name else ""
    if (end - start).days > MAX_DAYS:
        raise PeriodError(f"That period is longer than {MAX_DAYS // 366} years; please choose a shorter one.")
    return Period(start, end, zone, name, chosen.id if chosen else None, chosen.title if chosen else None)


def _take_series(words: str, series: Mapping[str, SeriesInfo]) -> tuple[SeriesInfo | None, str]:
    """Pull ``series ID`` (or a bare series id) out of the words."""
    tokens = words.split()
    for index, token in enumerate(tokens):
        is_keyword = token == "series" and index + 1 < len(tokens)
        candidate = tokens[index + 1] if is_keyword else token.removeprefix("series:")
        found = next((info for key, info in series.items() if key.casefold() == candidate), None)
        if found is not None:
            rest = tokens[:index] + tokens[index + (2 if is_keyword else 1) :]
            return found, " ".join(rest)
        if is_keyword or token.startswith("series:"):
            known = ", ".join(f"`{key}`" for key in sorted(series)) or "none yet"
            raise PeriodError(f"There is no series called *{candidate}*. Series: {known}.")
    return None, words


def _days_of(words: str, today: date) -> tuple[date, date, str]:
    """``(start, end, name)`` for the words of a period, before clipping to today."""
    if words in ("today", "yesterday"):
        day = today - timedelta(days=0 if words == "today" else 1)
        return day, day + timedelta(days=1), words.capitalize()
    if words in ("this week", "last week"):
        monday = today - timedelta(days=today.weekday()) - timedelta(weeks=1 if words == "last week" else 0)
        return monday, monday + timedelta(weeks=1), words.capitalize()
    if words in ("this month", "last month"):
        first = today.replace(day=1)
        if words == "last month":
            first = (first - timedelta(days=1)).replace(day=1)
        return _month(first.year, first.month)
    if words in ("this year", "last year"):
        return _year(today.year - (1 if words == "last year" else 0))
    if match := _LAST_N.match(words):
        count, unit = int(match[1]), match[2]
        if count < 1:
            raise PeriodError("A period needs at least one day.")
        return _last_days(today, count * (7 if unit == "week" else 1))
    if match := _RANGE.match(words):
        first, last = _days_of(match[1], today), _days_of(match[2], today)
        return first[0], last[1], ""
    if match := _YEAR.match(words):
        return _year(int(match[1]))
    if match := _MONTH.match(words):
        return _month(int(match[1]), int(match[2]))
    if match := _DAY.match(words):
        day = _date(int(match[1]), int(match[2]), int(match[3]))
        return day, day + timedelta(days=1), ""
    if (match := _MONTH_NAME.match(words)) and match[1] in _MONTHS:
        month = _MONTHS[match[1]]
        # A month without a year is the latest one that has begun.
        year = int(match[2]) if match[2] else (today.year if month <= today.month else today.year - 1)
        return _month(year, month)
    raise PeriodError(f"I can't read *{words[:60]}* as a period. Try one of: {EXAMPLES}.")


def _last_days(today: date, count: int) -> tuple[date, date, str]:
    return today - timedelta(days=count - 1), today + timedelta(days=1), f"Last {count} days"


def _month(year: int, month: int) -> tuple[date, date, str]:
    first = _date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    return first, after, f"{calendar.month_name[month]} {year}"


def _year(year: int) -> tuple[date, date, str]:
    return _date(year, 1, 1), date(year + 1, 1, 1), str(year)


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise PeriodError(f"{year:04d}-{month:02d}-{day:02d} is not a date on the calendar.") from None
