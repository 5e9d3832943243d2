"""The claims ledger: each message heart-bot owes is sent exactly once.

It sits under the features that send on a schedule (a session's reminders and notices, a
connections round's introductions and follow-ups); each keys its messages by its own ids.
Before anything is sent, ``(occurrence, kind, recipient)`` is claimed in the
``deliveries`` table inside a ``BEGIN IMMEDIATE`` transaction (a unique key); only the
claimer sends, and it records ``sent``, ``skipped`` or ``failed``. A claim carries a lease:
a process that dies holding one leaves it ``claimed``, and another takes it over only once
the lease has run out, so recipients already marked ``sent`` are never sent again; one
whose message was on its way to Slack when its process died is recorded ``skipped``, as it
may have been posted. The slot as a whole is claimed the same way (recipient ``*``), so two
processes do not both work through the same fan-out. Another process, a restart or a
retried job can therefore never double a message; the one case left open is a send whose
answer was lost (a timeout), which is retried because Slack may not have posted it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils
from sqlite_utils import Migrations

from bot.store import Store

log = logging.getLogger(__name__)

# Named "reminders" since before this module had its name: databases know it by that name.
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
LEASE_SECONDS = 60.0
SENDING = "sending"  # a claim's detail while its message is on its way to Slack
OUTCOME_UNKNOWN = "not sent again: the bot stopped while Slack was answering, so it may have been posted"


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


def settled(store: Store, occurrence_ids: set[str], now: datetime) -> set[tuple[str, str]]:
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


def channel_posts(store: Store, occurrence_id: str) -> list[tuple[str, str, str]]:
    """The channel messages sent for a session, as ``(kind, channel, ts)``."""
    rows = store.db.execute(
        "select kind, channel, ts from deliveries where occurrence_id = ? and recipient = 'channel' and state = 'sent' "
        "and ts is not null",
        (occurrence_id,),
    )
    return [(kind, channel, ts) for kind, channel, ts in rows]


def forget_recipient(db: sqlite_utils.Database, user_id: str) -> None:
    """Delete the record of messages sent to a member, in the open transaction ``db`` (a member
    deleting all their data). A claim still being sent is left to finish; its record goes with
    the next deletion."""
    db.execute("delete from deliveries where recipient = ? and state != 'claimed'", [user_id])
