"""Engagement events: what members look up and do, recorded without blocking the ack.

An event holds a kind, a member id, a time and, for lookups, the normalized query and
the entry it found. It never holds free text a member typed beyond the normalized
glossary query, which is what coordinators need to see what the glossary is missing.

An event without a member id (the count of an "anonymous to everyone" share-out, a
safety-net note, an anonymous check-in request) keeps only its day and a day-ordered id
(:mod:`bot.coarse`): to the second, it would stand beside the same member's named events
and say who it was. Once one is written, the write-ahead log is emptied, so no record of
which writes came just before and after it stays on disk.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

import sqlite_utils
from sqlite_utils import Migrations

from bot import coarse
from bot.store import Store

log = logging.getLogger(__name__)

migrations = Migrations("heart.events")


@migrations()
def create_events(db) -> None:
    db["events"].create(
        {
            "id": int,
            "at": float,
            "kind": str,
            "user_id": str,
            "subject": str,
            "query": str,
            "hit": int,
        },
        pk="id",
        not_null={"at", "kind"},
    )
    db["events"].create_index(["kind", "at"])
    db["events"].create_index(["at", "user_id"])


GLOSSARY_LOOKUP = "glossary_lookup"
TIPSHEET_VIEW = "tipsheet_view"
SHAREOUT = "shareout"  # user_id NULL for "anonymous to everyone" (at: its day); subject = occurrence id or NULL
SAFETY_NET = "safety_net"  # a count only: no user id, no text, its day
CHECKIN_REQUEST = "checkin_request"  # user_id only when the member chose to give their name (else its day)
RSVP = "rsvp"  # subject = occurrence id; query = 'going' or 'not_going'
SUBSCRIBE = "subscribe"  # subject = series id (DM reminders on; query "session": for one session only)
UNSUBSCRIBE = "unsubscribe"  # subject = series id (DM reminders off)
PEERHOUR_VIEW = "peerhour_view"  # someone looked at the upcoming sessions
CONNECT = "connect"  # monthly connections; subject = join, update, pause, resume, skip, unskip, leave or answer


@dataclass(frozen=True)
class Event:
    """One thing a member did. ``subject`` is an entry id, sheet slug or similar."""

    kind: str
    user_id: str | None
    subject: str | None = None
    query: str | None = None
    hit: bool | None = None
    at: float = field(default_factory=time.time)


class EventRecorder:
    """Writes events on a background thread, in batches, so handlers never wait on disk.

    ``record`` only puts the event on a queue. ``flush`` waits until everything queued
    so far is committed (tests and shutdown use it).
    """

    BATCH = 500
    # How long a batch waits for more events: under load, one commit (one disk sync, one
    # lock hold) then carries many events instead of each request's own.
    LINGER = 0.05

    def __init__(self, store: Store, zone: tzinfo = UTC):
        """:param zone: the community's time zone, whose days events without a member id keep."""
        self._store = store
        self._zone = zone
        self._queue: queue.Queue[Event | threading.Event | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="event-recorder", daemon=True)
        self._thread.start()

    def record(self, event: Event) -> None:
        """Queue ``event`` for writing; returns at once."""
        self._queue.put(event)

    def flush(self, timeout: float = 10.0) -> None:
        """Block until every event queued before this call is in the database."""
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def close(self) -> None:
        """Write what is queued and stop the writer thread."""
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch: list[Event] = []
            markers: list[threading.Event] = []
            stop = False
            deadline = time.monotonic() + self.LINGER
            while True:
                if item is None:
                    stop = True
                elif isinstance(item, threading.Event):
                    markers.append(item)
                else:
                    batch.append(item)
                if len(batch) >= self.BATCH:
                    break
                # Someone waits on a flush or the close: write what is queued now.
                wait = 0.0 if markers or stop else deadline - time.monotonic()
                try:
                    item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
            self._write(batch)
            for marker in markers:
                marker.set()
            if stop:
                self._store.close()
                return

    def _write(self, batch: list[Event]) -> None:
        if not batch:
            return
        try:
            with self._store.transaction() as db:
                unnamed = write(db, batch, self._zone)
        except Exception:  # a lost engagement count must never take the bot down
            log.exception("could not record %d events", len(batch))
            return
        if unnamed:
            self._store.erase_history()


