"""A member's optional profile: their sector and their state, given so the Collective can say
whom it reaches. Both are optional; coordinators see them only as counts (participation by
sector and by state, small counts hidden), never beside a name.

This is deliberately minimal: one row a member, downloaded and deleted with the rest of
their data (:mod:`bot.members.data`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.store import Store

migrations = sqlite_utils.Migrations("heart.members.profile")

# Where the Collective's members work: New England, and beyond it.
STATES = (
    "Connecticut",
    "Maine",
    "Massachusetts",
    "New Hampshire",
    "Rhode Island",
    "Vermont",
    "Outside New England",
)


@migrations()
def create_member_profiles(db: sqlite_utils.Database) -> None:
    db["member_profiles"].create({"user_id": str, "sector": str, "state": str, "updated_at": float}, pk="user_id")


@dataclass(frozen=True)
class Profile:
    """What a member chose to say about themselves (None: not given)."""

    sector: str | None = None
    state: str | None = None


def get(store: Store, user_id: str) -> Profile:
    """The member's profile (empty when they gave none)."""
    row = store.db.execute("select sector, state from member_profiles where user_id = ?", [user_id]).fetchone()
    return Profile(row[0] or None, row[1] or None) if row else Profile()


def save(store: Store, user_id: str, profile: Profile, *, now: datetime) -> None:
    """Keep the member's profile; an empty one is deleted (nothing is kept for nothing)."""
    with store.transaction() as db:
        if profile.sector is None and profile.state is None:
            db.execute("delete from member_profiles where user_id = ?", [user_id])
            return
        row = {"user_id": user_id, "sector": profile.sector, "state": profile.state, "updated_at": now.timestamp()}
        db["member_profiles"].upsert(row, pk="user_id")


def forget(db: sqlite_utils.Database, user_id: str) -> bool:
    """Delete the member's profile in the open transaction ``db``; True if there was one."""
    return db.execute("delete from member_profiles where user_id = ?", [user_id]).rowcount > 0
