"""A time to suggest to a pair: half an hour inside every member's working hours.

Working hours are 9:00 to 17:00, Monday to Friday, in each member's own Slack time zone.
The suggestion leaves a couple of days' notice, takes the first day on which everyone's
hours overlap by at least half an hour, and picks the middle of that overlap (so a pair
across three zones is not asked to meet at 9:00 for one of them and 16:30 for the other).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

WORK_STARTS, WORK_ENDS = time(9), time(17)
MEETING = timedelta(minutes=30)
NOTICE = timedelta(days=2)
LOOK_AHEAD = timedelta(days=14)
STEP = timedelta(minutes=30)


def suggest_meeting(zones: Sequence[ZoneInfo], after: datetime) -> datetime | None:
    """The suggested start (aware, UTC-comparable), or None when the zones never overlap by
    half an hour on a working day in the next two weeks.

    :param zones: each member's time zone.
    :param after: the introduction's time; the suggestion is at least :data:`NOTICE` later.
    """
    if not zones:
        return None
    slot = _next_half_hour(after + NOTICE)
    end = slot + LOOK_AHEAD
    day, found = None, []
    while slot < end:
        if all(_working(slot, zone) for zone in zones):
            date = slot.astimezone(zones[0]).date()
            if day is not None and date != day:
                break
            day = date
            found.append(slot)
        elif found and slot - found[-1] > timedelta(hours=12):
            break  # that day's overlap is over
        slot += STEP
    return found[(len(found) - 1) // 2] if found else None


def _working(start: datetime, zone: ZoneInfo) -> bool:
    """True when ``start`` and the half hour after it fall in working hours in ``zone``."""
    local = start.astimezone(zone)
    finish = (local + MEETING).time()
    return local.weekday() < 5 and local.time() >= WORK_STARTS and (finish <= WORK_ENDS and finish > WORK_STARTS)


def _next_half_hour(moment: datetime) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    extra = (-moment.minute) % 30
    return moment + timedelta(minutes=extra)
