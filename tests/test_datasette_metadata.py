"""The optional Datasette metadata: locked to the root actor, every table holding member ids hidden
(found in the schema, so a new table can't be forgotten), and its canned queries run with small
counts hidden."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime

import pytest
import yaml

from bot.sessions import core as sessions
from bot.sessions.core import Series
from bot.sessions.recurrence import ONCE, Recurrence
from tests.support.engagement_data import SERIES_TITLE, community_at
from tests.support.harness import ROOT

METADATA = yaml.safe_load((ROOT / "datasette" / "metadata.yml").read_text())
QUERIES = METADATA["databases"]["heart"]["queries"]
PARAMS = {"start_date": "2026-11-01", "end_date": "2026-11-30", "months": "36", "days": "3650"}


def test_nothing_is_visible_without_signing_in_as_root():
    assert METADATA["allow"] == {"id": "root"}
    assert METADATA["databases"]["heart"]["allow_sql"] == {"id": "root"}


def test_the_three_canned_queries_exist():
    assert set(QUERIES) == {"sessions", "engagement_by_month", "glossary_misses"}
    assert all(query["title"] and query["description"] for query in QUERIES.values())


# Columns that name a person: who answered or shared (user_id), who was reminded (recipient),
# who added or changed something (created_by, changed_by, claimed_by), an author, a member.
PERSON_COLUMN = re.compile(r"(^|_)(user|member|recipient|author|coordinator)s?(_|$)|_by$")
# Tables Datasette may list, each checked to hold no member id (by its columns and its rows).
# A new table must be hidden in metadata.yml or added here.
SHOWN = {
    "_sqlite_migrations": "which schema migrations ran",
    "deployment": "this deployment's random id, carried by calendar UIDs",
    "connection_settings": "the coordinators' switches for monthly connections: paused, and the schedule",
}
HIDDEN = {name for name, table in METADATA["databases"]["heart"]["tables"].items() if table.get("hidden")}
COORDINATOR = "UCOORD1"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """Every feature's tables (the real migrations), holding a community's rows, plus what the
    sessions feature writes that the community lacks: a series added and a session cancelled from
    Slack, a DM subscription, and a reminder delivered to a member."""
    path = tmp_path_factory.mktemp("datasette") / "heart.db"
    store = community_at(path)
    now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    series = Series(id="", title="Winter circle", recurrence=Recurrence(ONCE, datetime(2026, 12, 15, 15, 30), "America/New_York"))
    added = sessions.add_series(store, series, now=now, created_by=COORDINATOR)
    occurrence_id = added.occurrence_id(datetime(2026, 12, 15, 20, 30, tzinfo=UTC))
    sessions.set_subscription(store, added.id, "UA", True, now=now)
    sessions.cancel_occurrence(store, occurrence_id, by=COORDINATOR, now=now)
    with store.transaction() as db:
        db["deliveries"].insert({"occurrence_id": occurrence_id, "kind": "reminder-15", "recipient": "UB", "state": "sent"})
        db["occurrences"].update("nov-10", {"topic": "Winter check-in"})
    store.close()
    return path


def schema(path) -> dict[str, list[str]]:
    """Every table the migrations make, with its columns."""
    with sqlite3.connect(path) as connection:
        names = [name for (name,) in connection.execute("select name from sqlite_master where type = 'table'")]
        return {
            name: [column for (_, column, *_) in connection.execute(f"pragma table_info({name})")]
            for name in names
            if not name.startswith("sqlite_")
        }


def holding_member_ids(tables: dict[str, list[str]]) -> set[str]:
    """Tables with a column that names a person, share-out words, or report counts kept unsuppressed."""
    return {
        name
        for name, columns in tables.items()
        if name.startswith("report_") or "text" in columns or any(PERSON_COLUMN.search(column) for column in columns)
    }


def test_every_table_holding_member_ids_is_hidden(database):
    holding = holding_member_ids(schema(database))
    # The schema rule finds the tables known to hold member ids, whatever their column is called.
    assert {"rsvps", "subscriptions", "deliveries", "events", "shareouts", "series", "occurrences"} <= holding
    assert holding <= HIDDEN, f"hide {sorted(holding - HIDDEN)} in datasette/metadata.yml"


def test_every_table_is_hidden_or_known_to_hold_no_member_ids(database):
    tables = schema(database)
    unclassified = set(tables) - HIDDEN - set(SHOWN)
    assert not unclassified, (
        f"{sorted(unclassified)}: hide it in datasette/metadata.yml, or add it to SHOWN once sure it holds no member id"
    )
    assert not holding_member_ids(tables) & set(SHOWN)


def test_no_table_datasette_lists_holds_a_member_id_in_any_row(database):
    tables = schema(database)
    with sqlite3.connect(database) as connection:
        members = {
            value
            for name, columns in tables.items()
            for column in columns
            if PERSON_COLUMN.search(column)
            for (value,) in connection.execute(f"select distinct {column} from {name}")
            if isinstance(value, str) and re.fullmatch(r"[UW][A-Z0-9]+", value)
        }
        assert {"UA", "UB", COORDINATOR} <= members  # the answers, the reminder and the coordinator's changes
        pattern = re.compile(rf"\b({'|'.join(sorted(members))})\b")
        found = {
            (name, column)
            for name, columns in tables.items()
            if name not in HIDDEN
            for column in columns
            for (value,) in connection.execute(f"select {column} from {name}")
            if isinstance(value, str) and pattern.search(value)
        }
    assert not found, f"member ids in tables Datasette lists: {sorted(found)}"


# Each query's columns that are not counts; every other column is a count and must hide 1 and 2.
LABELS = {
    "sessions": {"session", "series", "topic", "starts_at_utc", "status"},
    "engagement_by_month": {"month"},
    "glossary_misses": {"query", "answer", "last_searched"},
}


def test_every_query_has_its_labels_named():
    assert set(LABELS) == set(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_query_runs_and_suppresses_small_counts(database, name):
    with sqlite3.connect(database) as connection:
        cursor = connection.execute(QUERIES[name]["sql"], PARAMS)
        columns = [column for (column, *_) in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    counts = set(columns) - LABELS[name]
    assert rows and counts and LABELS[name] <= set(columns)
    assert not [(row, column) for row in rows for column in counts if row[column] in (1, 2)]
    assert any(row[column] == "<3" for row in rows for column in counts)  # the community has small counts to hide


def test_the_sessions_query_names_series_and_topic_and_hides_small_rsvp_counts(database):
    with sqlite3.connect(database) as connection:
        rows = {row[0]: row for row in connection.execute(QUERIES["sessions"]["sql"], PARAMS)}
    assert rows["nov-10"][1:3] == (SERIES_TITLE, "Winter check-in")  # the series title stays beside the topic
    assert rows["nov-24"][1:3] == (SERIES_TITLE, None)
    assert rows["nov-10"][5:] == (3, "<3", 3)
    assert rows["nov-24"][5:] == ("<3", "<3", "<3")
