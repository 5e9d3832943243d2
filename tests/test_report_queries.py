"""The report's figures about members and events, as its one-pass queries count them, equal a
recount in Python of the rows themselves, on a generated community: members engaged now and in
the period before, reach by sector and by state, and the event totals (community-wide and for a
series)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from bot import events
from bot.engagement.periods import Period, parse_period
from bot.engagement.report import NO_SECTOR, NO_STATE, compute, series_catalog
from bot.profiles import STATES
from bot.runtime import MIGRATION_SETS
from bot.store import Store
from tests.support.engagement_data import (
    NOW,
    SERIES,
    add_event,
    add_rsvp,
    add_series,
    add_session,
    add_shareout,
    at,
    ensure_session_tables,
)

MEMBERS = [f"U{n:03d}" for n in range(60)]
SECTORS = ["school-staff", "school-clinician", "lived-experience", None]
STATE_CODES = [*list(STATES)[:3], ""]
KINDS = [events.GLOSSARY_LOOKUP, events.TIPSHEET_VIEW, events.SAFETY_NET, "peerhour_view"]


def generate(store: Store, seed: int) -> None:
    """Fourteen months of a community with a series, another series, profiles, share-outs and events."""
    rng = random.Random(seed)
    db = store.db
    ensure_session_tables(db)
    start, end = at(2025, 10, 1, 0, 0), at(2026, 12, 10, 0, 0)

    def when() -> float:
        return rng.uniform(start, end)  # distinct times: "latest" is never a tie

    with db.conn:
        add_series(db, SERIES, "Peer hour")
        add_series(db, "other", "Other circle")
        sessions = []
        for week in range(62):
            for series in (SERIES, "other"):
                occurrence = f"{series}-{week}"
                add_session(db, occurrence, start + week * 7 * 86_400 + rng.randrange(86_400), series_id=series)
                sessions.append(occurrence)
        for member in rng.sample(MEMBERS, 25):
            db["member_profiles"].insert(
                {"user_id": member, "sector": rng.choice(["school-staff", "health-center", ""]), "state": rng.choice(STATE_CODES)}
            )
        for member in MEMBERS:
            for occurrence in rng.sample(sessions, rng.randrange(4)):
                add_rsvp(db, occurrence, member, rng.choice(["going", "going", "not_going"]))
        for _ in range(500):
            add_shareout(
                db,
                when(),
                user_id=rng.choice(MEMBERS),
                occurrence_id=rng.choice([*sessions, None]),
                sector=rng.choice(SECTORS),
                visibility=rng.choice(["coordinators", "channel_named", "channel_anonymous", "anonymous"]),
            )
        for _ in range(3_000):
            kind = rng.choice(KINDS)
            hit = rng.random() < 0.6 if kind == events.GLOSSARY_LOOKUP else None
            add_event(db, when(), kind, rng.choice([*MEMBERS, None]), rng.choice(["a", "b", None]), rng.choice(["x", "y"]), hit)


@pytest.fixture(scope="module", params=[1, 2])
def store(request, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("report-queries") / "heart.db")
    store.migrate(MIGRATION_SETS)
    generate(store, request.param)
    return store


def engaged(store: Store, period: Period) -> set[str]:
    """Members engaged, recounted: any event of theirs in the period, or for a series, an RSVP to
    one of its sessions in the period or a share-out under their name about one."""
    db = store.db
    lo, hi = period.start_ts, period.end_ts
    if period.series_id is None:
        return {user for at_, user in db.execute("select at, user_id from events") if user and lo <= at_ < hi}
    sessions = {
        row[0]
        for row in db.execute("select id, starts_at from occurrences where series_id = ?", [period.series_id])
        if lo <= row[1] < hi
    }
    members = {user for occurrence, user in db.execute("select occurrence_id, user_id from rsvps") if occurrence in sessions}
    series_sessions = {row[0] for row in db.execute("select id from occurrences where series_id = ?", [period.series_id])}
    members |= {
        user
        for created, occurrence, user in db.execute("select created_at, occurrence_id, user_id from shareouts")
        if user and occurrence in series_sessions and lo <= created < hi
    }
    return members


def reach(store: Store, members: set[str]) -> tuple[Counter[str], Counter[str]]:
    """Members by sector (their profile's, else their latest share-out's that gave one) and by state."""
    db = store.db
    profiles = {user: (sector, state) for user, sector, state in db.execute("select user_id, sector, state from member_profiles")}
    latest: dict[str, tuple[float, str]] = {}
    for user, created, sector in db.execute("select user_id, created_at, sector from shareouts where sector is not null"):
        if user and (user not in latest or created > latest[user][0]):
            latest[user] = (created, sector)
    sectors, states = Counter(), Counter()
    for member in members:
        sector, state = profiles.get(member, (None, None))
        sectors[sector or latest.get(member, (0, ""))[1]] += 1
        states[state or ""] += 1
    return sectors, states


def event_totals(store: Store, period: Period) -> dict[str, int]:
    lo, hi = period.start_ts, period.end_ts
    rows = [(kind, hit) for at_, kind, hit in store.db.execute("select at, kind, hit from events") if lo <= at_ < hi]
    return {
        "Glossary lookups": sum(kind == events.GLOSSARY_LOOKUP for kind, _ in rows),
        "Tip-sheet views": sum(kind == events.TIPSHEET_VIEW for kind, _ in rows),
        "misses": sum(kind == events.GLOSSARY_LOOKUP and hit == 0 for kind, hit in rows),
        "safety": sum(kind == events.SAFETY_NET for kind, _ in rows),
    }


@pytest.mark.parametrize("text", ["2026-11", "last 30 days", "last 365 days", "peer-hour 2026-10", "peer-hour last 90 days"])
def test_member_and_event_figures_equal_a_recount_of_the_rows(store, text):
    period = parse_period(text, NOW, "America/New_York", series_catalog(store))
    report = compute(store, period, threshold=1, now=NOW)  # threshold 1: every count shown as it is
    members, members_before = engaged(store, period), engaged(store, period.previous())
    assert members and members_before  # the generated community reaches both periods
    assert report.members_engaged.count == len(members)
    trend = {t.name: t for t in report.trend}
    assert trend["Members engaged"].previous == len(members_before)
    sectors, states = reach(store, members)
    assert {row.label: row.count for row in report.reach_by_sector} == {
        (key or NO_SECTOR): count for key, count in sectors.items()
    }
    assert {row.label: row.count for row in report.reach_by_state} == {
        (STATES.get(key, key) or NO_STATE): count for key, count in states.items()
    }
    if period.series_id is None:
        now, before = event_totals(store, period), event_totals(store, period.previous())
        assert report.glossary_lookups.count == now["Glossary lookups"] and report.glossary_misses.count == now["misses"]
        assert report.tipsheet_views.count == now["Tip-sheet views"] and report.safety_net.count == now["safety"]
        assert trend["Glossary lookups"].previous == before["Glossary lookups"]
        assert trend["Tip-sheet views"].previous == before["Tip-sheet views"]
