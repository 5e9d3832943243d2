"""Reminders: what each session owes its members, when, and delivering each message exactly once.

A *slot* is one message a session owes (a reminder at each of its series' offsets,
"starting now", the share-out prompt after it, a cancellation or move notice), with the
moment it falls due and the moment it stops being useful. Its recipients are the series'
channel and, by DM, subscribers (reminders) or the members going (the rest).

Exactly once: before anything is sent, ``(occurrence, kind, recipient)`` is claimed in the
``deliveries`` table inside a ``BEGIN IMMEDIATE`` transaction (a unique key); only the
claimer sends, and it records ``sent``, ``skipped`` or ``failed``. A claim carries a lease:
a process that dies holding one leaves it ``claimed``, and another takes it over only once
the lease has run out, so recipients already marked ``sent`` are never sent again; one
whose message was on its way to Slack when its process died is recorded ``skipped``, as it
may have been posted. The
slot as a whole is claimed the same way (recipient ``*``), so two processes do not both
work through the same fan-out. Another process, a restart or a retried job can therefore
never double a message; the one case left open is a send whose answer was lost (a
timeout), which is retried because Slack may not have posted it.

Slack failures: a 429 pauses every sender for its ``Retry-After``; 5xx answers, timeouts
and dropped connections are retried with exponential backoff and jitter until delivered
or no longer useful; ``not_in_channel`` and ``channel_not_found`` mark the series and tell
the coordinators once. DMs are paced (:class:`Pacer`) under Slack's limits, on the
scheduler's own threads.
"""

from __future__ import annotations

import http.client
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlite_utils import Migrations

from bot.blocks import Message
from bot.sessions import blocks as views
from bot.sessions import core as sessions
from bot.sessions.core import Occurrence, Series
from bot.sessions.recurrence import before_start
from bot.store import Store

log = logging.getLogger(__name__)

migrations = Migrations("heart.reminders")


@migrations()
def create_deliveries(db: sqlite_utils.Database) -> None:
    db["deliveries"].create(
        {
            "id": int,
            "occurrence_id": str,
            "kind": str,  # e.g. reminder-1440, starting, shareout, cancelled, moved.r1
            "recipient": str,  # "channel", a member id, or "*" for the slot as a whole
            "state": str,  # claimed | sent | skipped | failed
            "attempts": int,
            "claimed_by": str,  # host:pid:nonce of the process holding the claim
            "lease_until": float,
            "created_at": float,
            "updated_at": float,
            "channel": str,  # where it was posted (for chat.update)
            "ts": str,
            "detail": str,  # why it was skipped or failed; a fan-out's summary
        },
        pk="id",
        not_null={"occurrence_id", "kind", "recipient", "state", "attempts"},
        defaults={"attempts": 0},
    )
    db["deliveries"].create_index(["occurrence_id", "kind", "recipient"], unique=True)


CLAIMED, SENT, SKIPPED, FAILED = "claimed", "sent", "skipped", "failed"
FINAL = (SENT, SKIPPED, FAILED)
EVERYONE = "*"
CHANNEL = "channel"
REMINDER, STARTING, SHAREOUT, CANCELLED, MOVED = "reminder", "starting", "shareout", "cancelled", "moved"
CHANNEL_PROBLEM = "channel-problem"
LEASE_SECONDS = 60.0
SENDING = "sending"  # a claim's detail while its message is on its way to Slack
OUTCOME_UNKNOWN = "not sent again: the bot stopped while Slack was answering, so it may have been posted"
STARTING_USEFUL = timedelta(minutes=10)  # "starting now" is still worth posting this late
SHAREOUT_USEFUL = timedelta(hours=12)
NOTICE_USEFUL = timedelta(days=7)  # for notices with no session time to go by
CATCH_UP = timedelta(days=2)  # slots that fell due longer ago are not looked at again
MAX_BACKOFF = 60.0
CHANNEL_PROBLEMS = {"not_in_channel", "channel_not_found", "is_archived"}
TRANSIENT_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}


# ----------------------------------------------------------------------------- slots


@dataclass(frozen=True)
class Slot:
    """One message a session owes: its kind, when it is due, until when it is useful."""

    occurrence_id: str
    kind: str  # the key in deliveries: base, offset and the session's revision
    base: str  # reminder | starting | shareout | cancelled | moved
    due_at: datetime
    useful_until: datetime
    audience: str  # who gets a DM: "subscribers" or "going"


