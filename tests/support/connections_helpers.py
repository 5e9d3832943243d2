"""Helpers for the connections tests: members who joined, written through the core as the form writes them."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.connections import core
from bot.connections.core import ProfileForm
from bot.connections.schedule import check_schedule
from bot.connections.sending import INTRODUCTION
from bot.offline.localslack import LocalSlack
from bot.profiles import Profile, put_many
from bot.store import Store

SECTORS = ("school-staff", "school-clinician", "community-health-center", "behavioral-health-agency", "lived-experience")


def join(
    store: Store,
    user_id: str,
    sector: str = "school-staff",
    *,
    topics: Iterable[str] = (),
    state: str | None = "MA",
    tz: str | None = "America/New_York",
    blocked: Iterable[str] = (),
    now: datetime | None = None,
) -> core.Profile:
    """``user_id`` joins monthly connections with this profile (and their Slack zone is known)."""
    form = ProfileForm(sector=sector, state=state, topics=tuple(topics), blocked=tuple(blocked))
    profile, _ = core.save_profile(store, user_id, form, now=now or datetime.now(UTC))
    if tz:
        core.set_timezone(store, user_id, tz)
    return profile


def community(store: Store, count: int, *, prefix: str = "UC", now: datetime | None = None) -> list[str]:
    """``count`` members in turn from each sector, all joined; their ids."""
    members = [f"{prefix}{n:05d}" for n in range(count)]
    with store.transaction() as db:
        given = ((user_id, Profile(SECTORS[n % len(SECTORS)], "MA")) for n, user_id in enumerate(members))
        put_many(db, given, now=now or datetime.now(UTC))
        db["connection_members"].insert_all(
            {
                "user_id": user_id,
                "status": core.ACTIVE,
                "topics": '["collaboration"]' if n % 3 == 0 else "[]",
                "skip_next": 0,
                "tz": "America/New_York",
                "joined_at": (now or datetime.now(UTC)).timestamp(),
                "updated_at": (now or datetime.now(UTC)).timestamp(),
            }
            for n, user_id in enumerate(members)
        )
    return members


def introductions(slack: LocalSlack) -> Counter:
    """Introductions Slack took, by the members they introduce (named in the message's text)."""
    return Counter(
        frozenset(re.findall(r"<@(U[A-Z0-9]+)>", str(call.args.get("text"))))
        for call in slack.calls_to("chat.postMessage")
        if "_failed" not in call.args and "Meet your monthly connection" in str(call.args.get("text"))
    )


def introductions_settled(store: Store) -> str | None:
    """The ledger key of a round whose introductions are all settled (the fan-out recorded as done)."""
    row = store.db.execute(
        "select occurrence_id from deliveries where kind = ? and recipient = '*' and state != 'claimed'", [INTRODUCTION]
    ).fetchone()
    return row[0] if row else None


def due_this_minute(store: Store, timezone: str) -> datetime:
    """Set the schedule so that a round fell due at the start of this minute, whatever today is."""
    now = datetime.now(ZoneInfo(timezone)).replace(second=0, microsecond=0)
    day = str(now.day) if now.day <= 28 else f"last {now:%a}".lower()  # the 29th-31st are in a month's last week
    core.set_schedule(store, check_schedule(day, f"{now:%H:%M}", timezone))
    return now
