"""Sending many messages under Slack's limits: a pace shared by a process's senders, and what
Slack's answers mean for a message that has to wait or try again.

Used by every feature that fans messages out (a session's reminders, a connections round's
introductions): each paces its own calls with a :class:`Pacer` and reads Slack's failures
with :func:`retry_after`, :data:`TRANSIENT_ERRORS` and :func:`backoff_delay`.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

MAX_BACKOFF = 60.0
# Slack's error codes that mean "try again later", not "this message can never be sent".
TRANSIENT_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}


class Pacer:
    """Spaces messages at most ``per_second`` apart, for every sender thread of the process,
    and makes them all wait out a 429's ``Retry-After``."""

    def __init__(self, per_second: float, stopping: threading.Event, clock: Callable[[], float] = time.monotonic):
        self.interval = 1.0 / per_second
        self.stopping = stopping
        self.clock = clock
        self._lock = threading.Lock()
        self._next = 0.0

    def wait_turn(self) -> bool:
        """Block until this sender may call Slack; False if the process is stopping."""
        with self._lock:
            now = self.clock()
            turn = max(now, self._next)
            self._next = turn + self.interval
        delay = turn - now
        if delay > 0:
            return not self.stopping.wait(delay)
        return not self.stopping.is_set()

    def pause(self, seconds: float) -> None:
        """Nobody calls Slack for ``seconds`` (a 429's Retry-After)."""
        with self._lock:
            self._next = max(self._next, self.clock() + seconds)


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
