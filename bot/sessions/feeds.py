"""Calendar subscriptions: feeds a calendar app keeps polling, so a moved or cancelled session
is updated in place (the same UID, a higher SEQUENCE) instead of going stale like a downloaded file.

Two kinds of feed, each behind an unguessable token in its address (``/calendar/<token>.ics``):

- a member's own: the sessions they said Going to and those they asked DM reminders for. Its
  token is a secret (it tells which sessions someone goes to): only its SHA-256 hash is kept,
  so the address is shown once, by DM, when it is made; a new one replaces it, and turning it
  off or deleting the member's data removes it.
- a series' public one: every session of it. It reveals nothing about anyone, so its token is
  kept and shown to every member on Home.

Nothing here logs a token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import sqlite_utils

from bot.sessions import core, ics
from bot.sessions.core import Occurrence
from bot.store import Store

MEMBER, SERIES = "member", "series"
PAST_DAYS = 30  # a feed keeps sessions this far back, so a calendar still shows what happened
TOKEN_BYTES = 24  # 192 random bits: unguessable
GOOGLE_ADD_BY_URL = "https://calendar.google.com/calendar/r?cid="


@dataclass(frozen=True)
class Feed:
    """What a feed address shows: its name and its sessions, oldest first."""

    name: str
    occurrences: list[Occurrence]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def make_member_feed(store: Store, user_id: str, *, now: datetime) -> str:
    """A new private feed token for the member (any earlier one stops working). Show it once."""
    token = _new_token()
    with store.transaction() as db:
        db.execute("delete from calendar_feeds where kind = ? and subject = ?", (MEMBER, user_id))
        db.execute(
            "insert into calendar_feeds (token_hash, kind, subject, token, created_at) values (?, ?, ?, null, ?)",
            (_hash(token), MEMBER, user_id, now.timestamp()),
        )
    return token


def member_feed_since(store: Store, user_id: str) -> datetime | None:
    """When the member's feed was made, or None if they have none."""
    row = store.db.execute("select created_at from calendar_feeds where kind = ? and subject = ?", (MEMBER, user_id)).fetchone()
    return datetime.fromtimestamp(row[0], UTC) if row else None


def revoke_member_feed(store: Store, user_id: str) -> bool:
    """Turn off the member's feed: its address answers 404 from now on. True if there was one."""
    with store.transaction() as db:
        return db.execute("delete from calendar_feeds where kind = ? and subject = ?", (MEMBER, user_id)).rowcount > 0


def forget_member(db: sqlite_utils.Database, user_id: str) -> int:
    """Delete the member's feed token, in the open transaction ``db`` (a member deleting their data)."""
    return db.execute("delete from calendar_feeds where kind = ? and subject = ?", (MEMBER, user_id)).rowcount


def series_feed_token(store: Store, series_id: str, *, now: datetime) -> str:
    """The public feed token of a series, made the first time it is asked for."""
    row = store.db.execute("select token from calendar_feeds where kind = ? and subject = ?", (SERIES, series_id)).fetchone()
    if row:
        return row[0]
    token = _new_token()
    with store.transaction() as db:
        db.execute(
            "insert or ignore into calendar_feeds (token_hash, kind, subject, token, created_at) values (?, ?, ?, ?, ?)",
            (_hash(token), SERIES, series_id, token, now.timestamp()),
        )
    return store.db.execute("select token from calendar_feeds where kind = ? and subject = ?", (SERIES, series_id)).fetchone()[0]


def reset_series_feed(store: Store, series_id: str, *, now: datetime) -> str:
    """A new public token for a series (the old address stops working)."""
    with store.transaction() as db:
        db.execute("delete from calendar_feeds where kind = ? and subject = ?", (SERIES, series_id))
    return series_feed_token(store, series_id, now=now)


def feed_for(store: Store, token: str, *, now: datetime) -> Feed | None:
    """The feed behind ``token``, or None for an unknown or revoked one (which says nothing more)."""
    if not token or len(token) > 100:
        return None
    row = store.db.execute("select kind, subject from calendar_feeds where token_hash = ?", (_hash(token),)).fetchone()
    if row is None:
        return None
    kind, subject = row
    since = int((now - timedelta(days=PAST_DAYS)).timestamp())
    if kind == SERIES:
        series = core.get_series(store, subject)
        if series is None:
            return None
        found = core.occurrences_where(
            store, "where o.series_id = ? and o.ends_at >= ? order by o.starts_at, o.id", (subject, since)
        )
        return Feed(series.title, found)
    found = core.occurrences_where(
        store,
        "where o.ends_at >= :since and ("
        " o.id in (select occurrence_id from rsvps where user_id = :user and response = 'going')"
        " or o.id in (select occurrence_id from session_reminders where user_id = :user)"
        " or (o.series_id in (select series_id from subscriptions where user_id = :user)"
        "     and o.id not in (select occurrence_id from rsvps where user_id = :user and response = 'not_going'))"
        ") order by o.starts_at, o.id",
        {"since": since, "user": subject},
    )
    return Feed("My peer support hours", found)


def feed_url(public_url: str, token: str) -> str:
    """The feed's https address under the deployment's ``public_url``."""
    return f"{public_url.rstrip('/')}/calendar/{token}.ics"


def webcal_url(public_url: str, token: str) -> str:
    """The same address as ``webcal://``: a click opens the member's calendar app to subscribe."""
    return "webcal://" + feed_url(public_url, token).split("://", 1)[1]


def google_add_by_url(public_url: str, token: str) -> str:
    """Google Calendar's "add by URL" link for the feed (Google then fetches it itself)."""
    return GOOGLE_ADD_BY_URL + quote(webcal_url(public_url, token), safe="")


def feed_ics(store: Store, token: str, *, now: datetime) -> bytes | None:
    """The iCalendar body served at ``/calendar/<token>.ics``, or None (answer 404) for an unknown
    or revoked token."""
    found = feed_for(store, token, now=now)
    if found is None:
        return None
    return ics.feed(found.name, found.occurrences, deployment=core.deployment_uid(store), now=now)
