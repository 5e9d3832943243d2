"""A pace shared by every process on the database: calls of one kind go out at most ``per_second``
apart, whichever process makes them, and a 429's ``Retry-After`` pauses them all.

Each call reserves its turn in the ``paces`` table, in one write transaction: the next free
moment, then moves it one interval on (a token bucket that holds one token). Two processes
fanning out at once therefore share ``REMINDER_DM_PER_SECOND`` rather than doubling it. The turn
is waited for outside the transaction. Turns are kept no further ahead than a bound, so a clock
set back cannot stall the calls for long.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import sqlite_utils
from sqlite_utils import Migrations

from bot.store import Store

migrations = Migrations("heart.pace")


@migrations()
def create_paces(db: sqlite_utils.Database) -> None:
    db["paces"].create(
        {
            "name": str,  # what is paced: a Slack method
            "next_at": float,  # the next free turn
            "paused_until": float,  # nobody calls before this (a 429's Retry-After)
        },
        pk="name",
    )


MAX_AHEAD = 60.0  # seconds: the furthest ahead a turn is ever given, at least 32 intervals
MAX_PAUSE = 300.0  # seconds: the longest a Retry-After is believed


class Pace:
    """Turns for calls named ``name``, at most ``per_second`` a second across processes."""

    def __init__(
        self,
        store: Store,
        name: str,
        per_second: float,
        stopping: threading.Event,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.name = name
        self.interval = 1.0 / per_second
        self.stopping = stopping
        self.clock = clock

    def wait_turn(self) -> bool:
        """Block until this caller's turn; False if the process is stopping."""
        now = self.clock()
        with self.store.transaction() as db:
            row = db.execute("select next_at, paused_until from paces where name = ?", (self.name,)).fetchone()
            next_at, paused_until = row or (0.0, 0.0)
            turn = max(now, min(next_at, now + max(MAX_AHEAD, 32 * self.interval)), min(paused_until, now + MAX_PAUSE))
            db.execute(
                "insert into paces (name, next_at, paused_until) values (?, ?, ?) "
                "on conflict (name) do update set next_at = excluded.next_at",
                (self.name, turn + self.interval, paused_until),
            )
        delay = turn - now
        if delay > 0:
            return not self.stopping.wait(delay)
        return not self.stopping.is_set()

    def pause(self, seconds: float) -> None:
        """Nobody, in any process, makes these calls for ``seconds`` (a 429's Retry-After)."""
        until = self.clock() + min(seconds, MAX_PAUSE)
        with self.store.transaction() as db:
            db.execute(
                "insert into paces (name, next_at, paused_until) values (?, 0, ?) "
                "on conflict (name) do update set paused_until = max(paused_until, excluded.paused_until)",
                (self.name, until),
            )
