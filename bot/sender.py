"""Posting one claimed message to Slack, once, through Slack's failures.

Every message goes out with Slack message metadata that carries its claim's key
(``{"event_type": "heart_delivery", "event_payload": {"delivery": KEY}}``). Slack's answers:

- posted: recorded ``sent``, with where.
- 429: everyone pauses for its ``Retry-After`` (:class:`bot.pacing.Pacer`), then it is sent.
- a refusal (``not_in_channel``, ``user_not_found``...): recorded ``failed``.
- no answer that says (a timeout, a dropped connection, a 5xx, which Slack says may come after
  part of the work): the message may have been posted. Before sending again the sender looks
  for its key among the conversation's messages since the attempt (``conversations.history``
  with ``include_all_metadata``, paced under Slack's limits for it), and records ``sent`` if it
  is there. If the lookup can't be made (a missing scope, more messages than it reads), a DM is
  recorded ``skipped`` as may-have-been-sent rather than risk a second copy in a member's DMs;
  a channel post is sent again, as one missing from the channel costs everyone more than a
  second one. The log says which.

A claim taken over from a process that died mid-call is in doubt the same way; its lookup waits
until :data:`SETTLE_SECONDS` after that call began, so a post still on its way is found.

The lookup reads only the bot's own DM with the member, or the channel of the message, only the
messages since the attempt, and keeps nothing of them but the one it looks for: it compares each
message's metadata with the key and lets the rest go unread and unlogged.
"""

from __future__ import annotations

import enum
import http.client
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import Message
from bot.claims import FAILED, SENT, SKIPPED, Claim, Claims
from bot.pacing import TRANSIENT_ERRORS, Pacer, backoff_delay, rate_limited, retry_after

log = logging.getLogger(__name__)

METADATA_EVENT = "heart_delivery"
SETTLE_SECONDS = 5.0  # how long after a call began its post may still land, once its caller died
LOOKUP_MARGIN = 60.0  # the lookup reaches this far before the attempt began (Slack's clock and ours differ)
LOOKUP_PAGE = 15  # messages a page: Slack's cap for conversations.history outside the Marketplace
LOOKUP_PAGES = 4
LOOKUPS_PER_SECOND = 40 / 60  # conversations.history and .open are Tier 3 (50+ a minute)
LOOKUPS = "conversations.history"  # the lookups' pace, shared by every feature and process
MAY_HAVE_BEEN_SENT = "not sent again: Slack's answer was lost and the lookup could not be made, so it may have been posted"


@dataclass(frozen=True)
class Outcome:
    """What became of one message: ``sent``, ``failed``, ``skipped``, ``stopped`` (the process
    is stopping; the claim was given back), ``lost`` (another process took the claim over), or
    ``in doubt`` (its answer was lost; ``claim`` is to be posted again from :meth:`Sender.ready_at`)."""

    state: str
    detail: str | None = None
    claim: Claim | None = None


IN_DOUBT = "in doubt"


class Found(enum.Enum):
    """What a lookup for a message's key found."""

    POSTED = "posted"
    ABSENT = "absent"
    CANNOT_LOOK = "cannot look"  # for good: a scope, a channel, too many messages
    TRY_AGAIN = "try again"  # Slack failing or limiting for now


@dataclass(frozen=True)
class Lookup:
    """A lookup's result: what it found, where the message is (when posted), or why it can't look."""

    found: Found
    why: str | None = None
    channel: str | None = None
    ts: str | None = None


def reached_slack(error: OSError | http.client.HTTPException) -> bool:
    """False when a call surely never reached Slack (refused, or its host not found): nothing can
    have been posted. Timeouts and dropped connections may have come after Slack took it."""
    cause = getattr(error, "reason", error)  # urllib wraps the socket's error
    return not isinstance(cause, (ConnectionRefusedError, socket.gaierror))