def slots_for(occurrence: Occurrence, offsets: Iterable[int]) -> list[Slot]:
    """Every message ``occurrence`` owes, earliest first.

    A moved session's kinds carry its revision (``reminder-15.r1``), so its reminders follow
    the new time even if the old ones were sent.
    """

    suffix = f".r{occurrence.revision}" if occurrence.revision else ""

    def slot(base: str, due: datetime, until: datetime, audience: str = "going", name: str | None = None) -> Slot:
        return Slot(occurrence.id, f"{name or base}{suffix}", base, due, until, audience)

    if not occurrence.live:
        if occurrence.notify and occurrence.changed_at:  # a session is cancelled once: no revision needed
            return [Slot(occurrence.id, CANCELLED, CANCELLED, occurrence.changed_at, occurrence.starts_at, "going")]
        return []
    start, end = occurrence.starts_at, occurrence.ends_at
    found = [
        slot(REMINDER, before_start(start, minutes, occurrence.tz), start, "subscribers", f"{REMINDER}-{minutes}")
        for minutes in offsets
    ]
    found += [slot(STARTING, start, start + STARTING_USEFUL), slot(SHAREOUT, end, end + SHAREOUT_USEFUL)]
    if occurrence.status == sessions.MOVED and occurrence.notify and occurrence.changed_at:
        found.append(slot(MOVED, occurrence.changed_at, start))
    return sorted(found, key=lambda s: s.due_at)


def skip_reason(slot: Slot, occurrence: Occurrence, slots: list[Slot], now: datetime) -> str | None:
    """Why a due slot should not be sent now, or None to send it.

    Too late (a reminder once the session started, "starting now" 10 minutes in); a reminder
    that fell due before the session was scheduled at this time; or a reminder when a later
    one is due too (after downtime members get one reminder, not a burst).
    """
    if now >= slot.useful_until:
        return "too late"
    if slot.base == REMINDER:
        if occurrence.scheduled_at and slot.due_at < occurrence.scheduled_at:
            return "due before the session was scheduled"
        if any(other.base == REMINDER and slot.due_at < other.due_at <= now for other in slots):
            return "superseded by a later reminder"
    return None


def pending_slots(store: Store, now: datetime, lookahead: timedelta) -> list[Slot]:
    """Slots due by ``now + lookahead`` that nobody has finished or is working on, earliest first."""
    offsets = {series.id: series.reminder_offsets for series in sessions.all_series(store, active_only=False)}
    longest = timedelta(minutes=max([0, *(minutes for found in offsets.values() for minutes in found)]))
    occurrences = sessions.occurrences_to_watch(store, now - CATCH_UP, now + lookahead + longest, changed_since=now - CATCH_UP)
    candidates = [
        slot
        for occurrence in occurrences
        for slot in slots_for(occurrence, offsets.get(occurrence.series_id, ()))
        if now - CATCH_UP <= slot.due_at <= now + lookahead
    ]
    settled = _settled(store, {slot.occurrence_id for slot in candidates}, now)
    return [slot for slot in candidates if (slot.occurrence_id, slot.kind) not in settled]


def _settled(store: Store, occurrence_ids: set[str], now: datetime) -> set[tuple[str, str]]:
    """(occurrence, kind) pairs whose slot is final, or claimed by a live process."""
    if not occurrence_ids:
        return set()
    marks = ",".join("?" * len(occurrence_ids))
    rows = store.db.execute(
        f"select occurrence_id, kind from deliveries where recipient = '*' and occurrence_id in ({marks}) "
        "and (state != 'claimed' or lease_until > ?)",
        [*occurrence_ids, now.timestamp()],
    )
    return {(occurrence_id, kind) for occurrence_id, kind in rows}


# ----------------------------------------------------------------------------- claims


@dataclass(frozen=True)
class Claim:
    """The right to send one message to one recipient (a row of ``deliveries``)."""

    id: int
    occurrence_id: str
    kind: str
    recipient: str


