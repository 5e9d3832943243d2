"""A small, hand-counted community for engagement tests: one series in New York, its
November 2026 sessions, RSVPs, share-outs and events, with boundaries on purpose.

Rows are written with the real migrations' tables. The expected figures for November
2026 are spelled out in :data:`NOVEMBER` so tests read as documentation.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlite_utils

from bot import events
from bot.engagement.report import Labels
from bot.runtime import MIGRATION_SETS
from bot.store import Store

NEW_YORK = ZoneInfo("America/New_York")
SERIES = "peer-hour"
SERIES_TITLE = "School Mental Health Peer Support Hour"
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=NEW_YORK)


def at(year: int, month: int, day: int, hour: int = 15, minute: int = 30) -> float:
    """Unix seconds of a New York wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK).timestamp()


def ensure_session_tables(db: sqlite_utils.Database) -> None:
    """The tables of CONTRACTS.md, for databases where the sessions feature has not made them."""
    db["series"].create(
        {"id": str, "title": str, "channel_id": str, "timezone": str, "duration_minutes": int, "status": str},
        pk="id",
        if_not_exists=True,
    )
    db["occurrences"].create(
        {"id": str, "series_id": str, "starts_at": int, "ends_at": int, "topic": str, "status": str}, pk="id", if_not_exists=True
    )
    db["occurrences"].create_index(["starts_at"], if_not_exists=True)
    db["occurrences"].create_index(["series_id", "starts_at"], if_not_exists=True)
    db["rsvps"].create(
        {"occurrence_id": str, "user_id": str, "response": str, "updated_at": float},
        pk=("occurrence_id", "user_id"),
        if_not_exists=True,
    )


def _insert(db: sqlite_utils.Database, table: str, row: dict) -> None:
    """Insert the columns the table has (the contract's, or the sessions feature's fuller ones)."""
    columns = db[table].columns_dict
    db[table].insert({key: value for key, value in row.items() if key in columns}, alter=False)


def add_series(db: sqlite_utils.Database, series_id: str, title: str, timezone: str = "America/New_York") -> None:
    _insert(
        db,
        "series",
        {
            "id": series_id,
            "title": title,
            "channel_id": "C0HEART",
            "timezone": timezone,
            "duration_minutes": 60,
            "frequency": "weekly",
            "first_start": "2026-10-27T15:30:00",
            "reminder_offsets": "[1440, 15]",
            "status": "active",
        },
    )


def add_session(
    db: sqlite_utils.Database, occurrence_id: str, starts_at: float, status: str = "scheduled", series_id: str = SERIES
) -> None:
    _insert(
        db,
        "occurrences",
        {
            "id": occurrence_id,
            "series_id": series_id,
            "starts_at": int(starts_at),
            "ends_at": int(starts_at) + 3600,
            "topic": "",
            "status": status,
        },
    )


def add_rsvp(db: sqlite_utils.Database, occurrence_id: str, user_id: str, response: str = "going") -> None:
    """An RSVP, made two days before the session, and its event (as the sessions feature records it)."""
    starts_at = db["occurrences"].get(occurrence_id)["starts_at"]
    made = starts_at - 2 * 86400
    db["rsvps"].insert({"occurrence_id": occurrence_id, "user_id": user_id, "response": response, "updated_at": made})
    add_event(db, made, "rsvp", user_id, occurrence_id, response)


_shareout_number = 0


def add_shareout(
    db: sqlite_utils.Database,
    created_at: float,
    *,
    user_id: str | None,
    occurrence_id: str | None = None,
    sector: str | None = "school-staff",
    visibility: str = "coordinators",
    themes: tuple[str, ...] = (),
    text: str | None = "A reflection",
) -> int:
    global _shareout_number
    _shareout_number += 1
    row = {
        "created_at": created_at,
        "occurrence_id": occurrence_id,
        "sector": sector,
        "visibility": visibility,
        "user_id": None if visibility == "anonymous" else user_id,
        "author_hash": f"hash-of-{user_id}" if visibility == "anonymous" else None,
        "text": text,
        "request_key": f"test-{_shareout_number}",
    }
    shareout_id = db["shareouts"].insert(row).last_pk
    for theme in themes:
        db["shareout_themes"].insert({"shareout_id": shareout_id, "theme": theme})
    add_event(db, created_at, events.SHAREOUT, row["user_id"], occurrence_id)
    return shareout_id


def add_event(
    db: sqlite_utils.Database,
    when: float,
    kind: str,
    user_id: str | None,
    subject: str | None = None,
    query: str | None = None,
    hit: bool | None = None,
) -> None:
    db["events"].insert(
        {
            "at": when,
            "kind": kind,
            "user_id": user_id,
            "subject": subject,
            "query": query,
            "hit": None if hit is None else int(hit),
        }
    )


