"""Attendance as coordinators record it: who was really there, not who said they would be.

A session's attendance is a headcount (people present, members of the workspace or not),
with the members a coordinator marked present. It comes three ways, from Slack and from the
command line alike:

* a headcount typed in;
* members marked present (the headcount rises to at least their number);
* the participants export of the meeting tool (CSV from Zoom or Teams): each person is counted
  once (by email, else by name), and matched to a member by email or by full name where one
  member, and only one, fits; the rest are counted, not named.

A session held before heart-bot was installed can be recorded too (:func:`record_past_session`):
it takes its place among its series' sessions with the status ``recorded``, which the
scheduler never reminds anyone of.

Reports show attendance only as counts, small ones hidden; the marks are a member's data,
downloaded and deleted with the rest of it (:func:`marks_of`, :func:`forget_member`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlite_utils

from bot.errors import HeartError
from bot.store import Store

migrations = sqlite_utils.Migrations("heart.attendance")

RECORDED = "recorded"  # the status of a session recorded after the fact
MAX_HEADCOUNT = 10_000


@migrations()
def create_attendance(db: sqlite_utils.Database) -> None:
    db["attendance"].create(
        {"occurrence_id": str, "headcount": int, "source": str, "recorded_by": str, "recorded_at": float},
        pk="occurrence_id",
        not_null={"headcount", "source"},
    )
    db["attendance_members"].create({"occurrence_id": str, "user_id": str}, pk=("occurrence_id", "user_id"))
    db["attendance_members"].create_index(["user_id"])


class AttendanceError(HeartError):
    """Attendance that cannot be recorded; the message says why, for the coordinator."""


@dataclass(frozen=True)
class Recorded:
    """A session's attendance after recording: the headcount, members marked present, and
    (from a participants file) how many people were matched to members and how many not."""

    occurrence_id: str
    headcount: int
    members_present: int
    matched: int = 0
    unmatched: int = 0


@dataclass(frozen=True)
class Participant:
    """One person in a meeting tool's participants export."""

    name: str
    email: str


# ------------------------------------------------------------------------- recording


def record(
    store: Store,
    occurrence_id: str,
    *,
    by: str,
    now: datetime,
    headcount: int | None = None,
    present: Iterable[str] = (),
    source: str = "headcount",
) -> Recorded:
    """Record a session's attendance: a new ``headcount`` (if given) and members ``present``
    (added to those marked before). The headcount is never below the members marked present.

    :raises AttendanceError: when the session does not exist, has not started, or the count is not sensible.
    """
    if headcount is not None and not 0 <= headcount <= MAX_HEADCOUNT:
        raise AttendanceError(f"A headcount is a whole number from 0 to {MAX_HEADCOUNT:,}.")
    with store.transaction() as db:
        _check_session(db, occurrence_id, now)
        db.conn.executemany(
            "insert or ignore into attendance_members (occurrence_id, user_id) values (?, ?)",
            [(occurrence_id, user) for user in dict.fromkeys(present) if user],
        )
        (marked,) = db.execute("select count(*) from attendance_members where occurrence_id = ?", [occurrence_id]).fetchone()
        row = db.execute("select headcount from attendance where occurrence_id = ?", [occurrence_id]).fetchone()
        count = max(marked, headcount if headcount is not None else (row[0] if row else 0))
        row = {"occurrence_id": occurrence_id, "headcount": count, "source": source, "recorded_by": by}
        db["attendance"].upsert({**row, "recorded_at": now.timestamp()}, pk="occurrence_id")
    return Recorded(occurrence_id, count, marked)


def record_participants(
    store: Store, occurrence_id: str, export: str, directory: Mapping[str, str], *, by: str, now: datetime
) -> Recorded:
    """Record attendance from a meeting tool's participants export (CSV text).

    :param directory: member ids by email and by full name (see :func:`directory_key`).
    """
    people = participants(export)
    if not people:
        raise AttendanceError(
            "I found no participants in that file. Export the participants list from Zoom or Teams as CSV "
            "and paste or pass it as it is."
        )
    matched = {user for person in people if (user := match(person, directory))}
    recorded = record(store, occurrence_id, by=by, now=now, headcount=len(people), present=matched, source="participants")
    return Recorded(occurrence_id, recorded.headcount, recorded.members_present, len(matched), len(people) - len(matched))


