"""A round's introductions and follow-ups against the local Slack: each group once, in its own
group DM, whatever Slack answers, whichever process sends them."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.claims import Claims
from bot.connections import core, rounds
from bot.connections.schedule import Schedule
from bot.connections.sending import OPEN, POST, USER, Introducer, ledger_key
from bot.offline.localslack import Failure, LocalSlack
from bot.pacing import Pacer
from bot.runtime import load_content
from bot.sender import Sender
from bot.slack_client import delivery_client
from bot.store import Store
from tests.conftest import FIXTURE_CONTENT
from tests.support.connections_helpers import community, join
from tests.support.session_helpers import migrated

CONNECTING = load_content(FIXTURE_CONTENT).connections
ZONE = "America/New_York"
SCHEDULE = Schedule(timezone=ZONE)
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo(ZONE))


@pytest.fixture
def store(tmp_path) -> Store:
    return migrated(tmp_path / "heart.db")


def introducer(store: Store, slack: LocalSlack, *, at: datetime, owner: str = "test:1") -> Introducer:
    stopping = threading.Event()
    clock = at.timestamp
    client, claims = delivery_client("xoxb-test", slack.api_url), Claims(store, owner, clock=clock)
    pacers = {method: Pacer(store, f"connections {method}", 200, stopping) for method in (OPEN, POST, USER)}
    lookups = Pacer(store, "conversations.history", 200, stopping)
    return Introducer(
        store,
        client,
        CONNECTING,
        claims=claims,
        sender=Sender(client, claims, pace=pacers.pop(POST), lookups=lookups, stopping=stopping, clock=clock),
        pacers=pacers,
        stopping=stopping,
        timezone=ZONE,
        clock=clock,
    )


def plan(store: Store) -> rounds.Round:
    found, _ = rounds.plan_round(store, CONNECTING, SCHEDULE, due=MONDAY, planned_by="test", now=MONDAY)
    return found


def posted(slack: LocalSlack) -> Counter:
    """Messages Slack took, by conversation."""
    return Counter(call.args["channel"] for call in slack.calls_to("chat.postMessage") if "_failed" not in call.args)


def states(store: Store, round_id: str, kind: str) -> Counter:
    rows = store.db.execute(
        "select state from deliveries where occurrence_id = ? and kind = ? and recipient != '*'", [ledger_key(round_id), kind]
    )
    return Counter(state for (state,) in rows)


def test_each_pair_is_introduced_once_in_a_group_dm_of_its_own(store, slack):
    join(store, "UANA", "school-staff", topics=["collaboration"], state="RI")
    join(store, "UBEN", "community-health-center", topics=["collaboration"], tz="America/Los_Angeles")
    found = plan(store)
    summary = introducer(store, slack, at=MONDAY + timedelta(minutes=1)).introduce(found.id)
    assert summary == "1 sent"
    (opened,) = slack.calls_to("conversations.open")
    assert sorted(opened.args["users"].split(",")) == ["UANA", "UBEN"]
    (message,) = slack.calls_to("chat.postMessage")
    channel = opened and message.args["channel"]
    assert channel.startswith("G")
    text = json.dumps(message.blocks())
    assert "<@UANA>" in text and "<@UBEN>" in text and "Rhode Island" in text and "Community health center" in text
    assert "Topics you share:* Collaboration between school and community partners" in text
    assert "_Best Practices for Collaboration_ suggests: *Use an MOU.*" in text
    assert "<!date^" in text and "working hours" in text and "can't read it" in text
    assert message.args["unfurl_links"] in (False, "false", "0", 0)
    (group,) = rounds.groups_of(store, found.id)
    assert group.channel == channel and group.introduced_at is not None
    # Sent again, by this process or another one: nothing more.
    assert introducer(store, slack, at=MONDAY + timedelta(minutes=2), owner="test:2").introduce(found.id) == "busy"
    assert posted(slack) == {channel: 1}


def test_a_round_is_not_introduced_before_it_starts_nor_a_week_after(store, slack):
    join(store, "UANA", "school-staff")
    join(store, "UBEN", "lived-experience")
    found = plan(store)
    assert introducer(store, slack, at=MONDAY - timedelta(minutes=1)).introduce(found.id) == "early"
    assert introducer(store, slack, at=MONDAY + timedelta(days=8)).introduce(found.id) == "skipped: too late"
    assert slack.calls_to("chat.postMessage") == []


def test_two_processes_at_once_introduce_each_pair_once(store, slack):
    members = community(store, 40)
    found = plan(store)
    workers = [
        threading.Thread(target=introducer(store, slack, at=MONDAY, owner=f"test:{n}").introduce, args=(found.id,))
        for n in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert len(posted(slack)) == 20 and set(posted(slack).values()) == {1}
    assert len({c.args["users"] for c in slack.calls_to("conversations.open")}) == 20
    assert members


def test_slack_failures_are_waited_out_retried_or_recorded_and_the_round_goes_on(store, slack):
    community(store, 8)
    found = plan(store)
    slack.fail_next("conversations.open", Failure(error="user_disabled"), Failure(status=429, retry_after=1))
    slack.fail_next("chat.postMessage", Failure(status=500), Failure(drop=True))
    summary = introducer(store, slack, at=MONDAY).introduce(found.id)
    assert summary == "1 failed, 3 sent"
    assert states(store, found.id, "introduction") == {"sent": 3, "failed": 1}
    detail = store.db.execute("select detail from deliveries where state = 'failed'").fetchone()
    assert detail == ("user_disabled",)
    assert set(posted(slack).values()) == {1} and len(posted(slack)) == 3


def test_a_member_who_paused_after_the_round_was_planned_is_not_introduced(store, slack):
    join(store, "UANA", "school-staff")
    join(store, "UBEN", "lived-experience")
    found = plan(store)
    core.set_status(store, "UBEN", core.PAUSED, now=MONDAY)
    assert introducer(store, slack, at=MONDAY).introduce(found.id) == "1 skipped"
    assert slack.calls_to("conversations.open") == [] and slack.calls_to("chat.postMessage") == []


def test_a_time_zone_heart_bot_does_not_know_yet_is_asked_of_slack_once(store, slack):
    join(store, "UANA", "school-staff", tz=None)
    join(store, "UBEN", "lived-experience")
    slack.add_user("UANA", tz="America/Chicago")
    found = plan(store)
    introducer(store, slack, at=MONDAY).introduce(found.id)
    assert [c.args["user"] for c in slack.calls_to("users.info")] == ["UANA"]
    assert core.get_profile(store, "UANA").tz == "America/Chicago"


def test_halfway_through_each_introduced_pair_is_asked_once_whether_they_met(store, slack):
    community(store, 6)
    found = plan(store)
    slack.fail_next("conversations.open", Failure(error="user_not_found"))
    introducer(store, slack, at=MONDAY).introduce(found.id)
    introduced = posted(slack)
    assert len(introduced) == 2
    slack.clear()
    assert introducer(store, slack, at=found.follow_up_at - timedelta(minutes=1)).follow_up(found.id) == "early"
    summary = introducer(store, slack, at=found.follow_up_at).follow_up(found.id)
    assert summary == "1 not introduced, 2 sent"
    assert posted(slack) == introduced  # in the same group DMs, once each
    assert slack.calls_to("conversations.open") == []  # the group DM was remembered
    buttons = [
        e for call in slack.calls_to("chat.postMessage") for b in call.blocks() if b["type"] == "actions" for e in b["elements"]
    ]
    assert {b["action_id"] for b in buttons} == {"connect_answer_yes", "connect_answer_not_yet", "connect_answer_no"}
    assert introducer(store, slack, at=found.follow_up_at).follow_up(found.id) == "busy"
    assert len(slack.calls_to("chat.postMessage")) == 2
