"""Helpers for the session tests: a series starting at an exact moment, written straight to SQLite."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.runtime import MIGRATION_SETS
from bot.sessions import core as sessions
from bot.sessions.core import Occurrence, Series
from bot.sessions.recurrence import ONCE, Recurrence, is_repeated, is_skipped
from bot.store import Store


def one_session(
    store: Store,
    starts_at: datetime,
    *,
    title: str = "Peer Support Hour",
    offsets: tuple[int, ...] = (1440, 15),
    channel: str | None = "C0PEER",
    link: str | None = "https://meet.example.org/peer",
    created: datetime | None = None,
    timezone: str = "America/New_York",
) -> Occurrence:
    """Save a one-off series whose only session starts at ``starts_at`` (to the second)."""
    local = starts_at.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    series = Series(
        id="",
        title=title,
        recurrence=Recurrence(ONCE, local, timezone),
        channel_id=channel,
        join_url=link,
        reminder_offsets=offsets,
    )
    saved = sessions.add_series(store, series, now=created or starts_at - timedelta(days=30), created_by="UCOORD1")
    occurrence = sessions.get_occurrence(store, saved.occurrence_id(starts_at))
    assert occurrence is not None
    return occurrence


def soon(seconds: float) -> datetime:
    """Now plus ``seconds``, in UTC, to the second."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)


def migrated(path: Path) -> Store:
    """A migrated store at ``path``."""
    store = Store(path)
    store.migrate(MIGRATION_SETS)
    return store


def next_clock_change(zone: str, clock_time: str, *, skipped: bool) -> date:
    """The next date from tomorrow on which ``clock_time`` (HH:MM) in ``zone`` doesn't exist
    (``skipped``) or comes twice: a spring-forward or fall-back night, whatever today is."""
    tz = ZoneInfo(zone)
    hour, minute = map(int, clock_time.split(":"))
    check = is_skipped if skipped else is_repeated
    day = datetime.now(UTC).date() + timedelta(days=1)
    for _ in range(800):
        if check(datetime.combine(day, time(hour, minute)), tz):
            return day
        day += timedelta(days=1)
    raise LookupError(f"{clock_time} in {zone} neither skipped nor repeated in two years")
