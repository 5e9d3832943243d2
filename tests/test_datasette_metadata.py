"""The optional Datasette metadata: locked to the root actor, and its canned queries run."""

from __future__ import annotations

import sqlite3

import pytest
import yaml

from bot.runtime import MIGRATION_SETS
from bot.store import Store
from tests.support.engagement_data import build_community
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


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = tmp_path_factory.mktemp("datasette") / "heart.db"
    store = Store(path)
    store.migrate(MIGRATION_SETS)
    build_community(store)
    store.close()
    return path


def test_every_table_with_member_ids_or_raw_counts_is_hidden(database):
    hidden = {name for name, table in METADATA["databases"]["heart"]["tables"].items() if table.get("hidden")}
    with sqlite3.connect(database) as connection:
        tables = {name for (name,) in connection.execute("select name from sqlite_master where type = 'table'")}
        sensitive = {
            table
            for table in tables
            if table.startswith("report_")
            or {"user_id", "text"} & {column for (_, column, *_) in connection.execute(f"pragma table_info({table})")}
        }
    assert sensitive and sensitive <= hidden


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_query_runs_and_suppresses_small_counts(database, name):
    with sqlite3.connect(database) as connection:
        rows = connection.execute(QUERIES[name]["sql"], PARAMS).fetchall()
    assert rows
    assert not any(value in (1, 2) for row in rows for value in row[1:] if name == "glossary_misses")


def test_sessions_query_counts_rsvps_and_hides_small_share_out_counts(database):
    with sqlite3.connect(database) as connection:
        rows = {row[0]: row for row in connection.execute(QUERIES["sessions"]["sql"], PARAMS)}
    assert rows["nov-10"][4:] == (3, 1, 3)
    assert rows["nov-24"][4:] == (2, 1, "<3")
