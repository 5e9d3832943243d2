"""Monthly connections while the bot serves: rounds planned on schedule, introductions and
follow-ups sent when due (a :class:`bot.runtime.Service`).

Nothing about what to send lives here. Every reconcile (at start, then every
``HEART_RECONCILE_SECONDS``, and at the exact moment the next round or follow-up falls due)
reads the database: it plans a scheduled round that is due (:mod:`bot.connections.rounds`),
or records it skipped while connections are paused, and makes one job per fan-out still owed,
with an explicit id, so running it again never multiplies jobs. The rounds' groups and the
claims ledger make any job that runs twice, in one process or two, send each message once.
A coordinator's "start a round now" (in Slack or at the terminal) is picked up the same way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.claims import Claims, settled
from bot.config import Settings
from bot.connections import rounds
from bot.connections.content import ConnectionsContent
from bot.connections.core import get_schedule, is_paused
from bot.connections.sending import FOLLOW_UP, INTRODUCTION, INTRODUCTION_USEFUL, OPEN, POST, USER, Introducer, ledger_key
from bot.instances import Instance
from bot.jobs import RunningJobs
from bot.pacing import Pacer
from bot.slack_client import delivery_client
from bot.store import Store

log = logging.getLogger(__name__)

RECONCILE, WAKE = "connections-reconcile", "connections-wake"
WORKERS = 2  # a round's introductions and another round's follow-ups may go out side by side
# Paced a little under the limit, as reminders are: a few milliseconds of jitter would
# otherwise put one call too many into some minute, and each 429 stalls the round.
RATE_HEADROOM = 0.95
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


class ConnectionsScheduler:
    """Plans rounds and sends what they owe, in the serving process."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        content: ConnectionsContent,
        *,
        instance: Instance,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.settings = settings
        self.content = content
        self.instance = instance
        self.clock = clock
        instance.when_others_go(lambda gone: self.changed())  # resume their rounds now
        self.stopping = threading.Event()
        self._jobs = RunningJobs(self.stopping)
        self.introducer: Introducer | None = None
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
        """Start; the first reconcile (the catch-up after a restart) runs at once."""
        settings = self.settings
        self.stopping.clear()
        per_second = settings.connections_per_minute / 60 * RATE_HEADROOM
        self.introducer = Introducer(
            self.store,
            delivery_client(settings.bot_token, settings.slack_api_url),
            self.content,
            claims=Claims(self.store, self.instance.id, clock=self.clock),
            # One pace per method, shared with the other processes on the database.
            pacers={
                method: Pacer(self.store, f"connections {method}", per_second, self.stopping) for method in (OPEN, POST, USER)
            },
            stopping=self.stopping,
            timezone=settings.timezone,
            clock=self.clock,
        )
        self._scheduler.start()
        self._scheduler.add_job(
            self._jobs.job(self.reconcile),
            IntervalTrigger(seconds=settings.reconcile_seconds),
            id=RECONCILE,
            replace_existing=True,
            next_run_time=self._now(),
        )
        log.info("connections started: %g introductions a minute at most", settings.connections_per_minute)

    def stop(self) -> None:
        """Stop between messages: an unfinished round is resumed at the next start."""
        self._jobs.stop(self._scheduler)

    def changed(self) -> None:
        """A round was started by hand, or connections resumed: reconcile now, not at the next tick."""
        if self.running:
            self._scheduler.add_job(
                self._jobs.job(self.reconcile), DateTrigger(run_date=self._now()), id=WAKE, replace_existing=True
            )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def reconcile(self) -> None:
        """Plan (or skip) a scheduled round that is due, and make a job for each fan-out still owed."""
        now = self._now()
        schedule = get_schedule(self.store, self.settings.timezone)
        paused = is_paused(self.store)
        due = rounds.scheduled_start_due(self.store, schedule, now)
        if due is not None:
            start, reason = due
            if paused or reason:
                rounds.skip_round(self.store, schedule, start, reason or "connections were paused", now=now)
                log.info("skipped the round of %s: %s", rounds.round_id(start, schedule.timezone), reason or "paused")
            else:
                planned, _ = rounds.plan_round(self.store, self.content, schedule, due=start, planned_by=rounds.SCHEDULE, now=now)
                log.info("planned the round of %s", planned.id)
        wake = [schedule.next_after(now)]
        if not paused:
            owed = rounds.rounds_owing(self.store, now, INTRODUCTION_USEFUL)
            done = settled(self.store, {ledger_key(r.id) for r in owed}, now)
            for found in owed:
                if (ledger_key(found.id), INTRODUCTION) not in done:
                    if found.due_at <= now:
                        self._job(INTRODUCTION, found.id)
                    else:  # planned ahead of its start (at the terminal, or by a test)
                        wake.append(found.due_at)
                if found.follow_up_at and (ledger_key(found.id), FOLLOW_UP) not in done:
                    if found.follow_up_at <= now:
                        self._job(FOLLOW_UP, found.id)
                    else:
                        wake.append(found.follow_up_at)
        # Wake exactly when the next round or follow-up falls due, not up to a reconcile later.
        self._scheduler.add_job(self._jobs.job(self.reconcile), DateTrigger(run_date=min(wake)), id=WAKE, replace_existing=True)

    def _job(self, kind: str, round_id: str) -> None:
        job_id = f"{kind}:{round_id}"
        if self._scheduler.get_job(job_id) is None:
            self._scheduler.add_job(
                self._jobs.job(self._send), DateTrigger(run_date=self._now()), args=[kind, round_id], id=job_id
            )

    def _send(self, kind: str, round_id: str) -> None:
        assert self.introducer is not None
        send = self.introducer.introduce if kind == INTRODUCTION else self.introducer.follow_up
        send(round_id)
