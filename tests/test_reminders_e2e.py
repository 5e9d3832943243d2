"""Reminders end to end: the real app (``python -m bot serve``) against the local Slack, with a
real SQLite file and the real scheduler. Never missed, never doubled: through a kill -9, with
two processes on one database, through 429s and 500s, and for 300 subscribers at once.

Each test writes a session straight into the database, due a few seconds ahead, then starts
the bot (or starts it first, to kill it before the reminder); waits are for events (messages
arriving, deliveries settling, the bot's rounds), never fixed sleeps.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.offline.localslack import Failure, LocalSlack
from bot.offline.server import BotServer
from bot.sessions import core as sessions
from bot.store import Store
from tests.reliability.checks import reconciled_twice
from tests.support.session_helpers import migrated, one_session, soon
from tests.support.waiting import eventually

ENV = {"HEART_RECONCILE_SECONDS": "1", "REMINDER_DM_PER_SECOND": "100", "COORDINATOR_IDS": "UCOORD1"}


def delivered(slack: LocalSlack) -> Counter:
    """How many times each channel or member got a message (answers Slack accepted)."""
    return Counter(call.args["channel"] for call in slack.calls_to("chat.postMessage") if "_failed" not in call.args)


def settled(store: Store, occurrence_id: str, kind: str) -> bool:
    """True once the slot as a whole is recorded as done."""
    row = store.db.execute(
        "select state from deliveries where occurrence_id = ? and kind = ? and recipient = '*'", (occurrence_id, kind)
    ).fetchone()
    return bool(row) and row[0] != "claimed"


def serve_until(slack: LocalSlack, db_path: Path, done: Callable[[], object], *, processes: int = 1, what: str = "it") -> None:
    """Run the bot (``processes`` of them on one database) until ``done()``, then stop it gracefully."""
    bots = [BotServer(slack, db_path, env=ENV).start() for _ in range(processes)]
    try:
        eventually(done, timeout=60, what=what)
    finally:
        for bot in bots:
            bot.stop()


def subscribe(store: Store, series_id: str, members: list[str]) -> None:
    with store.transaction() as db:
        db["subscriptions"].insert_all([{"series_id": series_id, "user_id": m, "created_at": 0} for m in members])


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "heart.db"


def test_the_running_app_posts_a_reminder_when_it_falls_due(slack, db_path):
    store = migrated(db_path)
    occurrence = one_session(store, soon(60 + 4), offsets=(1,))  # the 1-minute reminder is due in 4 s
    subscribe(store, occurrence.series_id, ["UANA", "UBEN"])
    serve_until(slack, db_path, lambda: settled(store, occurrence.id, "reminder-1"), what="the reminder")
    assert delivered(slack) == {"C0PEER": 1, "UANA": 1, "UBEN": 1}
    first = slack.calls_to("chat.postMessage")[0]
    assert first.at >= (occurrence.starts_at.timestamp() - 60)  # not before it was due
    assert "Reminder" in first.args["text"] and "<!date^" in str(first.args["blocks"])


def test_a_session_added_200_days_before_it_starts_is_reminded_by_the_running_app(slack, db_path):
    store = migrated(db_path)
    start = soon(60 + 4)  # added on a clock set 200 days back, beyond the 120 days sessions are made ahead
    occurrence = one_session(store, start, offsets=(1,), created=start - timedelta(days=200))
    subscribe(store, occurrence.series_id, ["UANA"])
    serve_until(slack, db_path, lambda: settled(store, occurrence.id, "reminder-1"), what="the reminder")
    assert delivered(slack) == {"C0PEER": 1, "UANA": 1}


def test_killed_before_the_reminder_and_started_after_it_sends_exactly_one(slack, db_path):
    store = migrated(db_path)
    first = BotServer(slack, db_path, env={**ENV, "LOG_LEVEL": "DEBUG"}).start()
    # Added once the bot serves (however long a loaded machine took to start it), due 12 s later:
    # time for two of its rounds, a second apart, to schedule the reminder, with room for a
    # machine busy with other tests.
    occurrence = one_session(store, soon(60 + 12), offsets=(1,))
    due = occurrence.starts_at.timestamp() - 60
    reconciled_twice(first)
    first.kill()  # kill -9: no goodbye, the job it had scheduled dies with it
    assert delivered(slack) == {}
    eventually(lambda: time.time() > due + 1, timeout=30, what="the reminder's time to pass")
    serve_until(slack, db_path, lambda: settled(store, occurrence.id, "reminder-1"), what="the catch-up")
    assert delivered(slack) == {"C0PEER": 1}


def test_a_reminder_missed_until_the_session_started_is_recorded_as_skipped(slack, db_path):
    store = migrated(db_path)
    occurrence = one_session(store, datetime.now(UTC).replace(microsecond=0), offsets=(15,))  # starting now
    serve_until(
        slack, db_path, lambda: settled(store, occurrence.id, "starting") and settled(store, occurrence.id, "reminder-15")
    )
    skipped = store.db.execute(
        "select state, detail from deliveries where occurrence_id = ? and kind = 'reminder-15' and recipient = '*'",
        (occurrence.id,),
    ).fetchone()
    assert skipped == ("skipped", "too late")
    assert delivered(slack) == {"C0PEER": 1}  # "starting now" only
    assert "starting now" in slack.calls_to("chat.postMessage")[0].args["text"]


def test_two_app_processes_on_one_database_send_each_message_once(slack, db_path):
    store = migrated(db_path)
    occurrence = one_session(store, soon(60 + 8), offsets=(1,))
    members = [f"UM{n:03d}" for n in range(20)]
    subscribe(store, occurrence.series_id, members)
    serve_until(slack, db_path, lambda: settled(store, occurrence.id, "reminder-1"), processes=2, what="the reminder")
    assert delivered(slack) == {channel: 1 for channel in ["C0PEER", *members]}


def test_429_with_retry_after_then_500s_deliver_exactly_once(slack, db_path):
    store = migrated(db_path)
    occurrence = one_session(store, soon(60 + 4), offsets=(1,))
    slack.fail_next("chat.postMessage", Failure(status=429, retry_after=1), Failure(status=500), Failure(status=500))
    serve_until(slack, db_path, lambda: settled(store, occurrence.id, "reminder-1"), what="the reminder")
    assert delivered(slack) == {"C0PEER": 1}
    assert [call.args.get("_failed") for call in slack.calls_to("chat.postMessage")] == [429, 500, 500, None]


def test_300_subscribers_against_a_rate_limited_slack_are_each_reached_once(slack, db_path):
    store = migrated(db_path)
    occurrence = one_session(store, soon(15 * 60 + 4), offsets=(15,))  # useful for 15 minutes, however slow the machine
    members = [f"UM{n:04d}" for n in range(300)]
    subscribe(store, occurrence.series_id, members)
    # Beyond 30 a second (the bot aims at 100): a 429 with Retry-After again and again through the
    # fan-out, some ten times for 300 members (at 10 a second, the same push-back thirty times).
    slack.rate_limit("chat.postMessage", 30)
    bot = BotServer(slack, db_path, env=ENV).start()
    try:
        eventually(lambda: len(delivered(slack)) >= 20, timeout=30, what="the fan-out to start")
        answer = bot.command("/peerhour")  # members are still answered while it runs
        assert answer.status == 200 and "Peer Support Hour" in answer.text
        eventually(lambda: settled(store, occurrence.id, "reminder-15"), timeout=240, what="the fan-out")
    finally:
        bot.stop()
    assert delivered(slack) == {channel: 1 for channel in ["C0PEER", *members]}
    assert any(call.args.get("_failed") == "ratelimited" for call in slack.calls_to("chat.postMessage"))  # it was pushed
    sent = store.db.execute(
        "select count(*) from deliveries where occurrence_id = ? and state = 'sent'", (occurrence.id,)
    ).fetchone()
    assert sent == (302,)  # 300 members, the channel, and the fan-out as a whole
    assert sessions.get_series(store, occurrence.series_id).channel_problem is None
