"""A session as people write it, and its checks: the Slack modal, the CLI and
``content/sessions.yml`` all fill in the same :class:`SessionForm`.

:func:`check_form` turns a form into a :class:`~bot.sessions.core.Series` or raises
:class:`InvalidForm` with one kind message per field (the field names are the modal's
block ids and the CLI's option names).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import HeartError
from bot.sessions.core import DEFAULT_OFFSETS, Series
from bot.sessions.recurrence import (
    BIWEEKLY,
    LAST,
    MONTHLY,
    ONCE,
    WEEKLY,
    Recurrence,
    clock_change_notes,
    clock_change_problem,
    is_last_of_month,
    skipped_problem,
    to_utc,
    week_of_month,
)

MAX_TITLE = 100
MAX_TOPIC = 200
MAX_DESCRIPTION = 1000
MAX_FACILITATOR = 100
MAX_LINK = 500
MAX_COUNT = 200
MAX_OFFSETS = 4
MAX_OFFSET_MINUTES = 30 * 24 * 60
MAX_AHEAD = dt.timedelta(days=2 * 366)  # a first session further off is a mistyped year
MONTHLY_LAST = "monthly-last"
REPEATS = {
    ONCE: "Once",
    WEEKLY: "Every week",
    BIWEEKLY: "Every two weeks",
    MONTHLY: "Every month, on the same weekday (e.g. 2nd Tuesday)",
    MONTHLY_LAST: "Every month, on the last of that weekday",
}
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")
_SERIES_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
_LINK = re.compile(r"^https?://[^\s<>|]+$")
_OFFSET = re.compile(r"^(\d+)\s*(w|d|h|m|min|minutes?|hours?|days?|weeks?)?$")
_UNITS = {"w": 10080, "d": 1440, "h": 60, "m": 1}


@dataclass(frozen=True)
class SessionForm:
    """A new series as typed: every field is text, nothing is checked yet."""

    title: str = ""
    date: str = ""  # the first session's date, YYYY-MM-DD
    time: str = ""  # its start, HH:MM (24-hour)
    timezone: str = ""
    duration: str = "60"  # minutes
    repeat: str = ONCE  # a key of REPEATS
    until: str = ""  # YYYY-MM-DD, optional
    count: str = ""  # how many sessions in all, optional
    channel: str = ""
    link: str = ""
    topic: str = ""  # the first session's topic
    description: str = ""
    facilitator: str = ""
    reminders: str = "1d,15m"  # offsets before the start: 1w, 1d, 2h, 15m, or minutes


@dataclass(frozen=True)
class CheckedForm:
    """A form that passed every check: the series (without an id yet), the first topic, and notes
    for the person who filled it in (which 1:30 AM is meant on a night the clocks go back)."""

    series: Series
    topic: str | None
    notes: tuple[str, ...] = ()


class InvalidForm(HeartError):
    """A form with problems; ``problems`` maps each field to a message for the person filling it in."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems.items()))


class _Problems(dict):
    """Collects the first problem of each field."""

    def __call__(self, name: str, message: str) -> None:
        self.setdefault(name, message)

    def raise_if_any(self) -> None:
        if self:
            raise InvalidForm(dict(self))