def record_past_session(
    store: Store, series_id: str, starts_at: datetime, *, duration_minutes: int = 60, now: datetime
) -> str:
    """Add a session of ``series_id`` held at ``starts_at`` (aware), before heart-bot knew of it;
    returns its id (the series' id and the local date, as the sessions feature names them).

    The sessions feature owns ``occurrences``; this adds one row there, with the status
    ``recorded`` so that nothing is scheduled for it.
    """
    if starts_at > now:
        raise AttendanceError("That session is still to come: only a session already held can be recorded.")
    with store.transaction() as db:
        found = db.execute("select timezone from series where id = ?", [series_id]).fetchone() if db["series"].exists() else None
        if found is None:
            raise AttendanceError(f"There is no series called *{series_id}*. `/heart help` lists them.")
        local_day = starts_at.astimezone(ZoneInfo(found[0] or "UTC")).date()
        occurrence_id = f"{series_id}:{local_day.isoformat()}"
        if db.execute("select 1 from occurrences where id = ?", [occurrence_id]).fetchone():
            return occurrence_id  # already there: recording attendance is what is left to do
        ends_at = starts_at + timedelta(minutes=duration_minutes)
        db.execute(
            "insert into occurrences (id, series_id, starts_at, ends_at, status, revision, scheduled_at, notify) "
            "values (?, ?, ?, ?, ?, 0, ?, 0)",
            [occurrence_id, series_id, int(starts_at.timestamp()), int(ends_at.timestamp()), RECORDED, now.timestamp()],
        )
    return occurrence_id


def _check_session(db: sqlite_utils.Database, occurrence_id: str, now: datetime) -> None:
    row = db.execute("select starts_at, status from occurrences where id = ?", [occurrence_id]).fetchone()
    if row is None:
        raise AttendanceError(f"There is no session *{occurrence_id}*. Choose one from the list, or record a past one.")
    if row[1] == "cancelled":
        raise AttendanceError("That session was cancelled, so nobody attended it.")
    if row[0] > now.timestamp():
        raise AttendanceError("That session hasn't started yet: record its attendance once it has.")


# ------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class HeldSession:
    """A session attendance can be recorded for."""

    id: str
    title: str
    starts_at: datetime  # aware, in the series' zone
    headcount: int | None  # as recorded so far

    @property
    def label(self) -> str:
        """``Dec 8 · Peer Support Hour`` (and what is recorded)."""
        recorded = f" · {self.headcount} recorded" if self.headcount is not None else ""
        return f"{self.starts_at:%b} {self.starts_at.day} · {self.title}{recorded}"


def held_sessions(store: Store, now: datetime, *, days: int = 120, limit: int = 100) -> list[HeldSession]:
    """Sessions held in the last ``days`` (not cancelled), newest first: those whose attendance can be recorded."""
    db = store.db
    if not {"occurrences", "series"} <= set(db.table_names()):
        return []
    rows = db.execute(
        "select o.id, coalesce(nullif(o.topic, ''), s.title, o.series_id), o.starts_at, coalesce(s.timezone, 'UTC'), a.headcount "
        "from occurrences o left join series s on s.id = o.series_id left join attendance a on a.occurrence_id = o.id "
        "where o.status != 'cancelled' and o.starts_at <= :now and o.starts_at >= :since order by o.starts_at desc limit :limit",
        {"now": now.timestamp(), "since": (now - timedelta(days=days)).timestamp(), "limit": limit},
    ).fetchall()
    return [
        HeldSession(occurrence_id, str(title), datetime.fromtimestamp(starts, ZoneInfo(zone)), headcount)
        for occurrence_id, title, starts, zone, headcount in rows
    ]


def headcounts(db: sqlite_utils.Database, occurrence_ids: Iterable[str]) -> dict[str, int]:
    """The recorded headcount of each of ``occurrence_ids`` that has one."""
    ids = list(occurrence_ids)
    if not ids or not db["attendance"].exists():
        return {}
    marks = ",".join("?" * len(ids))
    return dict(db.execute(f"select occurrence_id, headcount from attendance where occurrence_id in ({marks})", ids))


def marks_of(store: Store, user_id: str) -> list[str]:
    """The sessions a member was marked present at (their data, for the download)."""
    if not store.db["attendance_members"].exists():
        return []
    rows = store.db.execute("select occurrence_id from attendance_members where user_id = ? order by 1", [user_id])
    return [occurrence_id for (occurrence_id,) in rows]


