"""Engagement events: what members look up and do, recorded without blocking the ack.

An event holds a kind, a member id, a time and, for lookups, the normalized query and
the entry it found. It never holds free text a member typed beyond the normalized
glossary query, which is what coordinators need to see what the glossary is missing.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field

import sqlite_utils
from sqlite_utils import Migrations

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
SHAREOUT = "shareout"  # user_id NULL for "anonymous to everyone"; subject = occurrence id or NULL
SAFETY_NET = "safety_net"  # a count only: no user id, no text
CHECKIN_REQUEST = "checkin_request"  # user_id only when the member chose to give their name
RSVP = "rsvp"  # subject = occurrence id; query = 'going' or 'not_going'
SUBSCRIBE = "subscribe"  # subject = series id (DM reminders on)
UNSUBSCRIBE = "unsubscribe"  # subject = series id (DM reminders off)
PEERHOUR_VIEW = "peerhour_view"  # someone looked at the upcoming sessions


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

    def __init__(self, store: Store):
        self._store = store
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
        rows = [
            {
                "at": event.at,
                "kind": event.kind,
                "user_id": event.user_id,
                "subject": event.subject,
                "query": event.query,
                "hit": None if event.hit is None else int(event.hit),
            }
            for event in batch
        ]
        try:
            with self._store.transaction() as db:
                db["events"].insert_all(rows, batch_size=self.BATCH)
        except Exception:  # a lost engagement count must never take the bot down
            log.exception("could not record %d events", len(batch))


def unlink(db: sqlite_utils.Database, kind: str, user_id: str, at: float) -> None:
    """Take the member id off the event of ``kind`` they made at ``at`` (the open transaction ``db``
    of the feature that asks: a share-out turned "anonymous to everyone")."""
    db.execute("update events set user_id = null where kind = ? and user_id = ? and at = ?", [kind, user_id, at])


def forget_member(db: sqlite_utils.Database, user_id: str) -> int:
    """Take the member id off every event of theirs, keeping the counts; how many there were."""
    return db.execute("update events set user_id = null where user_id = ?", [user_id]).rowcount
