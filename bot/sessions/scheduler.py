"""Reminders on the process's scheduler (:mod:`bot.scheduling`), with jobs derived from the database.

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
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from bot.scheduling import Scheduler, Sending
from bot.sessions import core as sessions
from bot.sessions.delivery import Deliverer
from bot.sessions.slots import pending_slots

log = logging.getLogger(__name__)

RECONCILE = "reconcile"
RECONCILE_NOW = "reconcile-now"
LOOKAHEAD = timedelta(hours=6)  # slots due this soon get a job; later ones wait for a later reconcile
EXPAND_EVERY = timedelta(hours=1)
COUNTS_DELAY = timedelta(seconds=2)  # RSVPs arriving together make one chat.update
# Slack counts calls as they arrive: paced at exactly its limit, a few milliseconds of
# network jitter put one call too many into some second, and each 429 stalls the whole
# fan-out for its Retry-After. DMs therefore go out a little under REMINDER_DM_PER_SECOND.
DM_RATE_HEADROOM = 0.95
POSTS = "chat.postMessage"  # the pace, shared by every process


class SessionScheduler:
    """Reminders while the bot serves: registers its reconcile on the process's ``scheduler``.

    :param coordinators: returns the coordinators' ids (told once when a channel cannot be posted in).
    """

    def __init__(self, scheduler: Scheduler, *, coordinators: Callable[[], Iterable[str]]):
        self.scheduler = scheduler
        self.store = scheduler.store
        self.coordinators = coordinators
        scheduler.instance.when_others_go(lambda gone: self.changed())
        self.deliverer: Deliverer | None = None
        self._expanded_at: datetime | None = None
        self._rounds = 0
        scheduler.register(RECONCILE, self.reconcile, prepare=self._prepare)

    @property
    def running(self) -> bool:
        return self.scheduler.running

    def _prepare(self, sending: Sending) -> None:
        """Build the reminder sender (at each start of the scheduler)."""
        per_second = self.scheduler.settings.reminder_dm_per_second * DM_RATE_HEADROOM
        self.deliverer = Deliverer(
            self.store,
            sending.client,
            claims=sending.claims,
            sender=sending.sender(POSTS, per_second),
            coordinators=self.coordinators,
            stopping=sending.stopping,
            clock=sending.clock,
        )

    def next_run(self) -> datetime | None:
        """When the scheduler runs its next job (a reminder or a regular reconcile), or None."""
        return self.scheduler.next_run()

    # ------------------------------------------------------------------------- jobs

    def reconcile(self) -> None:
        """Make the jobs match the database: one per slot due soon or overdue and not settled."""
        now = self.scheduler.now()
        if self._expanded_at is None or now - self._expanded_at >= EXPAND_EVERY:
            sessions.expand_all(self.store, now)
            self._expanded_at = now
        wanted: set[str] = set()
        for slot in pending_slots(self.store, now, LOOKAHEAD):
            job_id = f"slot:{slot.occurrence_id}|{slot.kind}"
            wanted.add(job_id)
            run_at = max(slot.due_at, now)
            job = self.scheduler.job(job_id)
            if job is not None and (job.next_run_time <= now or job.next_run_time == run_at):
                continue  # already waiting for its time, or about to run
            self.scheduler.at(job_id, self._deliver, run_at, slot.occurrence_id, slot.kind)
        for job in self.scheduler.jobs():
            if job.id.startswith("slot:") and job.id not in wanted:
                job.remove()
        self._rounds += 1
        # At DEBUG, a sign that every change made before this round is scheduled (the tests wait on it).
        log.debug("reconcile round %d: %d slot%s pending", self._rounds, len(wanted), "" if len(wanted) == 1 else "s")

    def _deliver(self, occurrence_id: str, kind: str) -> None:
        assert self.deliverer is not None
        self.deliverer.deliver(occurrence_id, kind)

    def _refresh(self, occurrence_id: str) -> None:
        assert self.deliverer is not None
        self.deliverer.refresh_posts(occurrence_id)

    def changed(self) -> None:
        """Sessions changed (added, moved, cancelled): reconcile now rather than at the next round."""
        if self.running:
            self.scheduler.at(RECONCILE_NOW, self.reconcile, self.scheduler.now())

    def rsvps_changed(self, occurrence_id: str) -> None:
        """Redraw the session's channel posts shortly (RSVPs in the same moment share one update)."""
        job_id = f"counts:{occurrence_id}"
        if self.running and self.scheduler.job(job_id) is None:
            self.scheduler.at(job_id, self._refresh, self.scheduler.now() + COUNTS_DELAY, occurrence_id)