def process_token() -> str:
    """Names this process in claims: host, pid and a nonce (pids are reused after restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Claims:
    """Claims in the ``deliveries`` table, held by one process (``owner``) under a lease."""

    def __init__(self, store: Store, owner: str, *, lease: float = LEASE_SECONDS, clock: Callable[[], float] = time.time):
        self.store = store
        self.owner = owner
        self.lease = lease
        self.clock = clock

    def take(self, occurrence_id: str, kind: str, recipient: str) -> Claim | None:
        """Claim a message, or None if it is done or another process holds a live claim on it."""
        now = self.clock()
        with self.store.transaction() as db:
            row = db.execute(
                "select id, state, lease_until, detail from deliveries where occurrence_id = ? and kind = ? and recipient = ?",
                (occurrence_id, kind, recipient),
            ).fetchone()
            if row is None:
                cursor = db.execute(
                    "insert into deliveries (occurrence_id, kind, recipient, state, attempts, claimed_by, lease_until, "
                    "created_at, updated_at) values (?, ?, ?, 'claimed', 0, ?, ?, ?, ?)",
                    (occurrence_id, kind, recipient, self.owner, now + self.lease, now, now),
                )
                return Claim(cursor.lastrowid, occurrence_id, kind, recipient)  # type: ignore[arg-type]
            delivery_id, state, lease_until, detail = row
            if state != CLAIMED or (lease_until or 0) > now:
                return None
            if detail == SENDING:
                # Its holder died while Slack was answering, so the message may be posted: sending
                # it again could double it, recording it skipped cannot.
                db.execute(
                    "update deliveries set state = ?, detail = ?, lease_until = null, updated_at = ? where id = ?",
                    (SKIPPED, OUTCOME_UNKNOWN, now, delivery_id),
                )
                log.warning("delivery %s (%s %s %s): %s", delivery_id, occurrence_id, kind, recipient, OUTCOME_UNKNOWN)
                return None
            # A claim whose holder died: take it over.
            db.execute(
                "update deliveries set claimed_by = ?, lease_until = ?, updated_at = ? where id = ?",
                (self.owner, now + self.lease, now, delivery_id),
            )
            log.info("taking over delivery %s (%s %s %s): its claim expired", delivery_id, occurrence_id, kind, recipient)
            return Claim(delivery_id, occurrence_id, kind, recipient)

    def renew(self, claim: Claim, *, attempt: bool = False) -> bool:
        """Extend the lease; False if the claim was lost. With ``attempt``, count an attempt and
        mark the message as on its way to Slack until :meth:`answered` or :meth:`finish`."""
        now = self.clock()
        with self.store.transaction() as db:
            cursor = db.execute(
                "update deliveries set lease_until = ?, updated_at = ?, attempts = attempts + ?, "
                "detail = case when ? then ? else detail end "
                "where id = ? and state = 'claimed' and claimed_by = ?",
                (now + self.lease, now, int(attempt), attempt, SENDING, claim.id, self.owner),
            )
            return cursor.rowcount > 0

    def answered(self, claim: Claim) -> None:
        """Slack answered the attempt (with an error to retry): it is no longer on its way."""
        with self.store.transaction() as db:
            db.execute("update deliveries set detail = null where id = ? and claimed_by = ?", (claim.id, self.owner))

    def finish(
        self, claim: Claim, state: str, *, detail: str | None = None, channel: str | None = None, ts: str | None = None
    ) -> None:
        """Record the outcome: ``sent`` (with where), ``skipped`` or ``failed`` (with why)."""
        with self.store.transaction() as db:
            db.execute(
                "update deliveries set state = ?, detail = ?, channel = ?, ts = ?, updated_at = ?, lease_until = null "
                "where id = ?",
                (state, detail, channel, ts, self.clock(), claim.id),
            )

    def release(self, claim: Claim) -> None:
        """Give a claim up unfinished (shutting down): another process may take it at once."""
        with self.store.transaction() as db:
            db.execute(
                "update deliveries set lease_until = 0 where id = ? and state = 'claimed' and claimed_by = ?",
                (claim.id, self.owner),
            )


# ----------------------------------------------------------------------------- pacing


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


# ----------------------------------------------------------------------------- delivery


@dataclass(frozen=True)
class Outcome:
    """What became of one recipient's message."""

    state: str  # sent | failed | skipped, or "already handled" (by this slot before, or another process), "stopped", "lost"
    detail: str | None = None


