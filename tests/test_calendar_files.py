"""Add to calendar: each deployment's UIDs are its own and stay put; file names end on a whole word."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime

from icalendar import Calendar

from bot.runtime import load_content
from bot.sessions import core as sessions
from bot.sessions import ics
from bot.store import Store
from tests.conftest import REAL_CONTENT
from tests.support.session_helpers import migrated

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
DEFAULT_SESSION = "ne-school-mental-health-peer-support-hour:2026-12-08"


def deployment(path) -> Store:
    """A fresh install: a new database with the default series of content/sessions.yml."""
    store = migrated(path)
    sessions.import_series(store, list(load_content(REAL_CONTENT).sessions), now=NOW)
    return store


def calendar_uid(store: Store, occurrence_id: str = DEFAULT_SESSION) -> str:
    occurrence = sessions.get_occurrence(store, occurrence_id)
    assert occurrence is not None
    event = Calendar.from_ical(ics.ics(occurrence, deployment=sessions.deployment_uid(store), now=NOW)).walk("VEVENT")[0]
    return str(event["uid"])


def test_two_deployments_of_the_default_series_give_the_same_session_different_uids(tmp_path):
    first, second = deployment(tmp_path / "a" / "heart.db"), deployment(tmp_path / "b" / "heart.db")
    one, other = calendar_uid(first), calendar_uid(second)
    assert one != other
    assert one.startswith(f"{DEFAULT_SESSION}@") and one.endswith(".heart-bot")


def test_a_deployments_uids_survive_a_restart_and_a_move_to_another_host(tmp_path):
    store = deployment(tmp_path / "heart.db")
    before = calendar_uid(store)
    store.close()
    restarted = migrated(tmp_path / "heart.db")  # migrations run again at every start
    assert calendar_uid(restarted) == before
    restarted.erase_history()
    restarted.close()
    shutil.copytree(tmp_path, tmp_path.parent / "moved")
    assert calendar_uid(migrated(tmp_path.parent / "moved" / "heart.db")) == before


def test_a_calendar_file_name_ends_on_a_whole_word(tmp_path):
    store = deployment(tmp_path / "heart.db")
    occurrence = sessions.get_occurrence(store, DEFAULT_SESSION)
    assert ics.ics_filename(occurrence) == "ne-school-mental-health-peer-support-2026-12-08.ics"
    short = replace(occurrence, series_id="peer-hour")
    assert ics.ics_filename(short) == "peer-hour-2026-12-08.ics"
    one_word = replace(occurrence, series_id="a" * 48)
    assert ics.ics_filename(one_word) == f"{'a' * 40}-2026-12-08.ics"
