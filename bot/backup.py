"""Backups of the database: a consistent copy while the bot serves, and a careful restore.

:func:`backup` uses SQLite's online backup API in one step, inside one read transaction: the
copy is the database as of one moment, even while the bot writes (in WAL mode, writers don't
wait for it), and it is written beside its destination and renamed into place, so a backup
file is never half written. :func:`restore` copies a checked backup over the database, but
only when no bot is serving from it: every serving process holds a shared lock on
``<database>.serving`` (:func:`serving_lock`), and restore takes it exclusively.

Backups hold everything the database holds, share-outs included: keep them as privately as
the database, and delete old ones (retention is the operator's).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from bot.errors import HeartError

# Nightly backups are deleted once 31 whole days old (deploy/heart-bot-backup.service runs
# `find -mtime +30`), at the next nightly run: within 32 days of being made. Members deleting a
# share-out or their data are told it leaves the backups within this many days.
GONE_FROM_BACKUPS_DAYS = 32


class BackupError(HeartError):
    """A backup or restore that can't be done; the message says what to do."""


@dataclass(frozen=True)
class Copied:
    """A database file written: where, and how big."""

    path: Path
    size: int


def lock_path(database: Path) -> Path:
    """The file serving processes lock beside ``database``."""
    return database.with_name(database.name + ".serving")


def serving_lock(database: Path) -> IO[bytes]:
    """Hold a shared lock that says a bot serves from ``database``, for as long as the returned
    file stays open (it closes, and the lock goes, when the process ends, even on kill -9).

    Shared: two processes may serve from one file (a host running two); only :func:`restore`
    needs it alone.
    """
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "ab")  # noqa: SIM115 (kept open for the life of the process)
    fcntl.flock(handle, fcntl.LOCK_SH)
    return handle


def _timestamped(folder: Path) -> Path:
    return folder / f"heart-{datetime.now(UTC):%Y%m%d-%H%M%S}.db"


def check_file(path: Path) -> None:
    """Raise unless ``path`` is a SQLite database that passes ``PRAGMA integrity_check``."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        connection = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
        try:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite database ({error}): pick another backup") from None
    if problems != ["ok"]:
        raise BackupError(f"{path} fails SQLite's integrity check ({problems[0]}): pick another backup")


def backup(source: Path, destination: Path) -> Copied:
    """Copy the database ``source`` to ``destination`` (a file, or a folder to put a dated file in).

    Safe while the bot serves and from cron: the copy is consistent, checked, and only appears
    at ``destination`` once complete.

    :raises BackupError: when there is no database, or the copy fails its check.
    """
    if not source.is_file():
        raise BackupError(f"there is no database at {source}: check DATABASE_PATH (or --db)")
    if destination.is_dir():
        destination = _timestamped(destination)
    if destination.resolve() == source.resolve():
        raise BackupError("the backup must go to another file than the database itself")
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, partial_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent)
    os.close(handle)
    partial = Path(partial_name)
    try:
        _copy(source, partial)
        check_file(partial)
        os.chmod(partial, 0o600)  # it holds share-outs: readable by this user only
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return Copied(destination, destination.stat().st_size)


def _copy(source: Path, destination: Path) -> None:
    """SQLite's online backup of ``source`` into ``destination``, as one self-contained file."""
    reader = sqlite3.connect(f"file:{source.resolve()}?mode=ro", uri=True, timeout=10)
    writer = sqlite3.connect(destination)
    try:
        # pages=-1: the whole database in one step, so in one read transaction: one moment's copy.
        reader.backup(writer, pages=-1)
        writer.execute("PRAGMA journal_mode = DELETE")  # a single file, no -wal beside it
    finally:
        writer.close()
        reader.close()


def restore(source: Path, database: Path) -> Copied | None:
    """Replace ``database`` with the backup ``source``, after keeping the current file.

    The backup is checked first; the current database (if any) is backed up beside itself as
    ``<name>.before-restore-<time>`` so a mistaken restore can be undone.

    :returns: where the current database was kept, or None if there was none.
    :raises BackupError: when a bot serves from ``database``, or the backup is not sound.
    """
    check_file(source)
    if source.resolve() == database.resolve():
        raise BackupError("that backup is the database itself")
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"a heart-bot is serving from {database}: stop it first (restoring under it would lose what it writes), "
                "then restore and start it again"
            ) from None
        kept = None
        if database.is_file():
            kept = backup(database, database.with_name(f"{database.name}.before-restore-{datetime.now(UTC):%Y%m%d-%H%M%S}"))
        reader = sqlite3.connect(f"file:{source.resolve()}?mode=ro", uri=True)
        writer = sqlite3.connect(database)
        try:
            reader.backup(writer, pages=-1)
            writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            writer.close()
            reader.close()
        check_file(database)
    return kept
