"""A connections round end to end: the real app (``python -m bot serve``) against the local Slack,
a real SQLite file and the real scheduler. The round falls due on schedule, the bot is killed
with SIGKILL in the middle of it (while Slack is answering an introduction), and started
again: every pair is introduced exactly once. Two processes on one database do the same.

Waits are for events (introductions arriving, the round settling), never fixed sleeps.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.claims import OUTCOME_UNKNOWN
from bot.connections import core, rounds
from bot.connections.schedule import check_schedule
from bot.connections.sending import INTRODUCTION, SENDERS, ledger_key
from bot.offline.localslack import Failure, LocalSlack
from bot.offline.server import BotServer
from bot.runtime import load_content
from bot.store import Store
from tests.conftest import REAL_CONTENT
from tests.support.connections_helpers import community
from tests.support.session_helpers import migrated

ZONE = "America/New_York"
MEMBERS = 120  # 60 pairs
ENV = {"HEART_RECONCILE_SECONDS": "1", "CONNECTIONS_PER_MINUTE": "1200", "HEART_TIMEZONE": ZONE}
CONNECTING = load_content(REAL_CONTENT).connections


def wait_until(check: Callable[[], object], timeout: float = 60, what: str = "it") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise TimeoutError(f"waited {timeout}s for {what}")


def introductions(slack: LocalSlack) -> Counter:
    """Introductions Slack took, by the members they introduce (named in the message's text)."""
    return Counter(
        frozenset(re.findall(r"<@(U[A-Z0-9]+)>", str(call.args.get("text"))))
        for call in slack.calls_to("chat.postMessage")
        if "_failed" not in call.args and "Meet your monthly connection" in str(call.args.get("text"))
    )


def round_settled(store: Store) -> str | None:
    """The id of the round whose introductions are all settled (the fan-out recorded as done)."""
    row = store.db.execute(
        "select occurrence_id from deliveries where kind = ? and recipient = '*' and state != 'claimed'", [INTRODUCTION]
    ).fetchone()
    return row[0] if row else None


def due_this_minute(store: Store) -> datetime:
    """Set the schedule so that a round fell due at the start of this minute, whatever today is."""
    now = datetime.now(ZoneInfo(ZONE)).replace(second=0, microsecond=0)
    day = str(now.day) if now.day <= 28 else f"last {now:%a}".lower()  # the 29th-31st are in a month's last week
    core.set_schedule(store, check_schedule(day, f"{now:%H:%M}", ZONE))
    return now


def leases_run_out(store: Store) -> None:
    """What a minute's wait would do: every claim the killed process held may be taken over."""
    with store.transaction() as db:
        db.execute("update deliveries set lease_until = 0 where state = 'claimed'")


def test_a_round_on_schedule_survives_a_kill_9_and_introduces_each_pair_exactly_once(slack, tmp_path: Path):
    store = migrated(tmp_path / "heart.db")
    community(store, MEMBERS)
    due = due_this_minute(store)
    # From the 21st on, introductions are answered slowly: the bot is killed while Slack is taking
    # them (one for each of its senders).
    slack.fail_next("chat.postMessage", *[Failure()] * 20, *[Failure(delay=3.0)] * SENDERS)
    bot = BotServer(slack, store.path, env=ENV).start()
    wait_until(lambda: sum(introductions(slack).values()) >= 20, what="the round to be under way")
    time.sleep(0.5)
    bot.kill()
    assert sum(introductions(slack).values()) < MEMBERS // 2, "the round had finished before the kill"
    wait_until(lambda: sum(introductions(slack).values()) >= 20 + SENDERS, what="Slack to take the slow introductions")
    leases_run_out(store)
    bot.start()
    try:
        round_id = wait_until(lambda: round_settled(store), what="the round to be settled")
    finally:
        bot.stop()
    assert round_id == ledger_key(rounds.round_id(due, ZONE))
    groups = rounds.groups_of(store, rounds.latest_round(store).id)
    assert len(groups) == MEMBERS // 2
    assert introductions(slack) == {frozenset(group.user_ids): 1 for group in groups}, "each pair introduced exactly once"
    recorded = store.db.execute(
        "select state, detail from deliveries where kind = ? and recipient != '*'", [INTRODUCTION]
    ).fetchall()
    # The introductions Slack was answering when the bot died are posted, and recorded as not sent again.
    assert Counter(state for state, _ in recorded) == {"sent": MEMBERS // 2 - SENDERS, "skipped": SENDERS}
    assert [detail for state, detail in recorded if state == "skipped"] == [OUTCOME_UNKNOWN] * SENDERS
    assert "Traceback" not in bot.log()


def test_two_processes_on_one_database_introduce_each_pair_exactly_once(slack, tmp_path: Path):
    store = migrated(tmp_path / "heart.db")
    community(store, MEMBERS)
    now = datetime.now(UTC)
    started = rounds.start_now(store, CONNECTING, core.get_schedule(store, ZONE), by="UCOORD1", now=now)
    bots = [BotServer(slack, store.path, env=ENV).start() for _ in range(2)]
    try:
        wait_until(lambda: round_settled(store), what="the round to be settled")
    finally:
        for bot in bots:
            bot.stop()
    groups = rounds.groups_of(store, started.id)
    assert introductions(slack) == {frozenset(group.user_ids): 1 for group in groups}
    assert len(groups) == MEMBERS // 2
