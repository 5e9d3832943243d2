"""Sending a round's introductions and follow-ups: each once, at Slack's pace, whatever happens.

Every message is claimed first in the claims ledger (:mod:`bot.claims`), keyed by the round
(``connections:<round id>``), the kind (``introduction`` or ``follow-up``) and the group
(``pair:<id>``); the fan-out as a whole is claimed too (``*``), so a second process does not
work through the same round. A restart, a retried job or a second process therefore never
doubles or drops one.

An introduction opens the group DM (``conversations.open`` with the members, idempotent) and
posts in it through :class:`bot.sender.Sender`, as reminders are posted: a post whose answer
was lost (a timeout, a dropped connection, a 5xx, or a process that died while Slack was
answering) is looked for in the group DM by its key before it is sent again, and recorded
skipped, as may have been posted, when it can't be looked for. Each Slack method has its own
pace (:class:`bot.pacing.Pacer`), so a round goes out at ``CONNECTIONS_PER_MINUTE``
introductions a minute and no faster; 429s are waited out, 5xx answers, timeouts and dropped
connections retried with backoff. A failure that retrying
can't mend (a member who left the workspace, DMs they can't receive) is recorded, with
Slack's code, and the round goes on.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import Message
from bot.claims import EVERYONE, FAILED, SENT, SKIPPED, Claim, Claims
from bot.connections import blocks
from bot.connections.content import ConnectionsContent
from bot.connections.core import get_profile, set_timezone
from bot.connections.rounds import (
    PLANNED,
    Group,
    Round,
    active_members,
    get_round,
    groups_of,
    record_introduced,
    time_zones,
)
from bot.connections.timing import suggest_meeting
from bot.pacing import TRANSIENT_ERRORS, Pacer, backoff_delay, rate_limited, retry_after
from bot.sender import Outcome, Sender
from bot.store import Store

log = logging.getLogger(__name__)

INTRODUCTION, FOLLOW_UP = "introduction", "follow-up"
INTRODUCTION_USEFUL = timedelta(days=7)  # an introduction later than this after the round started is not sent
# Two senders work through a round side by side, so one's wait on the database overlaps the other's
# on Slack: together they keep up with the pace, which the pacers hold whatever their number.
SENDERS = 2
OPEN, POST, USER = "conversations.open", "chat.postMessage", "users.info"
NOT_IN_IT = "not sent: a member paused, left connections or deleted their data after the round was planned"


def ledger_key(round_id: str) -> str:
    """A round's key in the claims ledger (its ``occurrence_id`` column)."""
    return f"connections:{round_id}"


