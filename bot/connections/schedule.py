"""When connections rounds start: once a month, on a day and at a time coordinators choose.

The default is the first Monday of each month at 10:00 in the community's time zone
(``HEART_TIMEZONE``). APScheduler's cron trigger does the calendar arithmetic; this module
only checks what a coordinator typed and says it back in words. Each round runs until the
next one starts, and its follow-up falls halfway through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.errors import HeartError

DEFAULT_DAY = "1st mon"
DEFAULT_TIME = "10:00"
WEEKDAYS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
ORDINALS = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth", "last": "last"}
_DAY = re.compile(r"^(?:(?P<nth>1st|2nd|3rd|4th|last) (?P<weekday>mon|tue|wed|thu|fri|sat|sun)|(?P<date>[1-9]|1[0-9]|2[0-8]))$")
_TIME = re.compile(r"^(?P<hour>[01]?[0-9]|2[0-3]):(?P<minute>[0-5][0-9])$")
DAY_HELP = 'a weekday of the month such as "1st mon", "2nd tue" or "last fri", or a date from 1 to 28'


class ScheduleError(HeartError):
    """A schedule a coordinator typed that heart-bot can't use; the message says what works."""


@dataclass(frozen=True)
class Schedule:
    """The monthly moment rounds start: ``day`` as APScheduler reads it, ``time`` as HH:MM, in ``timezone``."""

    day: str = DEFAULT_DAY
    time: str = DEFAULT_TIME
    timezone: str = "America/New_York"

    @property
    def trigger(self) -> CronTrigger:
        hour, minute = (int(part) for part in self.time.split(":"))
        return CronTrigger(day=self.day, hour=hour, minute=minute, timezone=ZoneInfo(self.timezone))

    def first_at_or_after(self, moment: datetime) -> datetime:
        """The first start at ``moment`` or later."""
        return self.trigger.get_next_fire_time(None, moment)

    def next_after(self, moment: datetime) -> datetime:
        """The first start strictly after ``moment``."""
        return self.trigger.get_next_fire_time(moment, moment)

    def latest_by(self, moment: datetime, within: timedelta) -> datetime | None:
        """The last start at ``moment`` or before, if it was no more than ``within`` ago."""
        found = None
        start = self.first_at_or_after(moment - within)
        while start is not None and start <= moment:
            found, start = start, self.next_after(start)
        return found

    def describe(self) -> str:
        """The schedule in words: "the first Monday of each month at 10:00 (America/New_York)"."""
        match = _DAY.match(self.day)
        if match and match["date"]:
            day = f"day {match['date']} of each month"
        elif match:
            day = f"the {ORDINALS[match['nth']]} {WEEKDAYS[match['weekday']]} of each month"
        else:
            day = self.day
        return f"{day} at {self.time} ({self.timezone})"


def check_schedule(day: str, time: str, timezone: str) -> Schedule:
    """A schedule from what a coordinator typed.

    :raises ScheduleError: naming what is wrong and what works.
    """
    day = " ".join(day.casefold().split())
    if not _DAY.match(day):
        raise ScheduleError(f"The day must be {DAY_HELP} (got {day!r}).")
    match = _TIME.match(time.strip())
    if not match:
        raise ScheduleError(f"The time must be HH:MM on a 24-hour clock, such as 10:00 or 15:30 (got {time!r}).")
    return Schedule(day, f"{int(match['hour']):02d}:{match['minute']}", timezone)


def follow_up_at(due: datetime, ends: datetime) -> datetime:
    """Halfway through a round that starts at ``due`` and ends at ``ends``."""
    return due + (ends - due) / 2