def forget_member(db: sqlite_utils.Database, user_id: str) -> int:
    """Remove a member's marks, in the open transaction ``db``; the headcounts stay (they name nobody)."""
    if not db["attendance_members"].exists():
        return 0
    return db.execute("delete from attendance_members where user_id = ?", [user_id]).rowcount


# ------------------------------------------------------------------------- participants files

# Column names, lower-cased, as Zoom and Teams write them.
_NAME_COLUMNS = ("name (original name)", "name", "full name", "participant", "display name", "user name")
_EMAIL_COLUMNS = ("user email", "email", "email address", "participant id (upn)", "upn")
_SECTION = re.compile(r"^\s*\d+\.\s+\S")


def participants(export: str) -> list[Participant]:
    """The distinct people in a Zoom or Teams participants export (CSV or tab-separated, with the
    summary lines Teams puts above the table), each once: by email, else by name."""
    lines = export.lstrip("\ufeff").splitlines()
    dialect = "excel-tab" if any("\t" in line for line in lines[:20]) else "excel"
    rows = list(csv.reader(io.StringIO("\n".join(lines)), dialect=dialect))
    header_at = next((n for n, row in enumerate(rows) if _column(row, _NAME_COLUMNS) is not None), None)
    if header_at is None:
        return []
    header = rows[header_at]
    name_at, email_at = _column(header, _NAME_COLUMNS), _column(header, _EMAIL_COLUMNS)
    found: dict[str, Participant] = {}
    for row in rows[header_at + 1 :]:
        if not any(cell.strip() for cell in row) or _SECTION.match(row[0]):
            break  # the table ends at a blank line or at Teams' next section ("3. In-Meeting Activities")
        if name_at is None or len(row) <= name_at:
            continue
        name = re.sub(r"\s*\(.*\)$", "", row[name_at]).strip()  # Zoom: "Name (Original Name)"
        email = row[email_at].strip().casefold() if email_at is not None and len(row) > email_at else ""
        if "@" not in email:
            email = ""
        if not (name or email):
            continue
        found.setdefault(email or directory_key(name), Participant(name, email))
    return list(found.values())


def _column(row: list[str], names: tuple[str, ...]) -> int | None:
    cells = [cell.strip().casefold() for cell in row]
    return next((cells.index(name) for name in names if name in cells), None)


def directory_key(name: str) -> str:
    """A name as it is matched: accents, case, punctuation and spacing ignored."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", plain.casefold()).split())


def build_directory(members: Iterable[tuple[str, Iterable[str], str]]) -> dict[str, str]:
    """Member ids by email and by each of their names, from ``(user_id, names, email)``; a name
    that two members share matches neither (a guess could name the wrong person)."""
    directory: dict[str, str] = {}
    ambiguous: set[str] = set()
    for user_id, names, email in members:
        if email:
            directory[email.casefold()] = user_id
        for name in {directory_key(n) for n in names if n and " " in n.strip()}:
            if directory.get(name, user_id) != user_id:
                ambiguous.add(name)
            directory[name] = user_id
    return {key: user for key, user in directory.items() if key not in ambiguous}


_ID_COLUMNS = ("user_id", "userid", "user id", "id")
_DIRECTORY_NAME_COLUMNS = ("fullname", "full name", "real_name", "real name", "name", "displayname", "display name")


def directory_from_csv(text: str) -> dict[str, str]:
    """A directory from a CSV of members (Slack's member export, or any file with a user id column
    and name or email columns)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or _column(rows[0], _ID_COLUMNS) is None:
        raise AttendanceError("The members file needs a header with a user id column (userid) and names or emails.")
    header = [cell.strip().casefold() for cell in rows[0]]
    id_at = _column(rows[0], _ID_COLUMNS)
    names_at = [header.index(name) for name in _DIRECTORY_NAME_COLUMNS if name in header]
    email_at = _column(rows[0], _EMAIL_COLUMNS)
    members = []
    for row in rows[1:]:
        if id_at is not None and len(row) > id_at and row[id_at].strip():
            names = [row[n] for n in names_at if n < len(row)]
            email = row[email_at].strip() if email_at is not None and email_at < len(row) else ""
            members.append((row[id_at].strip(), names, email))
    return build_directory(members)


def match(person: Participant, directory: Mapping[str, str]) -> str | None:
    """The member a participant is, by email, else by full name; None when nobody fits."""
    return (person.email and directory.get(person.email)) or directory.get(directory_key(person.name)) or None
