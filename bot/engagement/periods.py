"""Report periods in words coordinators use: "this month", "last 30 days", "2026-11",
"2026-11-01..2026-11-15", "last month", the periods grants report on ("Q1 2027", "this quarter",
"FY2027": the federal fiscal year, October to September, "FY2027 Q1", "grant year 2027": a grant
year starting in a configurable month and named by the year it ends in), or a series.

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

EXAMPLES = (
    "`this month`, `last month`, `last 30 days`, `2026-11`, `November 2026`, `2026-11-01..2026-11-15`, `this year`, "
    "`Q1 2027`, `this quarter`, `FY2027` (October to September), `FY2027 Q1`, `grant year 2027`"
)
FISCAL_START_MONTH = 10  # the federal fiscal year begins in October

_MONTHS = {name.casefold(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.casefold(): number for number, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9
_LAST_N = re.compile(r"^(?:last|past)?\s*(\d{1,4})\s*(day|week)s?$")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
_MONTH_NAME = re.compile(r"^([a-z]+)\.?(?:\s+(\d{4}))?$")
_RANGE = re.compile(r"^(.+?)\s*(?:\.\.|\bto\b|–|—)\s*(.+)$")
_QUARTER = re.compile(r"^q([1-4])\s*(\d{4})$|^(\d{4})\s*q([1-4])$")
_FISCAL = re.compile(r"^(?:fy|fiscal year)\s*(\d{4}|\d{2})(?:\s*q([1-4]))?$")
_GRANT = re.compile(r"^(?:grant year|gy)\s*(\d{4})$")


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


def parse_period(
    text: str,
    now: datetime,
    timezone: str,
    series: Mapping[str, SeriesInfo] | None = None,
    *,
    grant_start_month: int = 7,
) -> Period:
    """Read a period as a coordinator types it.

    :param text: e.g. ``"last month"``, ``"2026-11"``, ``"peer-hour 2026-11"`` ("" means the last 30 days,
        or the whole series when only a series is named).
    :param now: the current time (aware).
    :param timezone: the community's zone; a named series brings its own.
    :param series: known series by id, so a report can be about one of them.
    :param grant_start_month: the month a grant year begins (``GRANT_YEAR_START_MONTH``).
    :raises PeriodError: with examples of what works.
    """
    words = " ".join(text.casefold().replace(",", " ").split())
    chosen, words = _take_series(words, series or {})
    zone = chosen.timezone if chosen else timezone
    today = now.astimezone(ZoneInfo(zone)).date()
    if not words:
        if chosen and chosen.first_day:
            if chosen.first_day > today:
                raise PeriodError(
                    f"*{chosen.title}* has had no session yet: its first is on {_short(chosen.first_day)}, "
                    f"{chosen.first_day.year}. A series report covers its sessions so far."
                )
            start, end, name = chosen.first_day, today + timedelta(days=1), "Sessions so far"
        else:
            start, end, name = _last_days(today, DEFAULT_DAYS)
    else:
        try:
            start, end, name = _days_of(words, today, grant_start_month)
        except PeriodError as error:
            if series and not chosen and "can't read" in str(error):
                raise PeriodError(f"{error} Or name a series: {known_series(series)}.") from None
            raise
    if start > today:
        days = describe_days(start, max(end, start + timedelta(days=1)))
        raise PeriodError(f"*{days}* hasn't started yet, so there is nothing to report.")
    if end <= start:
        raise PeriodError("That range ends before it starts. Try e.g. `2026-11-01..2026-11-15`.")
    if end > today + timedelta(days=1):  # the part that has happened so far
        end = today + timedelta(days=1)
        name = f"{name}, to date" if name else ""
    if (end - start).days > MAX_DAYS:
        raise PeriodError(f"That period is longer than {MAX_DAYS // 366} years; please choose a shorter one.")
    return Period(start, end, zone, name, chosen.id if chosen else None, chosen.title if chosen else None)


def series_key(text: str) -> str:
    """A series id or title as it is matched: lower case, words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def _take_series(words: str, series: Mapping[str, SeriesInfo]) -> tuple[SeriesInfo | None, str]:
    """Pull a series out of the words: its id or its title (``peer-hour``, ``Peer Support Hour``),
    optionally after ``series`` or ``series:``; the longest match wins."""
    index: dict[str, SeriesInfo] = {}
    for key, info in series.items():
        index.setdefault(series_key(info.title), info)
    index |= {series_key(key): info for key, info in series.items()}  # an id wins over a title
    tokens = words.split()
    for length in range(len(tokens), 0, -1):
        for start in range(len(tokens) - length + 1):
            span = tokens[start : start + length]
            keyword = span[0] == "series" and length > 1
            candidate = series_key(" ".join(span[1:] if keyword else span).removeprefix("series:"))
            if candidate and (found := index.get(candidate)) is not None:
                before = tokens[:start]
                if before and before[-1] == "series":  # "series peer-hour" read from its second word
                    before = before[:-1]
                return found, " ".join(before + tokens[start + length :])
    for position, token in enumerate(tokens):
        if token.startswith("series:") or (token == "series" and position + 1 < len(tokens)):
            named = token.removeprefix("series:") or tokens[position + 1]
            raise PeriodError(f"There is no series called *{named}*. Series: {known_series(series)}.")
    return None, words


