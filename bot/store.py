"""The SQLite store: one file, one connection per thread, schema by sqlite-utils migrations.

The store knows no feature. Each feature that owns tables declares its own
``sqlite_utils.Migrations`` set; :meth:`Store.migrate` applies the sets it is given,
idempotently, in that order (the runtime lists them: :data:`bot.runtime.MIGRATION_SETS`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
# Migrations can take longer than a write (a new index over a large table): a process starting
# while another migrates waits this long for it.
MIGRATION_WAIT_SECONDS = 120.0


def execute_script(db: sqlite_utils.Database, script: str) -> None:
    """Run the statements of ``script`` one by one, inside the transaction open on ``db`` (a
    migration's), where ``sqlite3``'s executescript would commit it first.

    sqlite-utils' ``executescript`` does the same but looks for each statement's end after every
    character, in time that grows with the square of a statement's length: a quarter of a new
    database's migrations went to the rollups' triggers. A statement can only end at a
    semicolon, so only those are tried (one inside a string or a trigger's body is passed over).

    :raises ValueError: if the script ends with an incomplete statement.
    """
    start = 0
    end = script.find(";")
    while end != -1:
        if sqlite3.complete_statement(script[start : end + 1]):
            db.execute(script[start : end + 1].strip())
            start = end + 1
        end = script.find(";", end + 1)
    if script[start:].strip():
        raise ValueError(f"incomplete SQL statement at the end of a script: {script[start:].strip()[:60]!r}")


class Store:
    """A SQLite database file shared safely by Bolt's listener threads and the scheduler.

    sqlite3 connections refuse to cross threads, so each thread gets its own
    ``sqlite_utils.Database`` on first use. SQLite itself serialises writers; the busy
    timeout lets a writer wait for another instead of failing at once.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._local = threading.local()
        # Writers of this process queue here and are woken the moment the one before
        # commits. Left to SQLite they would wait in its busy handler, which sleeps in
        # growing steps (up to 100 ms) however soon the lock is free; it still
        # arbitrates between processes.
        self._writer = threading.RLock()

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection, opened and tuned on first use."""
        database = getattr(self._local, "db", None)
        if database is None:
            database = sqlite_utils.Database(self._connect())
            self._local.db = database
        return database

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        if new:
            # A new database is readable by this user only, as its backups are: SQLite makes it
            # readable by all, and its -wal and -shm files, made at the first write, take the
            # database file's permissions. (Changed by name: opening and closing the file here
            # would drop the locks that this process's other connections hold on it.)
            os.chmod(self.path, 0o600)
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # WAL lets readers go on while one writer writes; FULL keeps every commit that
        # a member was told was saved, even on power loss.
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
        # What is deleted or overwritten is zeroed on disk, not left in free space: a member id
        # taken off an anonymous share-out, a deleted reflection.
        connection.execute("PRAGMA secure_delete = ON")
        return connection

    def migrate(self, sets: Iterable[sqlite_utils.Migrations], *, wait: float = MIGRATION_WAIT_SECONDS) -> None:
        """Create or upgrade the schema (safe to run at every start, from any process, at once).

        Every pending migration runs in one write transaction that takes the write lock first
        (``BEGIN IMMEDIATE``): processes starting together migrate one at a time, and the ones
        that waited find the schema done and change nothing. A failed migration leaves the schema
        as it was. The transaction is committed without waiting for the disk: the write-ahead
        log keeps writes in order, so the first durable commit after it (at the latest) carries
        it to disk, and a migration lost with the power is applied again at the next start.

        :param sets: the features' migration sets, applied in this order.
        :param wait: how long to wait for another process's write lock before giving up.
        :raises sqlite3.OperationalError: "database is locked" if the lock stayed taken that long.
        """
        database = self.db
        connection = database.conn
        connection.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        try:
            self._enable_wal(time.monotonic() + wait)
            with self.transaction(wait=wait, durable=False) as db:
                for migrations in sets:
                    migrations.apply(db)
        finally:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def _enable_wal(self, deadline: float) -> None:
        """Turn write-ahead logging on, unless another process did first.

        Changing the journal mode needs the file to itself, and when two connections reach for it
        at once SQLite answers "locked" at once rather than calling its busy handler: try again
        until ``deadline``.
        """
        database = self.db
        while database.journal_mode != "wal":
            try:
                database.enable_wal()
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

    @contextmanager
    def transaction(self, *, wait: float = BUSY_TIMEOUT_MS / 1000, durable: bool = True) -> Iterator[sqlite_utils.Database]:
        """A write transaction that takes the write lock at once (``BEGIN IMMEDIATE``).

        Taking the lock up front means a read-then-write (a claim, an upsert with a
        check) can never be interleaved with another writer's.

        :param durable: False for writes worth nothing after a crash (a pace's next turn, a
            heartbeat): committed without waiting for the disk, which the next durable commit
            flushes with them.
        """
        database = self.db
        connection = database.conn
        # Bounded like SQLite's own wait: no writer queues here without limit behind one
        # that is stuck on another process's lock.
        if not self._writer.acquire(timeout=wait):
            raise sqlite3.OperationalError("database is locked")
        try:
            if not durable:
                connection.execute("PRAGMA synchronous = OFF")
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield database
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            if not durable:
                connection.execute("PRAGMA synchronous = FULL")
            self._writer.release()

    def erase_history(self) -> bool:
        """Copy the write-ahead log into the file and empty it, so no earlier version of a changed
        row stays on disk (the WAL keeps every version written since it was last emptied).

        :returns: False if a reader still needed the log and it could not be emptied yet.
        """
        busy, _, _ = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.warning("the write-ahead log is in use; earlier versions stay in it until its next checkpoint")
        return not busy

    def healthy(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            self.db.execute("select 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        """Close this thread's connection (other threads close theirs on exit)."""
        database = getattr(self._local, "db", None)
        if database is not None:
            database.close()
            self._local.db = None