def check_form(form: SessionForm, *, now: dt.datetime | None, default_timezone: str, series_id: str = "") -> CheckedForm:
    """Check every field and build the series.

    :param now: refuse a first session that has already started (None: no such check, for content);
        a first session more than two years from ``now`` (or today) is refused as a mistyped year.
    :raises InvalidForm: listing every problem found.
    """
    problems = fail = _Problems()
    title = " ".join(form.title.split())
    if not title:
        fail("title", "Give the session a title.")
    elif len(title) > MAX_TITLE:
        fail("title", f"Keep the title to {MAX_TITLE} characters (it has {len(title)}).")
    zone = form.timezone.strip() or default_timezone
    if not _is_zone(zone):
        fail("timezone", f"{zone!r} is not a time zone; use a name like America/New_York.")
    day = _date(form.date, "date", fail, required=True)
    start_time = _time(form.time, fail)
    first_start = dt.datetime.combine(day, start_time) if day and start_time else None
    too_far = _too_far(day, now, fail)
    if first_start and now and not too_far and "timezone" not in problems and to_utc(first_start, ZoneInfo(zone)) <= now:
        fail("date", "That date and time have already passed: choose a time in the future.")
    duration = _whole(form.duration, "duration", fail, low=15, high=8 * 60, what="The length must be from 15 to 480 minutes.")
    repeat = form.repeat.strip().casefold() or ONCE
    if repeat not in REPEATS:
        fail("repeat", f"Choose how often it repeats: {', '.join(REPEATS)}.")
    until = _date(form.until, "until", fail, required=False)
    if until and day and until < day:
        fail("until", "The last date must be on or after the first session's date.")
    count = _whole(
        form.count, "count", fail, low=1, high=MAX_COUNT, what=f"The number of sessions must be from 1 to {MAX_COUNT}."
    )
    if repeat == MONTHLY_LAST and day and not is_last_of_month(day):
        fail("date", f"{day:%A, %B} {day.day} is not the last {day:%A} of its month.")
    channel = form.channel.strip()
    if channel and not _CHANNEL.match(channel):
        fail("channel", "That is not a channel id; it looks like C0123ABCD.")
    link = check_link(form.link, fail)
    topic = _text(form.topic, "topic", MAX_TOPIC, fail)
    description = _text(form.description, "description", MAX_DESCRIPTION, fail, keep_lines=True)
    facilitator = _text(form.facilitator, "facilitator", MAX_FACILITATOR, fail)
    offsets = parse_offsets(form.reminders, fail)
    if series_id and not _SERIES_ID.match(series_id):
        fail("id", "An id is lower-case letters, digits and hyphens (at most 48), like ne-peer-support-hour.")
    recurrence = None
    if first_start and not {"date", "timezone", "repeat"} & problems.keys():
        frequency = MONTHLY if repeat == MONTHLY_LAST else repeat
        nth = (LAST if repeat == MONTHLY_LAST else week_of_month(first_start.date())) if frequency == MONTHLY else None
        recurrence = Recurrence(
            frequency, first_start, zone, nth, until if frequency != ONCE else None, count if frequency != ONCE else None
        )
        if problem := clock_change_problem(recurrence):
            fail("time", problem)
    fail.raise_if_any()
    if recurrence is None:  # unreachable: a missing date, time, zone or repeat is a problem above
        raise InvalidForm({"date": "Choose a date and a time."})
    series = Series(
        id=series_id,
        title=title,
        recurrence=recurrence,
        duration_minutes=duration or 60,
        description=description,
        channel_id=channel or None,
        join_url=link,
        facilitator=facilitator,
        reminder_offsets=offsets,
    )
    return CheckedForm(series, topic, tuple(clock_change_notes(recurrence)))


def check_new_time(date_text: str, time_text: str, timezone: str | None = None) -> dt.datetime:
    """A moved session's new start as a naive wall-clock time (fields ``date`` and ``time``).

    :param timezone: the session's zone, to refuse a time its clocks skip that day.
    :raises InvalidForm: if either is missing or malformed, the date more than two years away, or
        the time doesn't exist that day.
    """
    fail = _Problems()
    day, start = _date(date_text, "date", fail, required=True), _time(time_text, fail)
    too_far = _too_far(day, None, fail)
    if day and start and timezone and not too_far and (problem := skipped_problem(dt.datetime.combine(day, start), timezone)):
        fail("time", problem)
    fail.raise_if_any()
    return dt.datetime.combine(day, start)  # type: ignore[arg-type]


def check_edit(topic: str, link: str) -> tuple[str | None, str | None]:
    """A session's topic and join link as edited (fields ``topic`` and ``link``).

    :raises InvalidForm: if the topic is too long or the link is not a web address.
    """
    fail = _Problems()
    checked = _text(topic, "topic", MAX_TOPIC, fail), check_link(link, fail)
    fail.raise_if_any()
    return checked


def check_series_edit(
    *,
    title: str | None = None,
    link: str | None = None,
    description: str | None = None,
    facilitator: str | None = None,
    reminders: str | None = None,
    channel: str | None = None,
) -> dict:
    """The fields of a series edit that were given (None: unchanged; "" clears, except the title),
    checked, as :func:`bot.sessions.core.edit_series` takes them.

    :raises InvalidForm: naming each field with a problem.
    """
    fail = _Problems()
    changes: dict = {}
    if title is not None:
        changes["title"] = " ".join(title.split())
        if not changes["title"] or len(changes["title"]) > MAX_TITLE:
            fail("title", f"A title is 1 to {MAX_TITLE} characters.")
    if link is not None:
        changes["join_url"] = check_link(link, fail)
    if description is not None:
        changes["description"] = _text(description, "description", MAX_DESCRIPTION, fail, keep_lines=True)
    if facilitator is not None:
        changes["facilitator"] = _text(facilitator, "facilitator", MAX_FACILITATOR, fail)
    if reminders is not None:
        changes["reminder_offsets"] = parse_offsets(reminders, fail)
    if channel is not None:
        changes["channel_id"] = channel.strip() or None
        if channel.strip() and not _CHANNEL.match(channel.strip()):
            fail("channel", "That is not a channel id; it looks like C0123ABCD.")
    fail.raise_if_any()
    return changes


