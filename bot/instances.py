"""Which heart-bot processes are alive: each serving process is an *instance*, with an id, a
heartbeat in the ``instances`` table, and a lock file that the kernel lets go of the moment the
process ends, however it ends (kill -9 included).

A claim (:mod:`bot.claims`) names the instance that holds it. An instance is *gone* once
it stopped, once its lock file can be taken (its process ended: certain, and known at once on
this host), or once its heartbeat has been silent for ``stale_after`` seconds (a frozen process,
or one whose lock file can't be seen from here). Every live instance looks for gone ones when it
starts and at each heartbeat, and marks them; their claims can then be taken over at once, so a
restart resumes a fan-out in seconds rather than after a lease.

A heartbeat is a count, not a time: each instance notes on its own clock when it last saw
another's count move, so hosts' clocks need not agree, and the table holds no moment that could
be set beside a member's anonymous share-out (an instance that is gone keeps only its day).

An instance that was taken for gone while it was only slow (frozen longer than ``stale_after``)
comes back at its next heartbeat; the claims taken over meanwhile are no longer its, and the
ledger refuses its writes to them.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import sqlite_utils
from sqlite_utils import Migrations

from bot import coarse
from bot.store import Store

try:  # POSIX; elsewhere only heartbeats tell
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

migrations = Migrations("heart.instances")


@migrations()
def create_instances(db: sqlite_utils.Database) -> None:
    db["instances"].create(
        {
            "id": str,  # host:pid:nonce
            "host": str,
            "pid": int,
            "beats": int,  # heartbeats so far
            "gone": int,  # 1 once it stopped or was found gone
            "gone_day": float,  # the day it went (12:00 UTC on that date), to forget it a week later
            "lock_file": str,  # held while it lives, in the folder beside the database
        },
        pk="id",
        not_null={"beats", "gone"},
        defaults={"beats": 0, "gone": 0},
    )


HEARTBEAT_SECONDS = 5.0
STALE_BEATS = 3  # heartbeats missed before an instance is taken for gone
FORGET_AFTER_DAYS = 7  # gone instances are deleted after this (their claims' leases ran out long before)


def gone_sql(owner: str) -> str:
    """SQL that is true when the instance named by the column ``owner`` is gone (false for an owner
    the table does not know, such as a claim made before instances were kept)."""
    return f"exists (select 1 from instances where instances.id = {owner} and instances.gone)"


def _today() -> float:
    return coarse.day_of(datetime.now(UTC), UTC)


def lock_folder(database: Path) -> Path:
    """Where instances keep their lock files: a hidden folder beside the database
    (``.heart.db-instances/``); its empty files hold no data."""
    return database.with_name(f".{database.name}-instances")


class Instance:
    """This process, as the others see it.

    :param heartbeat: seconds between heartbeats; ``STALE_BEATS`` silent ones make an instance gone.
    :param clock: a monotonic clock, for how long another's heartbeat has been silent.
    """

    def __init__(self, store: Store, *, heartbeat: float = HEARTBEAT_SECONDS, clock: Callable[[], float] = time.monotonic):
        nonce = uuid.uuid4().hex[:12]
        self.id = f"{socket.gethostname()}:{os.getpid()}:{nonce}"
        self.store = store
        self.heartbeat = heartbeat
        self.stale_after = heartbeat * STALE_BEATS
        self.clock = clock
        self._lock_name = f"{nonce}.lock"
        self._lock: IO[bytes] | None = None
        self._seen: dict[str, tuple[int, float]] = {}  # another instance: its beats, and since when (our clock)
        self._listeners: list[Callable[[list[str]], None]] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def when_others_go(self, listener: Callable[[list[str]], None]) -> None:
        """Call ``listener`` with the ids of instances found gone (their claims are free now)."""
        self._listeners.append(listener)

    def start(self) -> None:
        """Take the lock file, appear in the table, mark the instances that are gone, and beat."""
        self._stopping.clear()
        self._lock = _hold(lock_folder(self.store.path) / self._lock_name)
        with self.store.transaction() as db:
            db["instances"].insert(
                {
                    "id": self.id,
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "beats": 0,
                    "gone": 0,
                    "gone_day": None,
                    "lock_file": self._lock_name if self._lock else None,
                },
                replace=True,
            )
            db.execute("delete from instances where gone and gone_day < ?", (_today() - FORGET_AFTER_DAYS * coarse.DAY_SECONDS,))
        log.info("instance %s started (heartbeat every %gs)", self.id, self.heartbeat)
        self.reap()
        self._thread = threading.Thread(target=self._beat_until_stopped, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and leave as gone: whatever this process still claims may be taken at once."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.heartbeat + 15)
        try:
            with self.store.transaction() as db:
                db.execute("update instances set gone = 1, gone_day = ? where id = ?", (_today(), self.id))
        except sqlite3.Error as error:  # the lock file below tells the others just as well
            log.warning("instance %s could not record its stop: %s", self.id, error)
        if self._lock is not None:
            (lock_folder(self.store.path) / self._lock_name).unlink(missing_ok=True)
            self._lock.close()
            self._lock = None

    def beat(self) -> None:
        """Tell the others this process is alive, and look for instances that are gone."""
        with self.store.transaction(durable=False) as db:  # a heartbeat lost in a crash says nothing wrong
            alive = db.execute("update instances set beats = beats + 1 where id = ? and not gone", (self.id,)).rowcount
            if not alive:
                db.execute("update instances set beats = beats + 1, gone = 0, gone_day = null where id = ?", (self.id,))
        if not alive:
            log.warning(
                "instance %s was taken for gone (no heartbeat for over %gs): it is back, and the claims taken "
                "over meanwhile are no longer its",
                self.id,
                self.stale_after,
            )
        self.reap()

    def reap(self) -> list[str]:
        """Mark the instances that are gone; tell the listeners which.

        :returns: the ids of the instances found gone now.
        """
        now = self.clock()
        rows = self.store.db.execute(
            "select id, beats, lock_file from instances where not gone and id != ?", (self.id,)
        ).fetchall()
        self._seen = {instance_id: self._seen.get(instance_id, (-1, now)) for instance_id, _, _ in rows}
        found = []
        for instance_id, beats, lock_file in rows:
            seen_beats, since = self._seen[instance_id]
            if lock_file and _ended(lock_folder(self.store.path) / lock_file):
                why, unless_beat = "its process ended", None
            elif beats != seen_beats:
                self._seen[instance_id] = (beats, now)
                continue
            elif now - since > self.stale_after:
                why, unless_beat = f"no heartbeat for {now - since:.0f}s", beats
            else:
                continue
            with self.store.transaction() as db:
                marked = db.execute(
                    "update instances set gone = 1, gone_day = ? where id = ? and not gone and (? is null or beats = ?)",
                    (_today(), instance_id, unless_beat, unless_beat),
                ).rowcount
            if marked:
                log.info("instance %s is gone (%s): its claims may be taken over", instance_id, why)
                found.append(instance_id)
        if found:
            for listener in self._listeners:
                listener(found)
        return found

    def _beat_until_stopped(self) -> None:
        try:
            while not self._stopping.wait(self.heartbeat):
                try:
                    self.beat()
                except sqlite3.Error as error:  # a database held by another process: beat again next time
                    log.warning("instance %s missed a heartbeat: %s", self.id, error)
        finally:
            self.store.close()


def _hold(path: Path) -> IO[bytes] | None:
    """Create ``path`` already locked (so nobody can find it unlocked while its process lives)."""
    if fcntl is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_suffix(".new")
    handle = open(fresh, "wb")  # noqa: SIM115 - open for the life of the process: its lock says it lives
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.replace(fresh, path)
    return handle


def _ended(path: Path) -> bool:
    """True when the process that held the lock file at ``path`` has ended (the lock can be taken);
    the file is then removed."""
    if fcntl is None:
        return False
    try:
        with open(path, "rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            path.unlink(missing_ok=True)  # while we hold it: its process is gone
            return True
    except FileNotFoundError:
        return False  # another instance found it ended first, or it never was on this host
    except BlockingIOError:
        return False  # its process holds it: alive
