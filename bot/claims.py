"""The claims ledger: each message heart-bot sends on a schedule is sent by one process, once.

It sits under the features that send on a schedule (a session's reminders and notices, a
connections round's introductions and follow-ups, retention's take-downs); each keys its
messages by its own ids. A message is named by ``(subject, kind, recipient)``: for a reminder,
the session, the slot (``reminder-15``) and a member id or ``channel``. Before anything is sent it is claimed in the
``deliveries`` table inside a ``BEGIN IMMEDIATE`` transaction (a unique key); only the claimer
sends, and it records ``sent``, ``skipped`` or ``failed``. A claim names the instance that holds
it (:mod:`bot.instances`) and carries a lease the holder renews as it works. Another
process takes a claim over at once when its holder is gone (stopped, ended, silent), or when a
live holder let the lease run out; the old holder's next renewal or record then fails, so no two
live processes ever act on one claim. Recipients already marked ``sent`` are never sent again.

Each claim has a *message key*, random and kept across take-overs, that the sender posts as the
message's metadata (:mod:`bot.sender`). A claim whose message was on its way to Slack when its
holder stopped hearing back (the holder died, or Slack's answer was lost) is *in doubt*: the
message may have been posted. A caller that can look for the key in Slack before sending again
(``take(..., can_look=True)``) is handed such a claim; for any other it is recorded skipped, as
may have been posted, rather than risk a second copy.

The slot as a whole is claimed the same way (recipient ``*``), so two processes do not both work
through the same fan-out. The table keeps the name ``occurrence_id`` for the subject: it was
the reminders' ledger first.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils
from sqlite_utils import Migrations

from bot.instances import gone_sql
from bot.store import Store

log = logging.getLogger(__name__)

# Named "reminders" since before this module had its name: databases know it by that name.
migrations = Migrations("heart.reminders")


@migrations()
def create_deliveries(db: sqlite_utils.Database) -> None:
    db["deliveries"].create(
        {
            "id": int,
            "occurrence_id": str,  # the subject: a session id, or another feature's name for what it sends about
            "kind": str,  # e.g. reminder-1440, starting, shareout, cancelled, moved.r1
            "recipient": str,  # "channel", a member id, or "*" for the slot as a whole
            "state": str,  # claimed | sent | skipped | failed
            "attempts": int,
            "claimed_by": str,  # the instance holding the claim (bot.instances)
            "lease_until": float,
            "created_at": float,
            "updated_at": float,
            "channel": str,  # where it was posted (for chat.update)
            "ts": str,
            "detail": str,  # why it was skipped or failed; a fan-out's summary; "sending" while in doubt
        },
        pk="id",
        not_null={"occurrence_id", "kind", "recipient", "state", "attempts"},
        defaults={"attempts": 0},
    )
    db["deliveries"].create_index(["occurrence_id", "kind", "recipient"], unique=True)


@migrations()
def add_message_keys(db: sqlite_utils.Database) -> None:
    # The key posted as the message's metadata, and when the last attempt to post it began.
    db["deliveries"].add_column("message_key", str)
    db["deliveries"].add_column("attempted_at", float)


CLAIMED, SENT, SKIPPED, FAILED = "claimed", "sent", "skipped", "failed"
FINAL = (SENT, SKIPPED, FAILED)
EVERYONE = "*"
CHANNEL = "channel"
LEASE_SECONDS = 60.0
SENDING = "sending"  # a claim's detail while its message is on its way to Slack, or may have reached it
OUTCOME_UNKNOWN = "not sent again: the bot stopped while Slack was answering, so it may have been posted"
_GONE = gone_sql("claimed_by")


@dataclass(frozen=True)
class Claim:
    """The right to send one message to one recipient (a row of ``deliveries``).

    :ivar occurrence_id: the subject: a session id, or another feature's key (``connections:…``).
    :ivar key: the message key, posted as the message's metadata.
    :ivar in_doubt_since: when an earlier holder's attempt began, if that attempt may have been
        posted (its holder stopped hearing back); None when nothing can have been posted yet.
    """

    id: int
    occurrence_id: str
    kind: str
    recipient: str
    key: str
    in_doubt_since: float | None = None


def new_key() -> str:
    """A message key: random, so it names one message and says nothing about it."""
    return secrets.token_hex(10)


class Claims:
    """Claims in the ``deliveries`` table, held by one instance (``owner``, its id) under a lease."""

    def __init__(self, store: Store, owner: str, *, lease: float = LEASE_SECONDS, clock: Callable[[], float] = time.time):
        self.store = store
        self.owner = owner
        self.lease = lease
        self.clock = clock

    def take(self, subject: str, kind: str, recipient: str, *, can_look: bool = False) -> Claim | None:
        """Claim a message, or None if it is done or a live process holds it.

        :param can_look: the caller looks for a message in doubt before sending it again (by its
            key); otherwise such a message is recorded skipped, as may have been posted.
        """
        now = self.clock()
        with self.store.transaction() as db:
            row = db.execute(
                f"select id, state, lease_until, detail, claimed_by, message_key, coalesce(attempted_at, updated_at), "
                f"{_GONE} from deliveries where occurrence_id = ? and kind = ? and recipient = ?",
                (subject, kind, recipient),
            ).fetchone()
            if row is None:
                key = new_key()
                cursor = db.execute(
                    "insert into deliveries (occurrence_id, kind, recipient, state, attempts, claimed_by, lease_until, "
                    "created_at, updated_at, message_key) values (?, ?, ?, 'claimed', 0, ?, ?, ?, ?, ?)",
                    (subject, kind, recipient, self.owner, now + self.lease, now, now, key),
                )
                return Claim(cursor.lastrowid, subject, kind, recipient, key)  # type: ignore[arg-type]
            delivery_id, state, lease_until, detail, holder, key, attempted_at, holder_gone = row
            if state != CLAIMED or ((lease_until or 0) > now and not holder_gone):
                return None
            in_doubt = attempted_at if detail == SENDING else None
            if in_doubt is not None and not can_look:
                # Its holder died while Slack was answering, so the message may be posted: sending
                # it again could double it, recording it skipped cannot.
                db.execute(
                    "update deliveries set state = ?, detail = ?, lease_until = null, updated_at = ? where id = ?",
                    (SKIPPED, OUTCOME_UNKNOWN, now, delivery_id),
                )
                log.warning("delivery %s (%s %s %s): %s", delivery_id, subject, kind, recipient, OUTCOME_UNKNOWN)
                return None
            key = key or new_key()
            db.execute(
                "update deliveries set claimed_by = ?, lease_until = ?, updated_at = ?, message_key = ? where id = ?",
                (self.owner, now + self.lease, now, key, delivery_id),
            )
        why = "its holder is gone" if holder_gone else "its lease ran out"
        log.info(
            "taking over delivery %s (%s %s %s) from %s: %s%s",
            delivery_id,
            subject,
            kind,
            recipient,
            holder,
            why,
            "; its message may have been posted" if in_doubt else "",
        )
        return Claim(delivery_id, subject, kind, recipient, key, in_doubt)

    def renew(self, claim: Claim, *, attempt: bool = False) -> bool:
        """Extend the lease; False if the claim was taken over. With ``attempt``, count an attempt and
        mark the message as on its way to Slack until :meth:`answered` or :meth:`finish`."""
        now = self.clock()
        with self.store.transaction() as db:
            cursor = db.execute(
                "update deliveries set lease_until = ?, updated_at = ?, attempts = attempts + ?, "
                "detail = case when ? then ? else detail end, attempted_at = case when ? then ? else attempted_at end "
                "where id = ? and state = 'claimed' and claimed_by = ?",
                (now + self.lease, now, int(attempt), attempt, SENDING, attempt, now, claim.id, self.owner),
            )
            return cursor.rowcount > 0

    def answered(self, claim: Claim) -> None:
        """Slack answered that the message was not posted (a 429, a refusal to retry): it is no
        longer on its way, nor in doubt."""
        with self.store.transaction() as db:
            db.execute(
                "update deliveries set detail = null where id = ? and state = 'claimed' and claimed_by = ?",
                (claim.id, self.owner),
            )

    def finish(
        self, claim: Claim, state: str, *, detail: str | None = None, channel: str | None = None, ts: str | None = None
    ) -> bool:
        """Record the outcome: ``sent`` (with where), ``skipped`` or ``failed`` (with why).

        :returns: False if the claim was taken over meanwhile: the outcome is its new holder's to record.
        """
        with self.store.transaction() as db:
            cursor = db.execute(
                "update deliveries set state = ?, detail = ?, channel = ?, ts = ?, updated_at = ?, lease_until = null "
                "where id = ? and state = 'claimed' and claimed_by = ?",
                (state, detail, channel, ts, self.clock(), claim.id, self.owner),
            )
            return cursor.rowcount > 0

    def release(self, claim: Claim) -> None:
        """Give a claim up unfinished (shutting down): another process may take it at once."""
        with self.store.transaction() as db:
            db.execute(
                "update deliveries set lease_until = 0 where id = ? and state = 'claimed' and claimed_by = ?",
                (claim.id, self.owner),
            )


def settled(store: Store, subjects: set[str], now: datetime) -> set[tuple[str, str]]:
    """(subject, kind) pairs whose slot (recipient ``*``) is final, or held by a live process."""
    if not subjects:
        return set()
    marks = ",".join("?" * len(subjects))
    rows = store.db.execute(
        f"select occurrence_id, kind from deliveries where recipient = '*' and occurrence_id in ({marks}) "
        f"and (state != 'claimed' or (lease_until > ? and not {_GONE}))",
        [*subjects, now.timestamp()],
    )
    return {(subject, kind) for subject, kind in rows}


def channel_posts(store: Store, subject: str) -> list[tuple[str, str, str]]:
    """The channel messages sent about ``subject``, as ``(kind, channel, ts)``."""
    rows = store.db.execute(
        "select kind, channel, ts from deliveries where occurrence_id = ? and recipient = 'channel' and state = 'sent' "
        "and ts is not null",
        (subject,),
    )
    return [(kind, channel, ts) for kind, channel, ts in rows]


def forget_recipient(db: sqlite_utils.Database, user_id: str) -> None:
    """Delete the record of messages sent to a member, in the open transaction ``db`` (a member
    deleting all their data). A claim still being sent is left to finish; its record goes with
    the next deletion."""
    db.execute("delete from deliveries where recipient = ? and state != 'claimed'", [user_id])
