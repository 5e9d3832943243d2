"""The post-session pulse: one tap for "How useful was today?" (1 to 5) and an optional "one thing
I'll try", asked by DM of those who were there or said they were going.

Answers are anonymous. ``pulse_asked`` knows whom the bot asked about which session, so that
nobody is asked twice (by this process or another: the row is claimed before the DM goes) and
nobody answers twice; an answer itself (``pulse_answers``, ``pulse_tries``) keeps no member id,
only its session and its day, under a random id, so that neither its time nor its place among
the rows ties it to whoever was asked. Reports show the answers only in aggregate, and only
from ``threshold`` answers up.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import sqlite_utils

from bot.store import Store

migrations = sqlite_utils.Migrations("heart.pulse")

AFTER = timedelta(minutes=10)  # how long after a session ends the pulse goes out
WITHIN = timedelta(days=2)  # sessions that ended longer ago are not asked about (a restart catches up within it)
SCORES = (1, 2, 3, 4, 5)
MAX_TRY = 300  # characters in "one thing I'll try"


@migrations()
def create_pulse(db: sqlite_utils.Database) -> None:
    db["pulse_asked"].create(
        {"occurrence_id": str, "user_id": str, "answered": int, "tried": int},
        pk=("occurrence_id", "user_id"),
        defaults={"answered": 0, "tried": 0},
    )
    db["pulse_asked"].create_index(["user_id"])
    db["pulse_answers"].create({"id": int, "occurrence_id": str, "day": str, "usefulness": int}, pk="id")
    db["pulse_answers"].create_index(["occurrence_id"])
    db["pulse_tries"].create({"id": int, "occurrence_id": str, "day": str, "text": str}, pk="id")
    db["pulse_tries"].create_index(["occurrence_id"])


@dataclass(frozen=True)
class Due:
    """A member to ask about a session that has just ended."""

    occurrence_id: str
    title: str
    user_id: str


def due(store: Store, now: datetime) -> list[Due]:
    """Whom to ask now: for each session that ended between ``WITHIN`` and ``AFTER`` ago (not
    cancelled), the members who RSVP'd going or were marked present, not asked yet."""
    db = store.db
    if not {"occurrences", "rsvps", "series"} <= set(db.table_names()):
        return []
    window = {"lo": (now - WITHIN).timestamp(), "hi": (now - AFTER).timestamp()}
    marked = "union select occurrence_id, user_id from attendance_members" if db["attendance_members"].exists() else ""
    rows = db.execute(
        "select o.id, coalesce(nullif(o.topic, ''), s.title, o.series_id), p.user_id from occurrences o "
        "left join series s on s.id = o.series_id "
        f"join (select occurrence_id, user_id from rsvps where response = 'going' {marked}) p on p.occurrence_id = o.id "
        "where o.status != 'cancelled' and o.ends_at >= :lo and o.ends_at <= :hi "
        "and not exists (select 1 from pulse_asked a where a.occurrence_id = o.id and a.user_id = p.user_id) "
        "order by o.ends_at, p.user_id",
        window,
    ).fetchall()
    return [Due(occurrence_id, str(title), user_id) for occurrence_id, title, user_id in rows]


def claim(store: Store, occurrence_id: str, user_id: str) -> bool:
    """Claim the asking of one member about one session; False if it was claimed already."""
    with store.transaction() as db:
        cursor = db.execute(
            "insert or ignore into pulse_asked (occurrence_id, user_id) values (?, ?)", [occurrence_id, user_id]
        )
    return cursor.rowcount == 1


def answer(store: Store, occurrence_id: str, user_id: str, usefulness: int, *, now: datetime, zone: tzinfo) -> bool:
    """Keep one member's answer, anonymously; False when they were not asked or already answered."""
    if usefulness not in SCORES:
        return False
    with store.transaction() as db:
        cursor = db.execute(
            "update pulse_asked set answered = 1 where occurrence_id = ? and user_id = ? and answered = 0",
            [occurrence_id, user_id],
        )
        if cursor.rowcount != 1:
            return False
        row = {"id": _random_id(), "occurrence_id": occurrence_id, "day": _day(now, zone), "usefulness": usefulness}
        db["pulse_answers"].insert(row)
    store.erase_history()  # the write-ahead log orders it among the member's other writes
    return True


def add_try(store: Store, occurrence_id: str, user_id: str, text: str, *, now: datetime, zone: tzinfo) -> bool:
    """Keep one member's "one thing I'll try", anonymously; False when not asked, already given, or empty."""
    text = text.strip()[:MAX_TRY]
    if not text:
        return False
    with store.transaction() as db:
        cursor = db.execute(
            "update pulse_asked set tried = 1 where occurrence_id = ? and user_id = ? and tried = 0", [occurrence_id, user_id]
        )
        if cursor.rowcount != 1:
            return False
        db["pulse_tries"].insert({"id": _random_id(), "occurrence_id": occurrence_id, "day": _day(now, zone), "text": text})
    store.erase_history()
    return True


def forget_member(db: sqlite_utils.Database, user_id: str) -> int:
    """Remove whom the bot asked (the member's part), in the open transaction ``db``; answers stay,
    as they never named anyone."""
    if not db["pulse_asked"].exists():
        return 0
    return db.execute("delete from pulse_asked where user_id = ?", [user_id]).rowcount


def asked_about(store: Store, user_id: str) -> list[str]:
    """The sessions the member was asked about (their data, for the download; their answers are not theirs to link)."""
    if not store.db["pulse_asked"].exists():
        return []
    rows = store.db.execute("select occurrence_id from pulse_asked where user_id = ? order by 1", [user_id])
    return [occurrence_id for (occurrence_id,) in rows]


def _random_id() -> int:
    return secrets.randbelow(2**62) + 1


def _day(now: datetime, zone: tzinfo) -> str:
    return now.astimezone(zone).date().isoformat()