def check_note(note: str) -> str | None:
    """A coordinator's note to members about a move or a cancellation (field ``note``)."""
    fail = _Problems()
    checked = _text(note, "note", MAX_TOPIC, fail)
    fail.raise_if_any()
    return checked


def check_link(value: str, fail: Callable[[str, str], None], name: str = "link") -> str | None:
    """A join link: empty, or an http(s) address Slack can show as a link."""
    link = value.strip()
    if not link:
        return None
    if len(link) > MAX_LINK or not _LINK.match(link):
        fail(name, "The link must be a web address starting with https:// (no spaces).")
        return None
    return link


def parse_offsets(value: str, fail: Callable[[str, str], None], name: str = "reminders") -> tuple[int, ...]:
    """``"1d, 15m"`` (or minutes: ``"1440,15"``) as minutes, latest first; "" for no reminders."""
    minutes: set[int] = set()
    for part in (p.strip().casefold() for p in value.split(",")):
        if not part:
            continue
        match = _OFFSET.match(part)
        amount = int(match.group(1)) * _UNITS[(match.group(2) or "m")[0]] if match else 0
        if not 1 <= amount <= MAX_OFFSET_MINUTES:
            fail(name, f"{part!r} is not a reminder time; write e.g. 1d, 2h or 15m (at most 30 days).")
            return DEFAULT_OFFSETS
        minutes.add(amount)
    if len(minutes) > MAX_OFFSETS:
        fail(name, f"Choose at most {MAX_OFFSETS} reminders.")
    return tuple(sorted(minutes, reverse=True))


def describe_offset(minutes: int) -> str:
    """``1 day``, ``2 hours``, ``15 minutes`` (the largest unit that divides evenly)."""
    for unit, size in (("week", 10080), ("day", 1440), ("hour", 60), ("minute", 1)):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{minutes} minutes"  # unreachable: every whole number divides by 1


def _too_far(day: dt.date | None, now: dt.datetime | None, fail: Callable[[str, str], None]) -> bool:
    """Refuse a date more than two years from ``now`` (or today): a mistyped year. True if refused."""
    if day and day > (now or dt.datetime.now(dt.UTC)).date() + MAX_AHEAD:
        fail("date", f"{day.isoformat()} is more than two years away: check the year.")
        return True
    return False


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _date(value: str, name: str, fail: Callable[[str, str], None], *, required: bool) -> dt.date | None:
    value = value.strip()
    if not value:
        if required:
            fail(name, "Choose a date.")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(name, f"{value!r} is not a date; write it as YYYY-MM-DD, like 2026-12-08.")
        return None


_CLOCK_24 = re.compile(r"^(\d{1,2}):(\d{2})$")
_CLOCK_12 = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\.?$")


def _time(value: str, fail: Callable[[str, str], None]) -> dt.time | None:
    """``13:00``, or as people say it: ``1pm``, ``1:30 PM``, ``12 a.m.``."""
    text = value.strip().casefold()
    hour = minute = -1
    if match := _CLOCK_24.match(text):
        hour, minute = int(match.group(1)), int(match.group(2))
    elif (match := _CLOCK_12.match(text)) and 1 <= int(match.group(1)) <= 12:
        hour = int(match.group(1)) % 12 + (12 if match.group(3) == "p" else 0)
        minute = int(match.group(2) or 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        fail("time", "Choose a start time, like 15:30 or 3:30pm.")
        return None
    return dt.time(hour, minute)


def _whole(value: str, name: str, fail: Callable[[str, str], None], *, low: int, high: int, what: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        fail(name, what)
        return None
    return int(value)


def _text(value: str, name: str, limit: int, fail: Callable[[str, str], None], *, keep_lines: bool = False) -> str | None:
    text = value.strip() if keep_lines else " ".join(value.split())
    if len(text) > limit:
        fail(name, f"Keep it to {limit} characters (it has {len(text)}).")
    return text or None
