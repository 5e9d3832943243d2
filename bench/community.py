"""A large synthetic community written straight into SQLite, in the schema the features'
own migrations create: series and their weekly sessions over two years, RSVPs,
subscriptions, share-outs with themes, and engagement events.

Rows are generated, never read from anywhere; only the columns the tables have are
filled, so the generator follows the schema as features add columns. Rows that keep only
their day (anonymous share-outs, events without a member id) are written as the bot writes
them: their day and a day-ordered id (``bot.coarse``).
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import coarse, events
from bot.config import PROJECT_ROOT
from bot.runtime import MIGRATION_SETS, load_content
from bot.store import Store

DAY = 86_400
SPAN_DAYS = 730  # two years of history, ending now
MEMBERS = 20_000
SERIES = ("peer-hour", "clinician-circle", "family-voices", "new-educators")
VISIBILITY_WEIGHTS = {"coordinators": 60, "channel_anonymous": 15, "channel_named": 15, "anonymous": 10}
ZONE = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class Community:
    """What was generated: counts, and how long it took."""

    path: Path
    shareouts: int
    events: int
    occurrences: int
    seconds: float


def build(path: Path, *, shareouts: int, event_count: int, seed: int = 5) -> Community:
    """Create ``path`` with the real migrations and fill it."""
    began = time.perf_counter()
    Store(path).migrate(MIGRATION_SETS)
    rng = random.Random(seed)
    content = load_content(PROJECT_ROOT / "content")
    now = time.time()
    start = now - SPAN_DAYS * DAY
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous = OFF")  # generated data: no need to survive a power cut
    connection.execute("BEGIN")
    series_rows = [
        {
            "id": sid,
            "title": sid.replace("-", " ").title(),
            "channel_id": "C0HEART",
            "timezone": "America/New_York",
            "duration_minutes": 60,
            "frequency": "weekly",
            "first_start": "2024-11-05T15:30:00",
            "reminder_offsets": "[1440, 15]",
            "status": "active",
            "source": "cli",
        }
        for sid in SERIES
    ]
    _insert(connection, "series", series_rows)
    sessions = [
        (f"{sid}-{week:03d}", sid, int(start + week * 7 * DAY + index * DAY + 15.5 * 3600))
        for index, sid in enumerate(SERIES)
        for week in range(SPAN_DAYS // 7 + 4)  # and a few weeks ahead
    ]
    _insert(
        connection,
        "occurrences",
        (
            {
                "id": oid,
                "series_id": sid,
                "starts_at": at,
                "ends_at": at + 3600,
                "topic": "",
                "status": "cancelled" if rng.random() < 0.05 else "scheduled",
            }
            for oid, sid, at in sessions
        ),
    )
    held = [(oid, at) for oid, _, at in sessions if at < now]
    _insert(
        connection,
        "rsvps",
        (
            {
                "occurrence_id": oid,
                "user_id": _member(rng),
                "response": "going" if rng.random() < 0.8 else "not_going",
                "updated_at": at - rng.randrange(DAY),
            }
            for oid, at in held
            for _ in range(30)
        ),
        or_ignore=True,
    )
    _insert(
        connection,
        "subscriptions",
        ({"series_id": rng.choice(SERIES), "user_id": f"U{n:07d}", "created_at": start} for n in range(2_000)),
        or_ignore=True,
    )
    sectors = [choice.id for choice in content.shareout.sectors]
    themes = [choice.id for choice in content.shareout.themes]
    ids: list[int] = []
    _insert(connection, "shareouts", _shareouts(rng, shareouts, held, sectors, start, now, ids))
    _insert(
        connection,
        "shareout_themes",
        (
            {"shareout_id": shareout_id, "theme": theme}
            for shareout_id in ids
            for theme in rng.sample(themes, rng.choice((0, 1, 1, 2, 3)))
        ),
    )
    entries = [entry.id for entry in content.glossary]
    sheets = [sheet.slug for sheet in content.tipsheets]
    _insert(connection, "events", _events(rng, event_count, entries, sheets, held, start, now))
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()
    return Community(path, shareouts, event_count, len(sessions), time.perf_counter() - began)


def _member(rng: random.Random) -> str:
    """A member id: a third of the time one of 500 regulars, otherwise anyone."""
    return f"U{rng.randrange(500 if rng.random() < 0.3 else MEMBERS):07d}"


def _day_kept(at: float, n: int) -> tuple[float, int]:
    """The day and a day-ordered id for the ``n``-th generated row that keeps only its day
    (``n`` below ``coarse.PER_DAY`` keeps the ids unique)."""
    day = coarse.day_of(datetime.fromtimestamp(at, UTC), ZONE)
    return day, coarse.BASE + int(day // coarse.DAY_SECONDS) * coarse.PER_DAY + n


def _shareouts(
    rng: random.Random, count: int, held: list, sectors: list[str], start: float, now: float, ids: list[int]
) -> Iterator[dict]:
    """Generated share-outs; their ids are appended to ``ids``."""
    visibilities = list(VISIBILITY_WEIGHTS)
    weights = list(VISIBILITY_WEIGHTS.values())
    for n in range(1, count + 1):
        if rng.random() < 0.7:
            occurrence, at = rng.choice(held)
            created = min(now, at + 3600 + rng.randrange(6 * 3600))
        else:
            occurrence, created = None, rng.uniform(start, now)
        visibility = rng.choices(visibilities, weights)[0]
        member = _member(rng)
        shareout_id = n
        if visibility == "anonymous":
            created, shareout_id = _day_kept(created, n)
        ids.append(shareout_id)
        yield {
            "id": shareout_id,
            "created_at": created,
            "occurrence_id": occurrence,
            "sector": rng.choice(sectors) if rng.random() < 0.8 else None,
            "visibility": visibility,
            "user_id": None if visibility == "anonymous" else member,
            "author_hash": f"{n:064x}" if visibility == "anonymous" else None,
            "text": f"generated reflection {n}: what helped, what got in the way, and what we will try next",
            "request_key": f"generated:{n}",
        }


def _events(
    rng: random.Random, count: int, entries: list[str], sheets: list[str], held: list, start: float, now: float
) -> Iterator[dict]:
    kinds = [
        (events.GLOSSARY_LOOKUP, 50),
        (events.TIPSHEET_VIEW, 15),
        (events.RSVP, 10),
        (events.PEERHOUR_VIEW, 10),
        (events.SHAREOUT, 10),
        (events.SUBSCRIBE, 3),
        (events.UNSUBSCRIBE, 1),
        (events.SAFETY_NET, 0.5),
        (events.CHECKIN_REQUEST, 0.5),
    ]
    names, weights = [kind for kind, _ in kinds], [weight for _, weight in kinds]
    misses = [f"generated miss {n}" for n in range(300)]
    for n in range(1, count + 1):
        kind = rng.choices(names, weights)[0]
        row = {"id": n, "at": rng.uniform(start, now), "kind": kind, "user_id": _member(rng)}
        row |= {"subject": None, "query": None, "hit": None}
        if kind == events.GLOSSARY_LOOKUP:
            hit = rng.random() < 0.85
            row |= {
                "subject": rng.choice(entries) if hit else None,
                "query": "generated query" if hit else rng.choice(misses),
                "hit": int(hit),
            }
        elif kind == events.TIPSHEET_VIEW:
            row["subject"] = rng.choice(sheets)
        elif kind in (events.RSVP, events.SHAREOUT):
            row["subject"] = rng.choice(held)[0]
            row["query"] = ("going" if rng.random() < 0.8 else "not_going") if kind == events.RSVP else None
        elif kind in (events.SUBSCRIBE, events.UNSUBSCRIBE):
            row["subject"] = rng.choice(SERIES)
        elif kind == events.SAFETY_NET:
            row["user_id"] = None
            row["at"], row["id"] = _day_kept(row["at"], n)
        yield row


def _insert(connection: sqlite3.Connection, table: str, rows: Iterable[dict], *, or_ignore: bool = False) -> None:
    """Insert ``rows``, keeping only the columns ``table`` has."""
    columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    used = [column for column in columns if column in first]
    sql = f"INSERT {'OR IGNORE ' if or_ignore else ''}INTO {table} ({', '.join(used)}) VALUES ({', '.join('?' * len(used))})"
    connection.executemany(sql, ([row.get(column) for column in used] for row in _chain(first, rows)))


def _chain(first: dict, rest: Iterator[dict]) -> Iterator[dict]:
    yield first
    yield from rest
