"""A database made by the first release (tests/fixtures/upgrade/first-release.db, rebuilt by
make_first_release.sh from that release's own code) upgrades to the current schema at start,
with every row kept; `check` names its schema version and the migrations the start applies."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import replace

from bot.runtime import build_heart, migration_sets, schema_status
from tests.support.harness import ROOT

FIRST_RELEASE = ROOT / "tests" / "fixtures" / "upgrade" / "first-release.db"
EVENT_COLUMNS = "id, at, kind, user_id, subject, query, hit"


def rows(path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def check(tmp_path, database) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DATABASE_PATH": str(database), "SLACK_BOT_TOKEN": ""}
    return subprocess.run([sys.executable, "-m", "bot", "check"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)


def test_the_first_releases_database_upgrades_with_every_row_kept(tmp_path, settings):
    database = tmp_path / "heart.db"
    shutil.copy(FIRST_RELEASE, database)
    before = rows(database, f"select {EVENT_COLUMNS} from events order by id")
    assert len(before) == 15

    status = schema_status(database, settings)
    assert status.exists and status.version == 1 and not status.unknown
    total = sum(len(s._migrations) for s in migration_sets(settings))
    assert len(status.pending) == total - 1

    reported = check(tmp_path, database)
    assert f"schema version 1; the next start applies {total - 1} migrations: heart.shareouts: create_shareouts" in reported.stdout

    heart = build_heart(replace(settings, database_path=database))
    heart.close()
    assert rows(database, f"select {EVENT_COLUMNS} from events order by id") == before
    after = schema_status(database, settings)
    assert after.version == total and not after.pending
    assert f"schema version {total}, up to date" in check(tmp_path, database).stdout
    # The reports count what the first release recorded (its lookups, misses and sheet views).
    assert rows(database, "select sum(count) from report_event_days") == [(15,)]
