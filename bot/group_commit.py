"""Group commit: the writes that arrive together share one transaction and one fsync.

Every commit is made durable on disk (``synchronous = FULL``) before a member is told
"saved", and that flush, not the write itself, is what a commit costs. When many members
write at the same moment, one writer thread takes every write waiting at that moment, runs
each in its own savepoint (sqlite-utils' ``atomic()``) inside one transaction, commits once, and only then answers
each caller. A write never waits for others to arrive: alone, it is committed at once.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlite_utils

from bot.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class _Write(Generic[T]):
    run: Callable[[sqlite_utils.Database], T]
    future: Future[T]


class GroupCommit:
    """A writer thread that commits concurrent writes together.

    ``submit`` queues a write (a function of the open transaction's database) and returns a
    future that is resolved only once the transaction holding it is committed. A write that
    raises is rolled back to its savepoint alone; the others in its group still commit.
    """

    MAX_GROUP = 64  # bounds how long the first write of a group waits behind the rest

    def __init__(self, store: Store):
        self._store = store
        self._queue: queue.Queue[_Write[Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    @property
    def store(self) -> Store:
        """The store the writes are committed to."""
        return self._store

    def submit(self, write: Callable[[sqlite_utils.Database], T]) -> Future[T]:
        """Queue ``write``; the future holds its result (or exception) once committed."""
        future: Future[T] = Future()
        self._queue.put(_Write(write, future))
        return future

    def close(self) -> None:
        """Commit what is queued and stop the writer thread."""
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            group, stop = self._take_group()
            if group:
                self._commit(group)
            if stop:
                self._store.close()
                return

    def _take_group(self) -> tuple[list[_Write[Any]], bool]:
        """Block for one write, then take every other write already waiting."""
        group: list[_Write[Any]] = []
        item = self._queue.get()
        while item is not None:
            group.append(item)
            if len(group) >= self.MAX_GROUP:
                return group, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return group, False
        return group, True

    def _commit(self, group: list[_Write[Any]]) -> None:
        outcomes: list[tuple[_Write[Any], Any, BaseException | None]] = []
        try:
            with self._store.transaction() as db:
                for write in group:
                    outcomes.append(self._attempt(db, write))
        except Exception as error:  # the commit itself failed: nothing of the group was written
            for write in group:
                write.future.set_exception(error)
            return
        for write, result, failure in outcomes:
            if failure is None:
                write.future.set_result(result)
            else:
                write.future.set_exception(failure)

    @staticmethod
    def _attempt(db: sqlite_utils.Database, write: _Write[T]) -> tuple[_Write[T], T | None, BaseException | None]:
        """Run one write in a savepoint, so that its failure undoes only its own changes.

        Inside the group's ``BEGIN IMMEDIATE`` transaction, sqlite-utils' ``atomic()`` is a
        savepoint; the group still commits (and syncs to disk) once.
        """
        try:
            with db.atomic():
                result = write.run(db)
        except Exception as error:
            return write, None, error
        return write, result, None
