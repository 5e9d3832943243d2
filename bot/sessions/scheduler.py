"""The reminder scheduler: APScheduler 3 in the serving process, with jobs derived from the database.

Nothing about what to send lives in the scheduler: every :data:`RECONCILE` run (at start,
then every ``HEART_RECONCILE_SECONDS``) creates the sessions up to the horizon, reads
which slots (:mod:`bot.sessions.slots`) fall due soon or fell due while the bot was down, and
makes one date job per slot, with an explicit id and ``replace_existing``, so running it
again never multiplies jobs; slots that vanished (a cancelled session) lose their job.
The in-memory job store is rebuilt from SQLite at every start, and the claims in
``deliveries`` (:mod:`bot.claims`) make any job that runs twice, in one process or two, send
once. When this process's instance finds another gone (:mod:`bot.instances`), it reconciles at
once: the slots the other was working through are resumed now.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.claims import Claims
from bot.config import Settings
from bot.instances import Instance
from bot.jobs import RunningJobs
from bot.pacing import Pacer
from bot.sender import LOOKUPS_PER_SECOND, Sender
from bot.sessions import core as sessions
from bot.sessions.delivery import Deliverer
from bot.sessions.slots import pending_slots
from bot.slack_client import delivery_client
from bot.store import Store

log = logging.getLogger(__name__)

RECONCILE = "reconcile"
RECONCILE_NOW = "reconcile-now"
LOOKAHEAD = timedelta(hours=6)  # slots due this soon get a job; later ones wait for a later reconcile
EXPAND_EVERY = timedelta(hours=1)
COUNTS_DELAY = timedelta(seconds=2)  # RSVPs arriving together make one chat.update
WORKERS = 4
# Slack counts calls as they arrive: paced at exactly its limit, a few milliseconds of
# network jitter put one call too many into some second, and each 429 stalls the whole
# fan-out for its Retry-After. DMs therefore go out a little under REMINDER_DM_PER_SECOND.
DM_RATE_HEADROOM = 0.95
POSTS, LOOKUPS = "chat.postMessage", "conversations.history"  # the paces, shared by every process
JOB_DEFAULTS = {
    "coalesce": True,  # a job that missed several runs runs once
    "max_instances": 1,  # never two runs of one job at a time in this process
    "misfire_grace_time": 3600,  # a job late by up to an hour (busy workers, a slow start) still runs
}


class SessionScheduler:
    """Runs reminders while the bot serves (a :class:`bot.runtime.Service`).

    :param coordinators: returns the coordinators' ids (told once when a channel cannot be posted in).
    :param instance: this process, as the others see it (started before the scheduler): claims are its.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        coordinators: Callable[[], Iterable[str]],
        instance: Instance,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.settings = settings
        self.coordinators = coordinators
        self.instance = instance
        self.clock = clock
        instance.when_others_go(lambda gone: self.changed())
        self.stopping = threading.Event()
        self.deliverer: Deliverer | None = None
        self._expanded_at: datetime | None = None
        self._jobs = RunningJobs(self.stopping)
        self._rounds = 0
        self._scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(WORKERS)},
            job_defaults=JOB_DEFAULTS,
            timezone=UTC,
        )

    @property
    def running(self) -> bool:
        return self._scheduler.running

    def start(self) -> None:
        """Start the scheduler; the first reconcile (the catch-up) runs at once."""
        settings = self.settings
        self.stopping.clear()
        client = delivery_client(settings.bot_token, settings.slack_api_url)
        claims = Claims(self.store, self.instance.id, clock=self.clock)
        sender = Sender(
            client,
            claims,
            pace=Pacer(self.store, POSTS, settings.reminder_dm_per_second * DM_RATE_HEADROOM, self.stopping, self.clock),
            lookups=Pacer(self.store, LOOKUPS, LOOKUPS_PER_SECOND, self.stopping, self.clock),
            stopping=self.stopping,
            clock=self.clock,
        )
        self.deliverer = Deliverer(
            self.store,
            client,
            claims=claims,
            sender=sender,
            coordinators=self.coordinators,
            stopping=self.stopping,
            clock=self.clock,
        )
        # APScheduler logs every run of every job at INFO (the reconcile runs each minute);
        # what was delivered or skipped is logged by bot.sessions.delivery instead.
        for name in ("apscheduler.scheduler", "apscheduler.executors.default"):
            logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
        self._scheduler.start()
        self._scheduler.add_job(
            self._jobs.job(self.reconcile),
            IntervalTrigger(seconds=settings.reconcile_seconds),
            id=RECONCILE,
            replace_existing=True,
            next_run_time=self._now(),
        )
        log.info("scheduler started: reconciling every %ds", settings.reconcile_seconds)

    def stop(self) -> None:
        """Stop between messages: an unfinished fan-out is left for the next start to resume."""
        self._jobs.stop(self._scheduler)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def next_run(self) -> datetime | None:
        """When the scheduler runs its next job (a reminder or its regular reconcile), or None."""
        if not self._scheduler.running:
            return None
        times = [job.next_run_time for job in self._scheduler.get_jobs() if job.next_run_time]
        return min(times, default=None)

    # ------------------------------------------------------------------------- jobs

    def reconcile(self) -> None:
        """Make the jobs match the database: one per slot due soon or overdue and not settled."""
        now = self._now()
        if self._expanded_at is None or now - self._expanded_at >= EXPAND_EVERY:
            sessions.expand_all(self.store, now)
            self._expanded_at = now
        wanted: set[str] = set()
        for slot in pending_slots(self.store, now, LOOKAHEAD):
            job_id = f"slot:{slot.occurrence_id}|{slot.kind}"
            wanted.add(job_id)
            run_at = max(slot.due_at, now)
            job = self._scheduler.get_job(job_id)
            if job is not None and (job.next_run_time <= now or job.next_run_time == run_at):
                continue  # already waiting for its time, or about to run
            self._scheduler.add_job(
                self._jobs.job(self._deliver),
                DateTrigger(run_date=run_at),
                args=[slot.occurrence_id, slot.kind],
                id=job_id,
                replace_existing=True,
            )
        for job in self._scheduler.get_jobs():
            if job.id.startswith("slot:") and job.id not in wanted:
                job.remove()
        self._rounds += 1
        # At DEBUG, a sign that every change made before this round is scheduled (the tests wait on it).
        log.debug("reconcile round %d: %d slot(s) pending", self._rounds, len(wanted))

    def _deliver(self, occurrence_id: str, kind: str) -> None:
        assert self.deliverer is not None
        self.deliverer.deliver(occurrence_id, kind)

    def _refresh(self, occurrence_id: str) -> None:
        assert self.deliverer is not None
        self.deliverer.refresh_posts(occurrence_id)

    def every_day(self, job_id: str, func: Callable[[], object]) -> None:
        """Run ``func`` when the scheduler starts and then once a day (housekeeping, such as the
        share-out retention purge). Call before :meth:`start`."""
        self._scheduler.add_job(
            self._jobs.job(func), IntervalTrigger(days=1), id=job_id, replace_existing=True, next_run_time=self._now()
        )

    def changed(self) -> None:
        """Sessions changed (added, moved, cancelled): reconcile now rather than at the next round."""
        if self.running:
            self._scheduler.add_job(
                self._jobs.job(self.reconcile), DateTrigger(run_date=self._now()), id=RECONCILE_NOW, replace_existing=True
            )

    def rsvps_changed(self, occurrence_id: str) -> None:
        """Redraw the session's channel posts shortly (RSVPs in the same moment share one update)."""
        job_id = f"counts:{occurrence_id}"
        if self.running and self._scheduler.get_job(job_id) is None:
            self._scheduler.add_job(
                self._jobs.job(self._refresh),
                DateTrigger(run_date=self._now() + COUNTS_DELAY),
                args=[occurrence_id],
                id=job_id,
                replace_existing=True,
            )