# What November 2026 holds, counted by hand from :func:`build_community`.
NOVEMBER = {
    "sessions_held": 3,  # Nov 10, Nov 24, and Nov 30 at 23:30 New York (Dec 1 in UTC)
    "sessions_cancelled": 1,
    "rsvps_going": 6,  # 3 + 2 + 1; the cancelled session's RSVP does not count
    "rsvps_not_going": 2,
    "members_engaged": 10,  # UA UB UC UD UE UF UG UH UI, and UZ who RSVP'd on Nov 29 to a December session
    "repeat_participants": 3,  # UA (3 sessions), UB (2), UC (RSVP to one, share-out about another)
    "shareouts": 5,
    "glossary_lookups": 8,
    "glossary_misses": 4,
    "tipsheet_views": 3,
}
OCTOBER_TAIL = {"sessions_held": 1, "rsvps_going": 2, "shareouts": 1, "glossary_lookups": 1}  # Oct 2-31


def community_at(path: Path) -> Store:
    """A database at ``path``, migrated, holding the community described above."""
    store = Store(path)
    store.migrate(MIGRATION_SETS)
    build_community(store)
    return store


def build_community(store: Store) -> None:
    """Write the community described above into ``store`` (already migrated)."""
    db = store.db
    ensure_session_tables(db)
    with db.conn:
        add_series(db, SERIES, SERIES_TITLE)
        add_session(db, "oct-27", at(2026, 10, 27))
        add_session(db, "nov-10", at(2026, 11, 10))
        add_session(db, "nov-17", at(2026, 11, 17), status="cancelled")
        add_session(db, "nov-24", at(2026, 11, 24))
        add_session(db, "nov-30-late", at(2026, 11, 30, 23, 30))  # still November in New York
        add_session(db, "dec-01-early", at(2026, 12, 1, 0, 30))  # December
        for user in ("UA", "UB"):
            add_rsvp(db, "oct-27", user)
        for user, response in (("UA", "going"), ("UB", "going"), ("UC", "going"), ("UD", "not_going")):
            add_rsvp(db, "nov-10", user, response)
        for user, response in (("UA", "going"), ("UB", "going"), ("UE", "not_going")):
            add_rsvp(db, "nov-24", user, response)
        add_rsvp(db, "nov-30-late", "UA")
        add_rsvp(db, "nov-17", "UF")
        add_rsvp(db, "dec-01-early", "UZ")

        add_shareout(db, at(2026, 10, 28), user_id="UA", occurrence_id="oct-27", themes=("win",))
        add_shareout(db, at(2026, 11, 10, 17), user_id="UA", occurrence_id="nov-10", visibility="channel_named", themes=("win",))
        add_shareout(
            db,
            at(2026, 11, 11),
            user_id="USECRET",
            occurrence_id="nov-10",
            sector="school-clinician",
            visibility="anonymous",
            themes=("win",),
        )
        add_shareout(db, at(2026, 11, 12), user_id="UG", occurrence_id="nov-10", themes=("win",))
        add_shareout(db, at(2026, 11, 24, 17), user_id="UC", occurrence_id="nov-24", themes=("win", "barrier"))
        add_shareout(db, at(2026, 11, 30, 23, 30), user_id="UB", visibility="channel_anonymous", themes=("resource",))
        add_shareout(db, at(2026, 12, 1, 0, 10), user_id="UA", occurrence_id="nov-30-late")  # December

        for user in ("UA", "UB", "UC"):
            add_event(db, at(2026, 11, 5), events.GLOSSARY_LOOKUP, user, "trauma-informed-approach", "tic", True)
        add_event(db, at(2026, 11, 30, 23, 30), events.GLOSSARY_LOOKUP, "UH", "trauma-informed-approach", "tic", True)
        for user in ("UA", "UB", "UI"):
            add_event(db, at(2026, 11, 6), events.GLOSSARY_LOOKUP, user, None, "zoom fatigue", False)
        add_event(db, at(2026, 11, 7), events.GLOSSARY_LOOKUP, "UA", None, "ppt", False)
        add_event(db, at(2026, 10, 31, 23, 30), events.GLOSSARY_LOOKUP, "UOCT", None, "october", False)
        add_event(db, at(2026, 12, 1, 0, 5), events.GLOSSARY_LOOKUP, "UDEC", None, "december", False)
        for user in ("UA", "UB", "UC"):
            add_event(db, at(2026, 11, 8), events.TIPSHEET_VIEW, user, "staff-wellness")
        add_event(db, at(2026, 11, 24, 17), events.SAFETY_NET, None)


# Names for the ids the community uses, as the content would give them.
LABELS = Labels(
    sectors={
        "school-staff": "School staff",
        "school-clinician": "School-based clinician",
        "lived-experience": "Family or lived experience",
    },
    themes={"win": "A win", "barrier": "A barrier", "resource": "A resource to share"},
    entries={"trauma-informed-approach": "Trauma-informed approach"},
    tipsheets={"staff-wellness": "Staff Wellness"},
)
