"""The SQLite store: one file, one connection per thread, schema by sqlite-utils migrations.

Each feature module that owns tables declares its own ``sqlite_utils.Migrations`` set
and lists it in :data:`bot.schema.MIGRATION_SETS`; :meth:`Store.migrate` applies them all,
idempotently, in that order.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from bot.errors import ConfigError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


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
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # WAL lets readers go on while one writer writes; FULL keeps every commit that
        # a member was told was saved, even on power loss.
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
        # What is deleted or overwritten is zeroed on disk, not left in free space: a member id
        # taken off an anonymous share-out, a deleted reflection.
        connection.execute("PRAGMA secure_delete = ON")
        return connection

    def migrate(self) -> None:
        """Create or upgrade the schema (safe to run at every start, from any process)."""
        from bot.schema import MIGRATION_SETS

        database = self.db
        if database.journal_mode != "wal":
            database.enable_wal()
        for migrations in MIGRATION_SETS:
            migrations.apply(database)

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction that takes the write lock at once (``BEGIN IMMEDIATE``).

        Taking the lock up front means a read-then-write (a claim, an upsert with a
        check) can never be interleaved with another writer's.
        """
        database = self.db
        connection = database.conn
        # Bounded like SQLite's own wait: no writer queues here without limit behind one
        # that is stuck on another process's lock.
        if not self._writer.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise sqlite3.OperationalError("database is locked")
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield database
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
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


def check_database(path: Path) -> None:
    """Open and migrate the database as serving will, then close it: run before the server takes
    its port, so a file that can't be used stops the start with one clear line.

    :raises ConfigError: naming ``DATABASE_PATH`` (a directory, not a database, not writable...).
    """
    store = Store(path)
    try:
        store.migrate()
    except (sqlite3.Error, OSError) as error:
        raise ConfigError(
            f"DATABASE_PATH {path} can't be used as heart-bot's database ({error}): "
            "point it at a writable SQLite file on a persistent volume"
        ) from None
    finally:
        store.close()