def known_series(series: Mapping[str, SeriesInfo]) -> str:
    """The series' ids, for a message: ```peer-hour` (Peer Support Hour)``, or "none yet"."""
    return ", ".join(f"`{key}` ({info.title})" for key, info in sorted(series.items())) or "none yet"


def _days_of(words: str, today: date, grant_start_month: int = 7) -> tuple[date, date, str]:
    """``(start, end, name)`` for the words of a period, before clipping to today."""
    if found := _grant_period(words, today, grant_start_month):
        return found
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
        first, last = _days_of(match[1], today, grant_start_month), _days_of(match[2], today, grant_start_month)
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


def _grant_period(words: str, today: date, grant_start_month: int) -> tuple[date, date, str] | None:
    """Quarters, federal fiscal years (and their quarters) and grant years, or None."""
    if words in ("this quarter", "last quarter"):
        quarter = (today.month - 1) // 3 - (1 if words == "last quarter" else 0)
        year, quarter = today.year + quarter // 4, quarter % 4 + 1
        return _months(year, 3 * quarter - 2, 3, f"Q{quarter} {year}")
    if words in ("this fiscal year", "this fy", "last fiscal year", "last fy"):
        year = _year_ending(today, FISCAL_START_MONTH) - (1 if words.startswith("last") else 0)
        return _months(year - 1, FISCAL_START_MONTH, 12, f"FY{year}")
    if words in ("this grant year", "last grant year"):
        year = _year_ending(today, grant_start_month) - (1 if words.startswith("last") else 0)
        return _grant_year(year, grant_start_month)
    if match := _QUARTER.match(words):
        quarter, year = (int(match[1]), int(match[2])) if match[1] else (int(match[4]), int(match[3]))
        return _months(year, 3 * quarter - 2, 3, f"Q{quarter} {year}")
    if match := _FISCAL.match(words):
        year = int(match[1]) if len(match[1]) == 4 else 2000 + int(match[1])
        if match[2]:
            quarter = int(match[2])
            return _months(year - 1, FISCAL_START_MONTH + 3 * (quarter - 1), 3, f"FY{year} Q{quarter}")
        return _months(year - 1, FISCAL_START_MONTH, 12, f"FY{year}")
    if match := _GRANT.match(words):
        return _grant_year(int(match[1]), grant_start_month)
    return None


def _year_ending(today: date, start_month: int) -> int:
    """The year a year starting in ``start_month`` ends in, for the one running ``today``."""
    return today.year + (1 if start_month > 1 and today.month >= start_month else 0)


def _grant_year(year: int, start_month: int) -> tuple[date, date, str]:
    """The grant year that ends in ``year`` (the calendar year when it starts in January)."""
    first_year = year - 1 if start_month > 1 else year
    return _months(first_year, start_month, 12, f"Grant year {year}")


def _months(year: int, month: int, count: int, name: str) -> tuple[date, date, str]:
    """``count`` whole months from ``month`` of ``year`` (``month`` may run past 12)."""
    first_year, first_month = year + (month - 1) // 12, (month - 1) % 12 + 1
    after = first_month - 1 + count
    start = _date(first_year, first_month, 1)
    return start, date(first_year + after // 12, after % 12 + 1, 1), name


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
