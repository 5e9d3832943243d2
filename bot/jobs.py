"""Scheduler jobs that let their scheduler stop cleanly.

APScheduler 3's ``shutdown(wait=True)`` waits for the running jobs while it holds its job store
lock, and a job that reads or adds jobs (a reconcile: ``get_job``, ``add_job``) needs that lock:
the two wait for each other for ever, and a graceful stop becomes the host's kill. A scheduler
that wraps its jobs in :meth:`RunningJobs.job` shuts APScheduler down without waiting and waits
for its jobs with :meth:`RunningJobs.stop` instead; a job queued behind a stop does not run.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger(__name__)

STOP_WAIT_SECONDS = 10.0  # a job in a Slack call (15 s at most) finishes or is left to the next start


class RunningJobs:
    """Counts the jobs of one scheduler while they run.

    :param stopping: set when the process stops; a job not yet begun then does not run.
    """

    def __init__(self, stopping: threading.Event):
        self.stopping = stopping
        self._running = 0
        self._idle = threading.Condition()

    def job(self, func: Callable[..., object]) -> Callable[..., None]:
        """``func`` as a job: counted while it runs, and not run at all once stopping."""

        @functools.wraps(func)
        def run(*args: object) -> None:
            with self._idle:
                if self.stopping.is_set():
                    return
                self._running += 1
            try:
                func(*args)
            finally:
                with self._idle:
                    self._running -= 1
                    self._idle.notify_all()

        return run

    def stop(self, scheduler: BaseScheduler, timeout: float = STOP_WAIT_SECONDS) -> None:
        """Stop ``scheduler`` and wait up to ``timeout`` seconds for the jobs running on it."""
        self.stopping.set()
        if scheduler.running:
            # Paused and emptied first, so no job is handed to the pool while it shuts down.
            scheduler.pause()
            scheduler.remove_all_jobs()
            scheduler.shutdown(wait=False)
        with self._idle:
            if not self._idle.wait_for(lambda: self._running == 0, timeout=timeout):
                log.warning("stopping with %d scheduler job(s) still running", self._running)
