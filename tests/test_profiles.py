"""One member profile: a database from before it, holding the reach profile (state names) and the
connections profile (their own sector and state), upgrades with every answer carried over, and
both features then read the same row."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlite_utils

from bot import profiles
from bot.connections import core as connections
from bot.engagement.periods import Period
from bot.engagement.report import compute
from bot.runtime import MIGRATION_SETS
from bot.store import Store
from tests.support.engagement_data import add_event

OLDER, NEWER = 1_700_000_000.0, 1_700_100_000.0


def member(db: sqlite_utils.Database, user_id: str, sector: str, state: str | None, updated_at: float) -> None:
    """A member of monthly connections, as the connections table kept them before the one profile."""
    row = {"user_id": user_id, "status": "active", "sector": sector, "state": state, "topics": "[]", "skip_next": 0}
    db["connection_members"].insert({**row, "joined_at": updated_at, "updated_at": updated_at})


@pytest.fixture
def upgraded(tmp_path) -> Store:
    path = tmp_path / "heart.db"
    with sqlite_utils.Database(path) as db:
        for migrations in MIGRATION_SETS:
            migrations.apply(db, stop_before="one_profile_for_reach_and_connections")
        reach = [
            ("UREACH", "school-staff", "Massachusetts", OLDER),  # gave only the reach profile
            ("UAWAY", None, "Outside New England", OLDER),
            ("UBOTH", "school-staff", "Vermont", OLDER),  # both: connections' answers are newer
            ("UFIRST", "lived-experience", None, NEWER),  # both: the reach profile is newer
        ]
        for user_id, sector, state, at in reach:
            db["member_profiles"].insert({"user_id": user_id, "sector": sector, "state": state, "updated_at": at})
        member(db, "UCONNECT", "community-health-center", "RI", OLDER)  # only connections
        member(db, "UBOTH", "behavioral-health-agency", None, NEWER)
        member(db, "UFIRST", "school-clinician", "NH", OLDER)
        for user_id in ("UREACH", "UAWAY", "UBOTH", "UFIRST", "UCONNECT"):
            add_event(db, datetime(2026, 11, 10, 15, tzinfo=UTC).timestamp(), "glossary_lookup", user_id, "x", "x", True)
    store = Store(path)
    store.migrate(MIGRATION_SETS)
    yield store
    store.close()


def test_every_answer_of_both_profiles_is_carried_over(upgraded):
    found = {user_id: (sector, state) for user_id, sector, state in upgraded.db.execute(
        "select user_id, sector, state from member_profiles")}  # fmt: skip
    assert found == {
        "UREACH": ("school-staff", "MA"),
        "UAWAY": (None, profiles.OUTSIDE_NEW_ENGLAND),
        "UBOTH": ("behavioral-health-agency", "VT"),  # the newer sector; the state only the older one gave
        "UFIRST": ("lived-experience", "NH"),
        "UCONNECT": ("community-health-center", "RI"),
    }
    assert {"sector", "state"}.isdisjoint(upgraded.db["connection_members"].columns_dict)  # one place for them


def test_connections_and_reach_figures_read_the_one_profile(upgraded):
    joined = connections.get_profile(upgraded, "UBOTH")
    assert joined is not None and (joined.sector, joined.state, joined.active) == ("behavioral-health-agency", "VT", True)
    profiles.save(upgraded, "UBOTH", profiles.Profile("school-staff", "ME"), now=datetime.now(UTC))
    assert (connections.get_profile(upgraded, "UBOTH").sector, connections.get_profile(upgraded, "UBOTH").state) == (
        "school-staff",
        "ME",
    )
    november = Period(date(2026, 11, 1), date(2026, 12, 1), "America/New_York", "November 2026")
    report = compute(upgraded, november, threshold=1, now=datetime(2026, 12, 2, tzinfo=UTC))
    states = {row.label: row.shown for row in report.reach_by_state}
    assert states == {"Massachusetts": "1", "Outside New England": "1", "Maine": "1", "New Hampshire": "1", "Rhode Island": "1"}
