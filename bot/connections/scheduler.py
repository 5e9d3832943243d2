"""Monthly connections while the bot serves, on the process's scheduler (:mod:`bot.scheduling`):
rounds planned on schedule, introductions and follow-ups sent when due.

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

from bot.claims import settled
from bot.connections import rounds
from bot.connections.content import ConnectionsContent
from bot.connections.core import get_schedule, is_paused
from bot.connections.sending import FOLLOW_UP, INTRODUCTION, INTRODUCTION_USEFUL, OPEN, POST, USER, Introducer, ledger_key
from bot.scheduling import Scheduler, Sending

log = logging.getLogger(__name__)

RECONCILE, WAKE = "connections-reconcile", "connections-wake"
# Paced a little under the limit, as reminders are: a few milliseconds of jitter would
# otherwise put one call too many into some minute, and each 429 stalls the round.
RATE_HEADROOM = 0.95


class ConnectionsScheduler:
    """Plans rounds and sends what they owe: registers its reconcile on the process's ``scheduler``."""

    def __init__(self, scheduler: Scheduler, content: ConnectionsContent):
        self.scheduler = scheduler
        self.store = scheduler.store
        self.settings = scheduler.settings
        self.content = content
        scheduler.instance.when_others_go(lambda gone: self.changed())  # resume their rounds now
        self.introducer: Introducer | None = None
        scheduler.register(RECONCILE, self.reconcile, prepare=self._prepare)

    @property
    def running(self) -> bool:
        return self.scheduler.running

    def _prepare(self, sending: Sending) -> None:
        """Build the introducer (at each start of the scheduler)."""
        settings = self.settings
        per_second = settings.connections_per_minute / 60 * RATE_HEADROOM
        self.introducer = Introducer(
            self.store,
            sending.client,
            self.content,
            claims=sending.claims,
            # One pace per method, shared with the other processes on the database.
            sender=sending.sender(f"connections {POST}", per_second),
            pacers={method: sending.pace(f"connections {method}", per_second) for method in (OPEN, USER)},
            stopping=sending.stopping,
            timezone=settings.timezone,
            clock=sending.clock,
        )
        log.info("connections started: %g introductions a minute at most", settings.connections_per_minute)

    def changed(self) -> None:
        """A round was started by hand, or connections resumed: reconcile now, not at the next tick."""
        if self.running:
            self.scheduler.at(WAKE, self.reconcile, self.scheduler.now())

    def reconcile(self) -> None:
        """Plan (or skip) a scheduled round that is due, and make a job for each fan-out still owed."""
        now = self.scheduler.now()
        schedule = get_schedule(self.store, self.settings.timezone)
        paused = is_paused(self.store)
        due = rounds.scheduled_start_due(self.store, schedule, now)
        if due is not None:
            start, reason = due
            if paused or reason:
                rounds.skip_round(self.store, schedule, start, reason or "connections were paused", now=now)
                log.info("skipped the round of %s: %s", rounds.round_id(start, schedule.timezone), reason or "paused")
            else:
                planned = rounds.plan_scheduled(self.store, self.content, schedule, due=start, now=now)
                log.info("%s the round of %s%s", planned.status, planned.id, f": {planned.detail}" if planned.detail else "")
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
        self.scheduler.at(WAKE, self.reconcile, min(wake))

    def _job(self, kind: str, round_id: str) -> None:
        job_id = f"{kind}:{round_id}"
        if self.scheduler.job(job_id) is None:
            self.scheduler.at(job_id, self._send, self.scheduler.now(), kind, round_id)

    def _send(self, kind: str, round_id: str) -> None:
        assert self.introducer is not None
        send = self.introducer.introduce if kind == INTRODUCTION else self.introducer.follow_up
        send(round_id)
