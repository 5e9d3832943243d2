"""The report rollups stay equal to a recount of the rows, whatever writes them, and periods
read them exactly, wherever their days start."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engagement import rollups
from bot.engagement.rollups import DAY_SECONDS, Span
from bot.group_commit import GroupCommit
from bot.runtime import MIGRATION_SETS
from bot.shareouts import core as shareouts
from bot.shareouts.core import Draft, Owner, Visibility
from bot.store import Store
from tests.support.engagement_data import NOW, build_community, community_at

ALICE = Owner.of("UALICE", "a-test-secret-that-is-long-enough-0123456789")
ZONE = ZoneInfo("America/New_York")


def recount(store: Store) -> dict[str, Counter]:
    """What each rollup must hold, counted in Python from the rows themselves."""
    db = store.db
    day = lambda seconds: int(seconds // DAY_SECONDS)  # noqa: E731
    counts: dict[str, Counter] = {name: Counter() for name in ("events", "shareouts", "themes", "participation")}
    for at, kind, hit, subject, query in db.execute("select at, kind, hit, subject, query from events"):
        if kind == "glossary_lookup" and hit == 0:
            key = query or ""
        elif kind in ("glossary_lookup", "tipsheet_view"):
            key = subject or ""
        else:
            key = ""
        counts["events"][(day(at), kind, -1 if hit is None else hit, key)] += 1
    created = {}
    for id_, at, occurrence, sector, visibility, user in db.execute(
        "select id, created_at, occurrence_id, sector, visibility, user_id from shareouts"
    ):
        created[id_] = (day(at), occurrence or "")
        counts["shareouts"][(day(at), occurrence or "", sector or "", visibility)] += 1
        if user and occurrence:
            counts["participation"][(occurrence, user, "shareouts")] += 1
    for shareout_id, theme in db.execute("select shareout_id, theme from shareout_themes"):
        counts["themes"][(*created[shareout_id], theme)] += 1
    for occurrence, user in db.execute("select occurrence_id, user_id from rsvps where response = 'going'"):
        counts["participation"][(occurrence, user, "rsvp_going")] = 1
    return counts


def rolled_up(store: Store) -> dict[str, Counter]:
    """What the rollups hold, without the rows that went back to zero."""
    db = store.db
    found = {
        "events": Counter({tuple(row[:4]): row[4] for row in db.execute("select * from report_event_days")}),
        "shareouts": Counter({tuple(row[:4]): row[4] for row in db.execute("select * from report_shareout_days")}),
        "themes": Counter({tuple(row[:3]): row[3] for row in db.execute("select * from report_theme_days")}),
        "participation": Counter(),
    }
    for occurrence, user, going, written in db.execute("select * from report_participation"):
        assert going or written, "a pair nobody took part in is removed"
        found["participation"][(occurrence, user, "rsvp_going")] = going
        found["participation"][(occurrence, user, "shareouts")] = written
    return {name: Counter({key: n for key, n in counter.items() if n}) for name, counter in found.items()}


@pytest.fixture
def store(tmp_path):
    store = community_at(tmp_path / "heart.db")
    yield store
    store.close()


def test_rows_written_directly_are_counted(store):
    assert rolled_up(store) == recount(store)


def test_edits_deletes_retention_and_changed_rsvps_keep_the_counts_exact(store):
    commits = GroupCommit(store)
    try:
        saved = [
            shareouts.save(
                commits,
                Draft(f"reflection {n}", Visibility.CHANNEL_NAMED, "nov-10", "school-staff", ("win", "barrier")),
                ALICE,
                request_key=f"k{n}",
                now=NOW - timedelta(days=n),
                zone=ZONE,
            ).result()
            for n in range(4)
        ]
    finally:
        commits.close()
    first, second, third, _ = (s.shareout for s in saved)
    # Another session, other themes, then anonymous to everyone (the member id leaves the row).
    moved = Draft("moved", Visibility.CHANNEL_NAMED, "nov-24", None, ("resource",))
    shareouts.update(store, first.id, ALICE, moved, now=NOW, zone=ZONE)
    shareouts.update(store, second.id, ALICE, Draft("hidden", Visibility.ANONYMOUS, "nov-10", "school-staff"), now=NOW, zone=ZONE)
    shareouts.delete(store, third.id, ALICE)
    shareouts.purge_texts(store, older_than=NOW)
    with store.transaction() as db:
        db.execute("update rsvps set response = 'not_going' where response = 'going' and rowid % 2 = 0")
        db.execute("update rsvps set response = 'going' where response = 'not_going' and rowid % 3 = 0")
        db.execute("delete from rsvps where rowid % 5 = 0")
        db.execute("update events set user_id = null where rowid % 4 = 0")  # as anonymizing does
        db.execute("update events set hit = 0, query = 'changed' where kind = 'glossary_lookup' and rowid % 3 = 0")
        db.execute("delete from events where rowid % 7 = 0")
    assert rolled_up(store) == recount(store)


def community_before_rollups(tmp_path) -> Store:
    """The hand-counted community in a database made before the rollups existed."""
    store = Store(tmp_path / "heart.db")
    store.db.enable_wal()
    for migrations in MIGRATION_SETS:
        if migrations is not rollups.migrations:
            migrations.apply(store.db)
    build_community(store)
    return store


def test_an_upgraded_database_counts_what_it_already_held(tmp_path):
    store = community_before_rollups(tmp_path)
    assert "report_event_days" not in store.db.table_names()
    store.migrate(MIGRATION_SETS)
    assert rolled_up(store) == recount(store)
    store.close()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.floats(min_value=1.7e9, max_value=1.8e9),
    length=st.one_of(st.floats(min_value=0, max_value=DAY_SECONDS), st.floats(min_value=0, max_value=60 * DAY_SECONDS)),
    seed=st.integers(0, 1000),
)
def test_a_span_counts_each_row_once_wherever_its_days_start(tmp_path_factory, start, length, seed):
    store = Store(tmp_path_factory.mktemp("span") / "heart.db")
    store.migrate(MIGRATION_SETS)
    rng = random.Random(seed)
    times = [start + rng.uniform(-2 * DAY_SECONDS, length + 2 * DAY_SECONDS) for _ in range(300)]
    times += [start, start + length, DAY_SECONDS * round(start / DAY_SECONDS)]  # on the boundaries
    with store.transaction() as db:
        db["events"].insert_all({"at": at, "kind": "tipsheet_view", "subject": "staff-wellness"} for at in times)
    span = Span(start, start + length)
    counted = store.db.execute(
        f"select count(*) from events where {Span.rows_in('at')} "
        f"union all select coalesce(sum(count), 0) from report_event_days where {Span.days()}",
        span.params(),
    ).fetchall()
    assert sum(n for (n,) in counted) == sum(1 for at in times if start <= at < start + length)
    store.close()


def test_an_interrupted_upgrade_leaves_nothing_half_made_and_can_run_again(tmp_path, monkeypatch):
    store = community_before_rollups(tmp_path)

    def interrupted(db):
        raise RuntimeError("the process stopped while counting")

    monkeypatch.setattr(rollups, "_fill", interrupted)
    with pytest.raises(RuntimeError):
        store.migrate(MIGRATION_SETS)
    assert not [name for name in store.db.table_names() if name.startswith("report_")]
    monkeypatch.undo()
    store.migrate(MIGRATION_SETS)
    assert rolled_up(store) == recount(store)
    store.close()