class Deliverer:
    """Sends what a slot owes to each of its recipients, once, and keeps channel posts' counts live.

    :param coordinators: returns the coordinators' ids (told once when a channel cannot be posted in).
    :param stopping: set when the process shuts down; a fan-out stops between messages.
    """

    def __init__(
        self,
        store: Store,
        client: WebClient,
        *,
        claims: Claims,
        pacer: Pacer,
        coordinators: Callable[[], Iterable[str]],
        stopping: threading.Event,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.client = client
        self.claims = claims
        self.pacer = pacer
        self.coordinators = coordinators
        self.stopping = stopping
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def deliver(self, occurrence_id: str, kind: str) -> str:
        """Send slot ``kind`` of an occurrence to everyone it owes, unless done or no longer useful.

        :returns: what happened, for the log: ``12 sent``, ``skipped: too late``, ``busy``, ``gone``...
        """
        occurrence = sessions.get_occurrence(self.store, occurrence_id)
        series = sessions.get_series(self.store, occurrence.series_id) if occurrence else None
        if occurrence is None or series is None:
            return "gone"
        slots = slots_for(occurrence, series.reminder_offsets)
        slot = next((s for s in slots if s.kind == kind), None)
        now = self._now()
        if slot is None:
            return "gone"  # cancelled, moved or re-planned since the job was made
        if now < slot.due_at:
            return "early"
        whole = self.claims.take(occurrence_id, kind, EVERYONE)
        if whole is None:
            return "busy"
        reason = skip_reason(slot, occurrence, slots, now)
        if reason:
            self.claims.finish(whole, SKIPPED, detail=reason)
            log.info("skipped %s %s: %s", occurrence_id, kind, reason)
            return f"skipped: {reason}"
        # Counts as of now; the channel post's are kept live afterwards (refresh_posts).
        messages = {dm: post_message(self.store, slot.base, occurrence, dm=dm) for dm in (False, True)}
        tally: dict[str, int] = {}
        renewed = time.monotonic()
        for recipient in self._recipients(slot, occurrence, series):
            if time.monotonic() - renewed > self.claims.lease / 3:
                if not self.claims.renew(whole):
                    return "lost"
                renewed = time.monotonic()
            outcome = self._deliver_to(slot, occurrence, series, recipient, messages[recipient != CHANNEL])
            if outcome.state == "stopped":
                self.claims.release(whole)
                return "stopped"
            tally[outcome.state] = tally.get(outcome.state, 0) + 1
        summary = ", ".join(f"{count} {state}" for state, count in sorted(tally.items())) or "nobody to tell"
        self.claims.finish(whole, SENT, detail=summary)
        log.info("delivered %s %s: %s", occurrence_id, kind, summary)
        return summary

    def _recipients(self, slot: Slot, occurrence: Occurrence, series: Series) -> list[str]:
        found = [CHANNEL] if occurrence.channel_id else []
        if slot.audience == "subscribers":
            declined = set(sessions.responders(self.store, occurrence.id, sessions.NOT_GOING))
            members = [m for m in sessions.subscribers(self.store, series.id) if m not in declined]
        else:
            members = sessions.responders(self.store, occurrence.id, sessions.GOING)
        return found + members

    def _deliver_to(self, slot: Slot, occurrence: Occurrence, series: Series, recipient: str, message: Message) -> Outcome:
        claim = self.claims.take(slot.occurrence_id, slot.kind, recipient)
        if claim is None:
            return Outcome("already handled")
        channel = occurrence.channel_id if recipient == CHANNEL else recipient
        outcome = self._send(claim, channel or "", message, slot.useful_until)
        if recipient == CHANNEL and outcome.state == SENT and series.channel_problem:
            sessions.clear_channel_problem(self.store, series.id)
        if recipient == CHANNEL and outcome.detail in CHANNEL_PROBLEMS:
            self._report_channel_problem(series, occurrence, outcome.detail)
        return outcome

    def _send(self, claim: Claim, channel: str, message: Message, useful_until: datetime) -> Outcome:
        """Post until Slack takes it, it stops being useful, or it fails for good."""
        failures = 0
        while True:
            if self.stopping.is_set():
                self.claims.release(claim)
                return Outcome("stopped")
            if self._now() >= useful_until:
                self.claims.finish(claim, FAILED, detail="gave up: no longer useful")
                return Outcome(FAILED, "gave up")
            if not self.pacer.wait_turn():
                self.claims.release(claim)
                return Outcome("stopped")
            # Renewed after any wait (a Retry-After may outlast a lease), just before the call.
            if not self.claims.renew(claim, attempt=True):
                return Outcome("lost")
            try:
                payload = message.to_dict()
                response = self.client.chat_postMessage(
                    channel=channel, text=payload["text"], blocks=payload["blocks"], unfurl_links=False, unfurl_media=False
                )
            except SlackApiError as error:
                status, code = error.response.status_code, str(error.response.get("error") or "")
                if status == 429 or code == "ratelimited":
                    self.pacer.pause(retry_after(error))
                    self.claims.answered(claim)
                    continue
                if status < 500 and code not in TRANSIENT_ERRORS:
                    log.warning("delivery %s to %s failed: %s", claim.id, claim.recipient, code)
                    self.claims.finish(claim, FAILED, detail=code)
                    return Outcome(FAILED, code)
                failures += 1
                log.info("delivery %s: Slack answered %s %s; retrying", claim.id, status, code)
            except (OSError, http.client.HTTPException) as error:  # timeouts, refused or dropped connections
                failures += 1
                log.info("delivery %s: %s; retrying", claim.id, type(error).__name__)
            else:
                self.claims.finish(claim, SENT, channel=response.get("channel"), ts=response.get("ts"))
                return Outcome(SENT)
            self.claims.answered(claim)
            self._back_off(failures, useful_until)

    def _back_off(self, failures: int, useful_until: datetime) -> None:
        # Exponential with "equal jitter": half fixed, half random, so retries spread out.
        delay = min(MAX_BACKOFF, 2.0 ** (failures - 1))
        delay = delay / 2 + random.uniform(0, delay / 2)
        remaining = (useful_until - self._now()).total_seconds()
        self.stopping.wait(max(0.0, min(delay, remaining)))

    def _report_channel_problem(self, series: Series, occurrence: Occurrence, error: str) -> None:
        if not sessions.mark_channel_problem(self.store, series.id, error):
            return  # already told
        log.warning("series %s cannot post in channel %s (%s): telling the coordinators", series.id, series.channel_id, error)
        message = views.channel_problem_message(series, occurrence, error)
        until = self._now() + NOTICE_USEFUL
        for coordinator in sorted(self.coordinators()):
            claim = self.claims.take(occurrence.id, CHANNEL_PROBLEM, coordinator)
            if claim is not None:
                self._send(claim, coordinator, message, until)

    def refresh_posts(self, occurrence_id: str) -> int:
        """Redraw the channel posts of a session (live counts, a new time, a cancellation).

        :returns: how many posts were updated.
        """
        occurrence = sessions.get_occurrence(self.store, occurrence_id)
        if occurrence is None:
            return 0
        rows = self.store.db.execute(
            "select kind, channel, ts from deliveries where occurrence_id = ? and recipient = 'channel' and state = 'sent' "
            "and ts is not null",
            (occurrence_id,),
        ).fetchall()
        updated = 0
        for kind, channel, ts in rows:
            base = kind.split(".")[0].split("-")[0]
            if base not in (REMINDER, STARTING, MOVED):
                continue
            payload = post_message(self.store, base, occurrence, dm=False).to_dict()
            try:
                self.client.chat_update(channel=channel, ts=ts, text=payload["text"], blocks=payload["blocks"])
                updated += 1
            except (SlackApiError, OSError, http.client.HTTPException) as error:
                log.warning("could not update the %s post of %s: %s", kind, occurrence_id, type(error).__name__)
        return updated


def post_message(store: Store, base: str, occurrence: Occurrence, *, dm: bool) -> Message:
    """The message a slot of kind ``base`` posts, as of now."""
    if base == REMINDER:
        return views.reminder_message(occurrence, sessions.rsvp_counts(store, occurrence.id), dm=dm)
    if base == STARTING:
        return views.starting_message(occurrence, sessions.rsvp_counts(store, occurrence.id))
    if base == SHAREOUT:
        return views.shareout_prompt_message(occurrence)
    if base == CANCELLED:
        return views.cancelled_message(occurrence)
    return views.moved_message(occurrence, sessions.rsvp_counts(store, occurrence.id))


def delivery_client(token: str | None, base_url: str) -> WebClient:
    """A WebClient with no retry handlers of its own: :class:`Deliverer` paces and retries itself.

    Its timeout is generous: a timed-out post may have reached Slack and is sent again.
    """
    return WebClient(token=token, base_url=base_url, timeout=15, retry_handlers=[])
