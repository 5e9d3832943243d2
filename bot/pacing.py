"""Sending many messages under Slack's limits: a pace shared by every sender of every process on
the database, and what Slack's answers mean for a message that has to wait or try again.

Used by every feature that fans messages out (a session's reminders, a connections round's
introductions, retention's take-downs): each paces its calls with a :class:`Pacer` and reads
Slack's failures with :func:`retry_after`, :func:`rate_limited`, :data:`TRANSIENT_ERRORS` and
:func:`backoff_delay`.

A :class:`Pacer` keeps its turns in the ``paces`` table: each call reserves the next free moment
in one write transaction, then moves it one interval on (a token bucket that holds one token),
and waits for it outside the transaction. Two processes fanning out at once therefore share
``REMINDER_DM_PER_SECOND`` rather than doubling it, and a 429 seen by one pauses both. A turn
further ahead than a bound (the clock was set back) is not waited for.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

import sqlite_utils
from slack_sdk.errors import SlackApiError
from sqlite_utils import Migrations

from bot.store import Store

migrations = Migrations("heart.pace")


@migrations()
def create_paces(db: sqlite_utils.Database) -> None:
    db["paces"].create(
        {
            "name": str,  # what is paced: a Slack method, for one kind of fan-out
            "next_at": float,  # the next free turn
            "paused_until": float,  # nobody calls before this (a 429's Retry-After)
        },
        pk="name",
    )


MAX_BACKOFF = 60.0
MAX_AHEAD = 60.0  # seconds: a turn further ahead than this, or 32 intervals, is a clock set back
MAX_PAUSE = 300.0  # seconds: the longest a Retry-After is believed
# Slack's error codes that mean "try again later", not "this message can never be sent".
TRANSIENT_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}


class Pacer:
    """Turns for the calls named ``name``, at most ``per_second`` a second across every process.

    :param stopping: set when the process shuts down; a wait for a turn ends early.
    """

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
        with self.store.transaction(durable=False) as db:  # a turn is worth nothing after a crash
            row = db.execute("select next_at, paused_until from paces where name = ?", (self.name,)).fetchone()
            next_at, paused_until = row or (0.0, 0.0)
            if next_at > now + max(MAX_AHEAD, 32 * self.interval):
                next_at = now  # reserved against a clock that has since been set back
            if paused_until > now + MAX_PAUSE:
                paused_until = now
            turn = max(now, next_at, paused_until)
            db.execute(
                "insert into paces (name, next_at, paused_until) values (?, ?, ?) "
                "on conflict (name) do update set next_at = excluded.next_at, paused_until = excluded.paused_until",
                (self.name, turn + self.interval, paused_until),
            )
        delay = turn - now
        if delay > 0:
            return not self.stopping.wait(delay)
        return not self.stopping.is_set()

    def pause(self, seconds: float) -> None:
        """Nobody, in any process, makes these calls for ``seconds`` (a 429's Retry-After)."""
        until = self.clock() + min(seconds, MAX_PAUSE)
        with self.store.transaction(durable=False) as db:
            db.execute(
                "insert into paces (name, next_at, paused_until) values (?, 0, ?) "
                "on conflict (name) do update set paused_until = max(paused_until, excluded.paused_until)",
                (self.name, until),
            )


def retry_after(error: SlackApiError) -> float:
    """The seconds a 429 asks to wait (1 if it does not say)."""
    headers = {str(k).lower(): v for k, v in (error.response.headers or {}).items()}
    value = headers.get("retry-after")
    value = value[0] if isinstance(value, list) else value
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 1.0


def rate_limited(error: SlackApiError) -> bool:
    """True when Slack answered 429 (``ratelimited``): wait :func:`retry_after`, then send again."""
    return error.response.status_code == 429 or error.response.get("error") == "ratelimited"


def backoff_delay(failures: int) -> float:
    """Seconds to wait after the ``failures``-th transient failure in a row: exponential up to a
    minute, with "equal jitter" (half fixed, half random) so retries spread out."""
    delay = min(MAX_BACKOFF, 2.0 ** (failures - 1))
    return delay / 2 + random.uniform(0, delay / 2)
