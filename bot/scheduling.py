"""The one APScheduler of a serving process, shared by every feature that works on a schedule.

Reminders (:mod:`bot.sessions.scheduler`), monthly connections (:mod:`bot.connections.scheduler`)
and the post-session pulse (:mod:`bot.engagement.pulse_service`) each :meth:`Scheduler.register`
a reconcile: it runs as soon as the scheduler starts (the catch-up after a restart), then at its
interval, and makes whatever date jobs its feature owes, with explicit ids. Everything else is
here, once: the ``BackgroundScheduler`` with an in-memory job store rebuilt from SQLite at every
start, its thread pool and job defaults, the clean stop (:class:`bot.jobs.RunningJobs`), and what
a paced sender is built from (:class:`Sending`: the delivery client, the claims ledger, paces
shared through the database by every process, and :class:`bot.sender.Sender` on them).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient

from bot.claims import Claims
from bot.config import Settings
from bot.instances import Instance
from bot.jobs import RunningJobs
from bot.pacing import Pacer
from bot.sender import LOOKUPS, LOOKUPS_PER_SECOND, Sender
from bot.slack_client import delivery_client
from bot.store import Store

log = logging.getLogger(__name__)

# Reminder fan-outs, a round's introductions and another round's follow-ups, the pulse and the
# housekeeping may all run side by side.
WORKERS = 6
JOB_DEFAULTS = {
    "coalesce": True,  # a job that missed several runs runs once
    "max_instances": 1,  # never two runs of one job at a time in this process
    "misfire_grace_time": 3600,  # a job late by up to an hour (busy workers, a slow start) still runs
}


@dataclass(frozen=True)
class Sending:
    """What a feature's sender is built from when the scheduler starts."""

    store: Store
    client: WebClient  # no retry handlers of its own: senders pace and retry themselves
    claims: Claims  # this process's claims ledger
    stopping: threading.Event  # set when the process stops: senders stop between messages
    clock: Callable[[], float]

    def pace(self, name: str, per_second: float) -> Pacer:
        """The pace ``name``, shared with every process on the database."""
        return Pacer(self.store, name, per_second, self.stopping, self.clock)

    def sender(self, pace: str, per_second: float) -> Sender:
        """A sender of claimed posts at ``per_second`` on the pace ``pace``, which looks for a post
        whose answer was lost at the lookups' pace (shared by every feature) before posting again."""
        return Sender(
            self.client,
            self.claims,
            pace=self.pace(pace, per_second),
            lookups=self.pace(LOOKUPS, LOOKUPS_PER_SECOND),
            stopping=self.stopping,
            clock=self.clock,
        )


@dataclass(frozen=True)
class _Reconcile:
    job_id: str
    run: Callable[[], object]
    every_seconds: float
    first_after: float
    prepare: Callable[[Sending], None] | None


class Scheduler:
    """The process's scheduler (a :class:`bot.runtime.Service`), started after ``instance``.

    :param instance: this process, as the others see it: claims made by the senders are its.
    """

    def __init__(self, store: Store, settings: Settings, *, instance: Instance, clock: Callable[[], float] = time.time):
        self.store = store
        self.settings = settings
        self.instance = instance
        self.clock = clock
        self.stopping = threading.Event()
        self._jobs = RunningJobs(self.stopping)
        self._reconciles: list[_Reconcile] = []
        self._scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(WORKERS)},
            job_defaults=JOB_DEFAULTS,
            timezone=UTC,
        )

    @property
    def running(self) -> bool:
        return self._scheduler.running

    def register(
        self,
        job_id: str,
        reconcile: Callable[[], object],
        *,
        prepare: Callable[[Sending], None] | None = None,
        every_seconds: float | None = None,
        first_after: float = 0.0,
    ) -> None:
        """Run ``reconcile`` when the scheduler starts and then every ``every_seconds``
        (``HEART_RECONCILE_SECONDS`` by default). Call before :meth:`start`.

        :param prepare: called at each start, before any job runs, to build the feature's sender.
        :param first_after: seconds the first run waits after a start (a start is not slowed by it).
        """
        every = every_seconds or self.settings.reconcile_seconds
        self._reconciles.append(_Reconcile(job_id, reconcile, every, first_after, prepare))

    def start(self) -> None:
        """Build the senders, start APScheduler, and run every reconcile (the catch-up) at once."""
        self.stopping.clear()
        settings = self.settings
        sending = Sending(
            self.store,
            delivery_client(settings.bot_token, settings.slack_api_url),
            Claims(self.store, self.instance.id, clock=self.clock),
            self.stopping,
            self.clock,
        )
        for reconcile in self._reconciles:
            if reconcile.prepare is not None:
                reconcile.prepare(sending)
        # APScheduler logs every run of every job at INFO (a reconcile runs each minute); what was
        # delivered or skipped is logged by the features instead.
        for name in ("apscheduler.scheduler", "apscheduler.executors.default"):
            logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
        self._scheduler.start()
        now = self.now()
        for reconcile in self._reconciles:
            self._scheduler.add_job(
                self._jobs.job(reconcile.run),
                IntervalTrigger(seconds=reconcile.every_seconds),
                id=reconcile.job_id,
                replace_existing=True,
                next_run_time=now + timedelta(seconds=reconcile.first_after),
            )
        log.info("scheduler started: reconciling every %ds", settings.reconcile_seconds)

    def stop(self) -> None:
        """Stop between messages: an unfinished fan-out is left for the next start to resume."""
        self._jobs.stop(self._scheduler)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def at(self, job_id: str, func: Callable[..., object], when: datetime, *args: object) -> None:
        """Run ``func(*args)`` once at ``when`` (now, if past), in place of any job ``job_id`` waiting."""
        self._scheduler.add_job(
            self._jobs.job(func), DateTrigger(run_date=when), args=list(args), id=job_id, replace_existing=True
        )

    def every_day(self, job_id: str, func: Callable[[], object]) -> None:
        """Run ``func`` when the scheduler starts and then once a day (housekeeping, such as the
        share-out retention purge). Call before :meth:`start`."""
        self.register(job_id, func, every_seconds=timedelta(days=1).total_seconds())

    def job(self, job_id: str) -> Job | None:
        """The job ``job_id`` waiting to run, or None."""
        return self._scheduler.get_job(job_id)

    def jobs(self) -> list[Job]:
        """Every job waiting to run."""
        return self._scheduler.get_jobs()

    def next_run(self) -> datetime | None:
        """When the scheduler runs its next job (a reminder or a regular reconcile), or None."""
        if not self._scheduler.running:
            return None
        times = [job.next_run_time for job in self._scheduler.get_jobs() if job.next_run_time]
        return min(times, default=None)
