"""Times and row ids that say no more than the day, for rows nobody may place in time.

An "anonymous to everyone" share-out keeps no member id, but a time to the second would
still name its author: the member's own lookups, RSVPs and views are stored with their id
a few seconds before. So such a row, and every event recorded without a member id (the
count of an anonymous share-out, a safety-net note, an anonymous check-in request), keeps
only its day.

**The day** is stored as 12:00 UTC on its date, the date it is in the community's time zone
(``HEART_TIMEZONE``). It reads back as that date without knowing any zone, and it falls
inside that date in every zone within 11 hours of UTC, so reports by day, in the
community's zone or a series' own, count it on its day.

**Row ids** would tell time too: SQLite gives a new row the largest id plus one, so a row's
id says which rows were written just before and after it, and those carry member ids and
times. A row kept to the day takes a negative id made of its day and a random number: such
rows sort by day, at random within the day, before every other row. Every other row is
given its id explicitly, one more than the largest positive id, so that its id never
depends on a day-kept row either (SQLite alone would count on from a negative id when no
positive one exists yet).
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, tzinfo

import sqlite_utils

DAY_SECONDS = 86_400
NOON = DAY_SECONDS // 2
# Ids of day-kept rows: BASE + day number * PER_DAY + a random number below PER_DAY. Their
# magnitude stays under 2**53, so they survive JSON and JavaScript numbers unchanged.
PER_DAY = 1 << 24
BASE = -(1 << 52)


def day_of(moment: datetime, zone: tzinfo) -> float:
    """The timestamp that stands for the day of ``moment`` in ``zone``: 12:00 UTC on that date."""
    return datetime.combine(moment.astimezone(zone).date(), time(12), UTC).timestamp()


def is_day(timestamp: float) -> bool:
    """True when ``timestamp`` stands for a day (see :func:`day_of`), not a moment."""
    return timestamp % DAY_SECONDS == NOON


def date_of(timestamp: float) -> date:
    """The date a day's timestamp stands for."""
    return datetime.fromtimestamp(timestamp, UTC).date()


def day_id(db: sqlite_utils.Database, table: str, day: float) -> int:
    """An id not used in ``table`` for a row kept to ``day``: negative, ordered by day, random within it."""
    while True:
        candidate = BASE + int(day // DAY_SECONDS) * PER_DAY + secrets.randbelow(PER_DAY)
        if db.execute(f"select 1 from [{table}] where rowid = ?", [candidate]).fetchone() is None:
            return candidate


def next_id(db: sqlite_utils.Database, table: str) -> int:
    """The id of the next row of ``table`` that keeps its time: one more than the largest positive id."""
    (largest,) = db.execute(f"select max(rowid) from [{table}]").fetchone()
    return max(largest or 0, 0) + 1