class Introducer:
    """Sends a round's introductions, and later its follow-ups, to each group once.

    :param sender: posts each message once (its pace is the one for :data:`POST`).
    :param pacers: one pace per other Slack method it calls (:data:`OPEN`, :data:`USER`).
    :param stopping: set when the process shuts down; a fan-out stops between messages.
    :param timezone: the community's zone, for a member whose Slack zone is unknown.
    """

    def __init__(
        self,
        store: Store,
        client: WebClient,
        content: ConnectionsContent,
        *,
        claims: Claims,
        sender: Sender,
        pacers: dict[str, Pacer],
        stopping: threading.Event,
        timezone: str,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.client = client
        self.content = content
        self.claims = claims
        self.sender = sender
        self.pacers = pacers
        self.stopping = stopping
        self.timezone = timezone
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # ------------------------------------------------------------------------- fan-outs

    def introduce(self, round_id: str) -> str:
        """Introduce every group of a round that has not been introduced yet.

        :returns: what happened, for the log: ``40 sent, 1 failed``, ``busy``, ``early``...
        """
        found = get_round(self.store, round_id)
        if found is None or found.status != PLANNED:
            return "gone"
        return self._fan_out(found, INTRODUCTION, found.due_at, found.due_at + INTRODUCTION_USEFUL, self._introduce)

    def follow_up(self, round_id: str) -> str:
        """Ask every introduced group of a round, once, whether they met."""
        found = get_round(self.store, round_id)
        if found is None or found.status != PLANNED or found.follow_up_at is None or found.ends_at is None:
            return "gone"
        return self._fan_out(found, FOLLOW_UP, found.follow_up_at, found.ends_at, self._follow_up)

    def _fan_out(
        self, found: Round, kind: str, due: datetime, until: datetime, send: Callable[[Round, Group, datetime], Outcome]
    ) -> str:
        if self._now() < due:
            return "early"
        whole = self.claims.take(ledger_key(found.id), kind, EVERYONE)
        if whole is None:
            return "busy"
        if self._now() >= until:
            self.claims.finish(whole, SKIPPED, detail="too late")
            log.info("skipped the %ss of round %s: too late", kind, found.id)
            return "skipped: too late"
        queue = iter(groups_of(self.store, found.id))
        tally: Counter[str] = Counter()
        lock, halt = threading.Lock(), threading.Event()

        def work() -> None:
            # Each sender takes the next group; the pace is the pacers', shared by all of them.
            while not halt.is_set():
                with lock:
                    group = next(queue, None)
                if group is None:
                    return
                outcome = send(found, group, until)
                with lock:
                    tally[outcome.state] += 1
                if outcome.state == "stopped":
                    halt.set()

        senders = [threading.Thread(target=work, name=f"connections-{kind}-{n}", daemon=True) for n in range(SENDERS)]
        for sender in senders:
            sender.start()
        lost = False
        while any(sender.is_alive() for sender in senders):
            for sender in senders:  # the round's claim is renewed every third of its lease
                sender.join(self.claims.lease / 3 / SENDERS)
            if any(sender.is_alive() for sender in senders) and not self.claims.renew(whole):
                lost = True  # another process took the round over; each message is still claimed on its own
                halt.set()
        if tally["stopped"]:
            self.claims.release(whole)
            return "stopped"
        if lost:
            return "lost"
        summary = ", ".join(f"{count} {state}" for state, count in sorted(tally.items())) or "no groups"
        self.claims.finish(whole, SENT, detail=summary)
        log.info("%ss of round %s: %s", kind, found.id, summary)
        return summary

    # ------------------------------------------------------------------------- one group

    def _introduce(self, found: Round, group: Group, until: datetime) -> Outcome:
        claim = self.claims.take(ledger_key(found.id), INTRODUCTION, group.key, can_look=True)
        if claim is None:
            return Outcome("already handled")
        people = group.user_ids
        if len(people) < len(group.members) or active_members(self.store, people) != set(people):
            self.claims.finish(claim, SKIPPED, detail=NOT_IN_IT)
            return Outcome(SKIPPED, NOT_IN_IT)
        zones = [self._zone(user_id, tz) for user_id, tz in time_zones(self.store, people).items()]
        suggested = suggest_meeting(zones, self._now())
        profiles = {}
        for user_id in people:
            profile = get_profile(self.store, user_id)
            profiles[user_id] = (profile.sector, profile.state) if profile else ("", None)
        message = blocks.introduction_message(
            self.content, group, profiles, suggested, timezone=self.timezone, follow_up=found.follow_up_at
        )
        outcome, channel = self._send(claim, group, message, until)
        if outcome.state == SENT and channel:
            record_introduced(self.store, group.id, channel, self._now(), suggested)
        return outcome

    def _follow_up(self, found: Round, group: Group, until: datetime) -> Outcome:
        if group.introduced_at is None:
            return Outcome("not introduced")
        claim = self.claims.take(ledger_key(found.id), FOLLOW_UP, group.key, can_look=True)
        if claim is None:
            return Outcome("already handled")
        if not group.user_ids:
            self.claims.finish(claim, SKIPPED, detail=NOT_IN_IT)
            return Outcome(SKIPPED, NOT_IN_IT)
        return self._send(claim, group, blocks.follow_up_message(group), until)[0]

    def _zone(self, user_id: str, known: str | None) -> ZoneInfo:
        """The member's Slack time zone: remembered from when they joined, else asked of Slack once."""
        name = known
        if name is None and self.pacers[USER].wait_turn():
            try:
                name = str(self.client.users_info(user=user_id)["user"].get("tz") or "") or None
            except (SlackApiError, OSError, http.client.HTTPException, KeyError, TypeError) as error:
                log.info("no time zone for %s (%s); using %s", user_id, type(error).__name__, self.timezone)
            if name:
                set_timezone(self.store, user_id, name)
        try:
            return ZoneInfo(name or self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(self.timezone)

    def _send(self, claim: Claim, group: Group, message: Message, until: datetime) -> tuple[Outcome, str | None]:
        """Open the group DM if it isn't yet, and post ``message`` in it through the sender (which
        looks for a post whose answer was lost before sending it again); the outcome, and the group DM."""
        channel, failures = group.channel, 0
        while channel is None:
            if self.stopping.is_set() or not self.pacers[OPEN].wait_turn():
                self.claims.release(claim)
                return Outcome("stopped"), None
            if self._now() >= until:
                self.claims.finish(claim, FAILED, detail="gave up: no longer useful")
                return Outcome(FAILED, "gave up"), None
            # Opening the DM twice is harmless (Slack returns the same one), so it needs no "sending"
            # mark; the claim's lease covers it, renewed after the wait.
            if not self.claims.renew(claim):
                return Outcome("lost"), None
            try:
                channel = str(self.client.conversations_open(users=",".join(group.user_ids))["channel"]["id"])
            except SlackApiError as error:
                code = str(error.response.get("error") or error.response.status_code)
                if rate_limited(error):
                    self.pacers[OPEN].pause(retry_after(error))
                    continue
                if error.response.status_code < 500 and code not in TRANSIENT_ERRORS:
                    log.warning("%s %s of %s failed: %s", claim.kind, claim.recipient, claim.occurrence_id, code)
                    self.claims.finish(claim, FAILED, detail=code)
                    return Outcome(FAILED, code), None
                failures += 1
                log.info("%s %s: Slack answered %s; retrying", claim.kind, claim.recipient, code)
            except (OSError, http.client.HTTPException) as error:  # timeouts, refused or dropped connections
                failures += 1
                log.info("%s %s: %s; retrying", claim.kind, claim.recipient, type(error).__name__)
            if channel is None:
                remaining = (until - self._now()).total_seconds()
                self.stopping.wait(max(0.0, min(backoff_delay(failures), remaining)))
        return self.sender.post(claim, channel, message, until, direct=True), channel
