"""Delivery: sending what a slot owes to each of its recipients, and keeping channel posts' counts live.

Each message is claimed first (:mod:`bot.claims`) and posted by the sender (:mod:`bot.sender`),
so it is sent once, whichever process sends it: a 429 pauses every
sender of every process for its ``Retry-After``; 5xx answers, timeouts and dropped connections
are looked for in Slack (by the message's metadata) before they are sent again, with
exponential backoff and jitter, until delivered or no longer useful; ``not_in_channel`` and
``channel_not_found`` mark the series and tell the coordinators once. Messages are paced under
Slack's limits by a pace the processes share, on the scheduler's own threads.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import Message
from bot.claims import CHANNEL, EVERYONE, SENT, SKIPPED, Claim, Claims, channel_posts
from bot.sender import IN_DOUBT, Outcome, Sender
from bot.sessions import blocks
from bot.sessions import core as sessions
from bot.sessions.core import Occurrence, Series
from bot.sessions.slots import CANCELLED, MOVED, REMINDER, SHAREOUT, STARTING, Slot, skip_reason, slots_for
from bot.store import Store

log = logging.getLogger(__name__)

CHANNEL_PROBLEM = "channel-problem"
NOTICE_USEFUL = timedelta(days=7)  # for notices with no session time to go by
CHANNEL_PROBLEMS = {"not_in_channel", "channel_not_found", "is_archived"}


class Deliverer:
    """Sends what a slot owes to each of its recipients, once, and keeps channel posts' counts live.

    :param client: for redrawing channel posts (the sender posts with its own).
    :param coordinators: returns the coordinators' ids (told once when a channel cannot be posted in).
    :param stopping: set when the process shuts down; a fan-out stops between messages.
    """

    def __init__(
        self,
        store: Store,
        client: WebClient,
        *,
        claims: Claims,
        sender: Sender,
        coordinators: Callable[[], Iterable[str]],
        stopping: threading.Event,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.client = client
        self.claims = claims
        self.sender = sender
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
        tally: Counter[str] = Counter()
        waiting: list[tuple[str, Claim]] = []
        renewed = time.monotonic()
        try:
            for recipient, claim, last in self._claimed(slot, self._recipients(slot, occurrence, series), tally, waiting):
                if time.monotonic() - renewed > self.claims.lease / 3:
                    if not self.claims.renew(whole):
                        return "lost"
                    renewed = time.monotonic()
                message = messages[recipient != CHANNEL]
                outcome = self._deliver_to(claim, slot, occurrence, series, recipient, message, wait=last)
                if outcome.state == "stopped":
                    self.claims.release(whole)
                    return "stopped"
                if outcome.state == IN_DOUBT and outcome.claim is not None:
                    waiting.append((recipient, outcome.claim))
                    continue
                tally[outcome.state] += 1
        finally:
            for _, claim in waiting:  # left when stopping: free for whoever resumes
                self.claims.release(claim)
        summary = ", ".join(f"{count} {state}" for state, count in sorted(tally.items())) or "nobody to tell"
        self.claims.finish(whole, SENT, detail=summary)
        log.info("delivered %s %s: %s", occurrence_id, kind, summary)
        return summary

    def _claimed(
        self, slot: Slot, recipients: list[str], tally: Counter[str], waiting: list[tuple[str, Claim]]
    ) -> Iterator[tuple[str, Claim, bool]]:
        """Claim each recipient's message in turn, with whether it is its last turn. A message that
        may have been posted already (its answer lost, or its process dead mid-call) waits in
        ``waiting`` and comes last, once its post has had time to land, so nobody else waits for it."""
        for recipient in recipients:
            claim = self.claims.take(slot.occurrence_id, slot.kind, recipient, can_look=True)
            if claim is None:
                tally["already handled"] += 1
            elif self.sender.ready_at(claim) > self.clock():
                waiting.append((recipient, claim))
            else:
                yield recipient, claim, False
        while waiting:
            recipient, claim = waiting.pop(0)
            yield recipient, claim, True

    def _recipients(self, slot: Slot, occurrence: Occurrence, series: Series) -> list[str]:
        found = [CHANNEL] if occurrence.channel_id else []
        if slot.audience == "subscribers":
            declined = set(sessions.responders(self.store, occurrence.id, sessions.NOT_GOING))
            members = [m for m in sessions.reminder_recipients(self.store, series.id, occurrence.id) if m not in declined]
        elif slot.base == SHAREOUT:
            members = sessions.prompt_recipients(self.store, occurrence.id)
        else:
            members = sessions.responders(self.store, occurrence.id, sessions.GOING)
        return found + members

    def _deliver_to(
        self,
        claim: Claim,
        slot: Slot,
        occurrence: Occurrence,
        series: Series,
        recipient: str,
        message: Message,
        *,
        wait: bool,
    ) -> Outcome:
        channel = occurrence.channel_id if recipient == CHANNEL else recipient
        outcome = self.sender.post(claim, channel or "", message, slot.useful_until, direct=recipient != CHANNEL, wait=wait)
        if recipient == CHANNEL and outcome.state == SENT and series.channel_problem:
            sessions.clear_channel_problem(self.store, series.id)
        if recipient == CHANNEL and outcome.detail in CHANNEL_PROBLEMS:
            self._report_channel_problem(series, occurrence, outcome.detail)
        return outcome

    def _report_channel_problem(self, series: Series, occurrence: Occurrence, error: str) -> None:
        if not sessions.mark_channel_problem(self.store, series.id, error):
            return  # already told
        log.warning("series %s cannot post in channel %s (%s): telling the coordinators", series.id, series.channel_id, error)
        message = blocks.channel_problem_message(series, occurrence, error)
        until = self._now() + NOTICE_USEFUL
        for coordinator in sorted(self.coordinators()):
            claim = self.claims.take(occurrence.id, CHANNEL_PROBLEM, coordinator, can_look=True)
            if claim is not None:
                self.sender.post(claim, coordinator, message, until, direct=True)

    def refresh_posts(self, occurrence_id: str) -> int:
        """Redraw the channel posts of a session (live counts, a new time, a cancellation).

        :returns: how many posts were updated.
        """
        occurrence = sessions.get_occurrence(self.store, occurrence_id)
        if occurrence is None:
            return 0
        updated = 0
        for kind, channel, ts in channel_posts(self.store, occurrence_id):
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
        return blocks.reminder_message(occurrence, sessions.rsvp_counts(store, occurrence.id), dm=dm)
    if base == STARTING:
        return blocks.starting_message(occurrence, sessions.rsvp_counts(store, occurrence.id))
    if base == SHAREOUT:
        return blocks.shareout_prompt_message(occurrence, dm=dm)
    if base == CANCELLED:
        return blocks.cancelled_message(occurrence)
    return blocks.moved_message(occurrence, sessions.rsvp_counts(store, occurrence.id))
