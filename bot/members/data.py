"""A member's own data, across every feature: all of it to download, and all of it to delete.

What heart-bot keeps about a member: their share-outs (named ones by Slack id, "anonymous to
everyone" ones by the keyed hash only they match), their RSVPs, the series they get DM
reminders for, the record of reminder DMs sent to them, their monthly connections (profile,
"never pair me with" list, past introductions and answers), and their activity (glossary
lookups, tip sheets opened, RSVPs and the like, kept for coordinators' counts).

Deleting removes the share-outs, RSVPs, subscriptions, DM records and connections profile, and
takes the member id off their activity and off the rounds they were introduced in: the counts
coordinators report stay true, but nothing links them to the member any more. Earlier versions
of the changed rows are then wiped from the disk.

The download reads each feature's tables; the deletion asks each feature to delete its own
part, all in one transaction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot import claims, events, profiles
from bot.connections import core as connections
from bot.connections.content import ConnectionsContent
from bot.engagement import attendance, pulse
from bot.sessions import core as sessions
from bot.sessions import feeds
from bot.shareouts import core as shareouts
from bot.shareouts.content import ShareoutContent
from bot.shareouts.core import Owner, Shareout
from bot.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Forgotten:
    """What :func:`forget` deleted; ``posts`` are the share-outs whose channel posts must go too."""

    shareouts: int
    rsvps: int
    subscriptions: int
    activity: int
    posts: tuple[Shareout, ...]
    occurrences: tuple[str, ...]  # sessions whose RSVP counts changed
    calendar_feeds: int = 0  # the member's private calendar address (0 or 1)
    connections: int = 0  # connections profile, exclusions and introductions

    @property
    def anything(self) -> bool:
        """False when there was nothing to delete."""
        return any((self.shareouts, self.rsvps, self.subscriptions, self.activity, self.connections, self.calendar_feeds))


def collect(store: Store, content: ShareoutContent, owner: Owner, connecting: ConnectionsContent) -> dict[str, Any]:
    """Everything heart-bot keeps about the member, as plain records (times in UTC, ISO 8601)."""
    db = store.db
    user = owner.user_id
    rsvps = db.execute(
        "select r.occurrence_id, coalesce(nullif(o.topic, ''), s.title, o.series_id), o.starts_at, r.response, r.updated_at "
        "from rsvps r left join occurrences o on o.id = r.occurrence_id left join series s on s.id = o.series_id "
        "where r.user_id = ? order by o.starts_at",
        [user],
    ).fetchall()
    subscriptions = db.execute(
        "select sub.series_id, s.title, sub.created_at from subscriptions sub left join series s on s.id = sub.series_id "
        "where sub.user_id = ? order by sub.created_at",
        [user],
    ).fetchall()
    one_session = db.execute(
        "select occurrence_id, created_at from session_reminders where user_id = ? order by created_at", [user]
    ).fetchall()
    reminders = db.execute(
        "select occurrence_id, kind, state, updated_at from deliveries where recipient = ? order by updated_at", [user]
    ).fetchall()
    activity = db.execute("select at, kind, subject, query, hit from events where user_id = ? order by at, id", [user]).fetchall()
    return {
        "exported_at": _iso(datetime.now(UTC).timestamp()),
        "member": user,
        "shareouts": shareouts.export_rows(store, content, owner),
        "rsvps": [
            {"session_id": oid, "session": title, "starts_at": _iso(starts), "response": response, "answered_at": _iso(at)}
            for oid, title, starts, response, at in rsvps
        ],
        "dm_reminders": [{"series_id": sid, "series": title, "since": _iso(at)} for sid, title, at in subscriptions],
        "shareout_prompts_by_dm": sessions.prompts_by_dm(store, user),
        "calendar_feed_since": _iso(since.timestamp()) if (since := feeds.member_feed_since(store, user)) else None,
        "dm_reminders_for_one_session": [{"session_id": oid, "since": _iso(at)} for oid, at in one_session],
        "reminder_dms_sent": [
            {"session_id": oid, "kind": kind, "state": state, "at": _iso(at)} for oid, kind, state, at in reminders
        ],
        "connections": connections.export_rows(store, connecting, user),
        "activity": [
            {"at": _iso(at), "kind": kind, "subject": subject, "query": query, "found": None if hit is None else bool(hit)}
            for at, kind, subject, query, hit in activity
        ],
        "marked_present_at": attendance.marks_of(store, user),
        "asked_how_useful": pulse.asked_about(store, user),
        "profile": {key: value for key, value in vars(profiles.get(store, user)).items() if value},
    }


def to_json(data: dict[str, Any]) -> str:
    """The download as pretty JSON."""
    return json.dumps(data, ensure_ascii=False, indent=2)


def forget(store: Store, owner: Owner) -> Forgotten:
    """Delete the member's data (see the module's docstring) in one transaction, each feature
    deleting from its own tables."""
    user = owner.user_id
    with store.transaction() as db:
        mine = shareouts.delete_all(db, owner)
        occurrences, subscriptions = sessions.forget_member(db, user)
        claims.forget_recipient(db, user)
        calendar_feeds = feeds.forget_member(db, user)
        connected = connections.forget_member(db, user)
        activity = events.forget_member(db, user)
        attendance.forget_member(db, user)
        pulse.forget_member(db, user)
        profiles.forget(db, user)
    store.erase_history()
    forgotten = Forgotten(
        shareouts=len(mine),
        rsvps=len(occurrences),
        subscriptions=subscriptions,
        activity=activity,
        posts=tuple(s for s in mine if s.message_ts),
        occurrences=tuple(occurrences),
        calendar_feeds=calendar_feeds,
        connections=connected,
    )
    log.info(
        "a member's data deleted: %d share-outs, %d RSVPs, %d subscriptions, %d connections records, %d activity records",
        forgotten.shareouts,
        forgotten.rsvps,
        forgotten.subscriptions,
        forgotten.connections,
        forgotten.activity,
    )
    return forgotten


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")