def carries(message: Mapping[str, Any], key: str) -> bool:
    """True when a message from conversations.history carries the delivery ``key`` in its metadata."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == METADATA_EVENT and payload.get("delivery") == key


class Sender:
    """Posts claimed messages: paced by ``pace``, looked for (when an answer is lost) at ``lookups``' pace.

    :param stopping: set when the process shuts down; a send stops between attempts.
    :param settle: how long after a call began, its caller gone, its post may still land.
    """

    def __init__(
        self,
        client: WebClient,
        claims: Claims,
        *,
        pace: Pacer,
        lookups: Pacer,
        stopping: threading.Event,
        clock: Callable[[], float] = time.time,
        settle: float = SETTLE_SECONDS,
    ):
        self.client = client
        self.claims = claims
        self.pace = pace
        self.lookups = lookups
        self.stopping = stopping
        self.clock = clock
        self.settle = settle

    def ready_at(self, claim: Claim) -> float:
        """When ``claim`` can be sent or looked for: at once, or ``settle`` seconds after an earlier
        holder's call began, if it may have been posted (callers send others meanwhile)."""
        return claim.in_doubt_since + self.settle if claim.in_doubt_since else 0.0

    def post(
        self,
        claim: Claim,
        channel: str,
        message: Message,
        useful_until: datetime,
        *,
        direct: bool,
        wait: bool = True,
    ) -> Outcome:
        """Post ``message`` to ``channel`` (links not unfurled) until Slack takes it, it stops being
        useful, or it fails for good; record the outcome on ``claim``.

        :param direct: True for a private message, a DM to a member (``channel`` is their id) or a
            group DM (its id): when Slack's answer is lost and the lookup can't be made, it is
            recorded as may-have-been-sent, not sent again.
        :param wait: False to return ``in doubt`` rather than wait while a post whose answer was lost
            may still be landing (a fan-out sends the others meanwhile, then posts it again).
        """
        payload = message.to_dict()
        content = {"text": payload["text"], "blocks": payload["blocks"], "unfurl_links": False, "unfurl_media": False}
        failures = 0
        in_doubt = claim.in_doubt_since  # when the attempt that may have been posted began
        look_after = self.ready_at(claim)
        while True:
            if self.stopping.is_set():
                self.claims.release(claim)
                return Outcome("stopped")
            late = self._now() >= useful_until
            if in_doubt is not None:  # looked for even when late: what was posted is recorded as posted
                if self.stopping.wait(max(0.0, look_after - self.clock())):
                    continue
                lookup = self._look_for(claim, channel, in_doubt, direct=direct)
                if lookup.found is Found.POSTED:
                    log.info("delivery %s to %s: found posted after its answer was lost", claim.id, claim.recipient)
                    return self._finish(claim, SENT, None, channel=lookup.channel, ts=lookup.ts)
                if late and lookup.found is not Found.ABSENT:
                    return self._finish(claim, SKIPPED, "no longer useful, and Slack's answer was lost: may have been posted")
                if lookup.found is Found.TRY_AGAIN:
                    failures += 1
                    self._back_off(failures, useful_until)
                    continue
                if lookup.found is Found.CANNOT_LOOK:
                    if direct:
                        log.warning("delivery %s to %s: %s (%s)", claim.id, claim.recipient, MAY_HAVE_BEEN_SENT, lookup.why)
                        return self._finish(claim, SKIPPED, MAY_HAVE_BEEN_SENT)
                    log.warning(
                        "delivery %s to %s: Slack's answer was lost and the lookup could not be made (%s): "
                        "sending it again, as a channel post missing costs more than one twice",
                        claim.id,
                        claim.recipient,
                        lookup.why,
                    )
                in_doubt = None  # not there: send it
            if late:
                return self._finish(claim, FAILED, "gave up: no longer useful")
            if not self.pace.wait_turn():
                self.claims.release(claim)
                return Outcome("stopped")
            # Renewed after any wait (a Retry-After may outlast a lease), just before the call.
            attempt_at = self.clock()
            if not self.claims.renew(claim, attempt=True):
                return Outcome("lost")
            try:
                response = self.client.chat_postMessage(
                    channel=channel,
                    **content,
                    metadata={"event_type": METADATA_EVENT, "event_payload": {"delivery": claim.key}},
                )
            except SlackApiError as error:
                status, code = error.response.status_code, str(error.response.get("error") or "")
                if rate_limited(error):
                    self.pace.pause(retry_after(error))
                    self.claims.answered(claim)
                    continue
                if status < 500 and code not in TRANSIENT_ERRORS:
                    log.warning("delivery %s to %s failed: %s", claim.id, claim.recipient, code)
                    return self._finish(claim, FAILED, code)
                # Slack answered, so the call is over; but it may have posted before failing.
                failures += 1
                in_doubt, look_after = attempt_at, 0.0
                log.info("delivery %s: Slack answered %s %s; looking for it before sending again", claim.id, status, code)
            except (OSError, http.client.HTTPException) as error:  # timeouts, refused or dropped connections
                failures += 1
                if reached_slack(error):  # no answer: the post may still be landing
                    in_doubt, look_after = attempt_at, attempt_at + self.settle
                    log.info("delivery %s: %s; looking for it before sending again", claim.id, type(error).__name__)
                    if not wait:
                        return Outcome(IN_DOUBT, claim=replace(claim, in_doubt_since=attempt_at))
                else:
                    self.claims.answered(claim)
                    log.info("delivery %s: %s; retrying", claim.id, type(error).__name__)
            else:
                return self._finish(claim, SENT, None, channel=response.get("channel"), ts=response.get("ts"))
            self._back_off(failures, useful_until)

    # ------------------------------------------------------------------------- lookups

    def _look_for(self, claim: Claim, channel: str, since: float, *, direct: bool) -> Lookup:
        """Look for ``claim``'s key among the conversation's messages since ``since`` (less a margin)."""
        try:
            if not self.lookups.wait_turn():
                return Lookup(Found.TRY_AGAIN, "stopping")
            conversation = channel
            if direct and channel[:1] in ("U", "W"):  # a member (Slack's user ids): the bot's own DM with them
                conversation = self.client.conversations_open(users=channel)["channel"]["id"]
            cursor = None
            for _ in range(LOOKUP_PAGES):
                if not self.lookups.wait_turn():
                    return Lookup(Found.TRY_AGAIN, "stopping")
                page = self.client.conversations_history(
                    channel=conversation,
                    oldest=f"{since - LOOKUP_MARGIN:.6f}",
                    limit=LOOKUP_PAGE,
                    include_all_metadata=True,
                    cursor=cursor,
                )
                posted = next((m for m in page.get("messages") or [] if carries(m, claim.key)), None)
                if posted is not None:
                    return Lookup(Found.POSTED, channel=conversation, ts=posted.get("ts"))
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not page.get("has_more") or not cursor:
                    return Lookup(Found.ABSENT)
            return Lookup(Found.CANNOT_LOOK, f"more than {LOOKUP_PAGE * LOOKUP_PAGES} messages since it was sent")
        except SlackApiError as error:
            status, code = error.response.status_code, str(error.response.get("error") or "")
            if rate_limited(error):
                self.lookups.pause(retry_after(error))
                return Lookup(Found.TRY_AGAIN, code)
            if status >= 500 or code in TRANSIENT_ERRORS:
                return Lookup(Found.TRY_AGAIN, code)
            return Lookup(Found.CANNOT_LOOK, code)  # missing_scope, not_in_channel, channel_not_found...
        except (OSError, http.client.HTTPException) as error:
            return Lookup(Found.TRY_AGAIN, type(error).__name__)

    # ------------------------------------------------------------------------- helpers

    def _finish(
        self, claim: Claim, state: str, detail: str | None, *, channel: str | None = None, ts: str | None = None
    ) -> Outcome:
        if not self.claims.finish(claim, state, detail=detail, channel=channel, ts=ts):
            log.warning(
                "delivery %s to %s: taken over by another process before it was recorded %s", claim.id, claim.recipient, state
            )
            return Outcome("lost")
        return Outcome(state, detail)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _back_off(self, failures: int, useful_until: datetime) -> None:
        remaining = (useful_until - self._now()).total_seconds()
        self.stopping.wait(max(0.0, min(backoff_delay(failures), remaining)))
