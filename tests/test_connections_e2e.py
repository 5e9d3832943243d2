"""A connections round end to end: the real app (``python -m bot serve``) against the local Slack,
a real SQLite file and the real scheduler, with two processes on one database: every pair is
introduced exactly once. (The round on schedule through a kill -9 is in
tests/reliability/test_faults.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.connections import core, rounds
from bot.offline.server import BotServer
from bot.runtime import load_content
from tests.conftest import REAL_CONTENT
from tests.support.connections_helpers import community, introductions, introductions_settled
from tests.support.session_helpers import migrated
from tests.support.waiting import eventually

ZONE = "America/New_York"
MEMBERS = 120  # 60 pairs
ENV = {"HEART_RECONCILE_SECONDS": "1", "CONNECTIONS_PER_MINUTE": "1200", "HEART_TIMEZONE": ZONE}
CONNECTING = load_content(REAL_CONTENT).connections


def test_two_processes_on_one_database_introduce_each_pair_exactly_once(slack, tmp_path: Path):
    store = migrated(tmp_path / "heart.db")
    community(store, MEMBERS)
    started = rounds.start_now(store, CONNECTING, core.get_schedule(store, ZONE), by="UCOORD1", now=datetime.now(UTC))
    bots = [BotServer(slack, store.path, env=ENV).start() for _ in range(2)]
    try:
        eventually(lambda: introductions_settled(store), timeout=60, what="the round to be settled")
    finally:
        for bot in bots:
            bot.stop()
    groups = rounds.groups_of(store, started.id)
    assert len(groups) == MEMBERS // 2
    assert introductions(slack) == {frozenset(group.user_ids): 1 for group in groups}
