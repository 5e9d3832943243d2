"""Helpers for the connections tests: members who joined, written through the core as the form writes them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from bot.connections import core
from bot.connections.core import ProfileForm
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
        db["connection_members"].insert_all(
            {
                "user_id": user_id,
                "status": core.ACTIVE,
                "sector": SECTORS[n % len(SECTORS)],
                "state": "MA",
                "topics": '["collaboration"]' if n % 3 == 0 else "[]",
                "skip_next": 0,
                "tz": "America/New_York",
                "joined_at": (now or datetime.now(UTC)).timestamp(),
                "updated_at": (now or datetime.now(UTC)).timestamp(),
            }
            for n, user_id in enumerate(members)
        )
    return members