def write(db: sqlite_utils.Database, batch: Sequence[Event], zone: tzinfo) -> bool:
    """Write ``batch`` in the open transaction ``db``: each event with a member id at its time with
    the next id, each without one at its day in ``zone`` with a day-ordered id.

    :returns: True when an event without a member id was written: the caller empties the
        write-ahead log once it has committed (:meth:`bot.store.Store.erase_history`).
    """
    named = [event for event in batch if event.user_id is not None]
    first = coarse.next_id(db, "events")
    # A plain INSERT into the table the migrations made: every request that counts something
    # comes through here, and sqlite-utils' generic insert_all (a copy of each event, each value
    # prepared for JSON) cost more than SQLite's own work.
    db.conn.executemany(
        "insert into events (id, at, kind, user_id, subject, query, hit) values (?, ?, ?, ?, ?, ?, ?)",
        [(first + n, e.at, e.kind, e.user_id, e.subject, e.query, _hit(e.hit)) for n, e in enumerate(named)],
    )
    unnamed = [event for event in batch if event.user_id is None]
    _rewrite(db, [(e.kind, e.subject, e.query, _hit(e.hit), _day(e.at, zone)) for e in unnamed])
    return bool(unnamed)


def _hit(hit: bool | int | None) -> int | None:
    return None if hit is None else int(hit)


def _day(at: float, zone: tzinfo) -> float:
    return coarse.day_of(datetime.fromtimestamp(at, UTC), zone)


def unlink(db: sqlite_utils.Database, kind: str, user_id: str, at: float, *, day: float) -> None:
    """Make the event of ``kind`` the member made at ``at`` one without a member id, kept to ``day``
    (in the open transaction ``db`` of the feature that asks: a share-out turned "anonymous to
    everyone"). It is written afresh, with a day-ordered id: its old id would still place it in time.
    The caller empties the write-ahead log once it has committed."""
    # A millisecond either way: older events were written from a time read back through datetime.
    where = "kind = ? and user_id = ? and at between ? and ?"
    params = [kind, user_id, at - 0.001, at + 0.001]
    found = db.execute(f"select subject, query, hit from events where {where}", params).fetchall()
    db.execute(f"delete from events where {where}", params)
    _rewrite(db, [(kind, subject, query, hit, day) for subject, query, hit in found])


# The kinds recorded without a member id (the others lose it only when a member deletes their data).
UNNAMED_KINDS = (SHAREOUT, SAFETY_NET, CHECKIN_REQUEST)


def keep_only_days(db: sqlite_utils.Database, zone: tzinfo) -> int:
    """Keep the events of :data:`UNNAMED_KINDS` without a member id that were written to the second
    before to their day, with day-ordered ids (once: see :func:`day_migrations`). Returns how many."""
    where = f"kind in ({', '.join('?' * len(UNNAMED_KINDS))}) and user_id is null and id > 0"
    found = db.execute(f"select id, kind, subject, query, hit, at from events where {where}", UNNAMED_KINDS).fetchall()
    if not found:
        return 0
    db.execute(f"delete from events where {where}", UNNAMED_KINDS)
    _rewrite(db, [(kind, subject, query, hit, _day(at, zone)) for _, kind, subject, query, hit, at in found])
    return len(found)


def _rewrite(db: sqlite_utils.Database, rows: list[tuple[str, str | None, str | None, int | None, float]]) -> None:
    """Insert events without a member id, (kind, subject, query, hit, day) each, with day-ordered ids
    (one at a time: each id is checked against those before it)."""
    for kind, subject, query, hit, day in rows:
        row = {"at": day, "kind": kind, "user_id": None, "subject": subject, "query": query, "hit": hit}
        db["events"].insert({"id": coarse.day_id(db, "events", day), **row})


def day_migrations(zone: tzinfo) -> Migrations:
    """The one-off migration that keeps the events without a member id already written to their day
    in ``zone`` (the runtime applies it after the features' own sets, which know no zone)."""
    migrations = Migrations("heart.events.days")

    @migrations()
    def unnamed_events_keep_only_their_day(db: sqlite_utils.Database) -> None:
        keep_only_days(db, zone)

    return migrations


def forget_member(db: sqlite_utils.Database, user_id: str) -> int:
    """Take the member id off every event of theirs, keeping the counts; how many there were."""
    return db.execute("update events set user_id = null where user_id = ?", [user_id]).rowcount
