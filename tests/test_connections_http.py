"""/connect, its form, its switches, the follow-up's answers and the coordinators' buttons,
through signed HTTP requests to the real app (a real SQLite file, the local Slack)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.connections import core, rounds
from bot.connections.schedule import Schedule
from bot.offline import slack_requests
from bot.offline.localslack import LocalSlack
from bot.offline.server import BotServer
from bot.runtime import load_content
from bot.store import Store
from tests.conftest import REAL_CONTENT
from tests.support.connections_helpers import join
from tests.support.waiting import eventually, text_of

COORDINATOR = "UCOORD1"
MEMBER = "UJOINER"
CONNECTING = load_content(REAL_CONTENT).connections


@pytest.fixture(scope="module")
def bot(local_slack: LocalSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    env = {"COORDINATOR_IDS": COORDINATOR, "HEART_RECONCILE_SECONDS": "1", "CONNECTIONS_PER_MINUTE": "600"}
    server = BotServer(local_slack, tmp_path_factory.mktemp("connections") / "heart.db", env=env).start()
    yield server
    server.stop()


@pytest.fixture
def store(bot: BotServer) -> Iterator[Store]:
    found = Store(bot.database_path)
    yield found
    found.close()


def buttons(blocks: list[dict]) -> dict[str, dict]:
    return {e["action_id"]: {**e, "block_id": b.get("block_id")} for b in blocks if b["type"] == "actions" for e in b["elements"]}


def profile_values(sector: str | None = "school-clinician", *, state: str | None = "VT", topics=("collaboration",), blocked=()):
    values: dict[str, dict] = {
        "sector": {"sector": {"type": "static_select", "selected_option": {"value": sector} if sector else None}},
        "state": {"state": {"type": "static_select", "selected_option": {"value": state} if state else None}},
        "topics": {"topics": {"type": "multi_static_select", "selected_options": [{"value": t} for t in topics]}},
        "blocked": {"blocked": {"type": "multi_users_select", "selected_users": list(blocked)}},
    }
    return values


def test_connect_explains_who_sees_what_and_offers_to_join(bot, slack):
    answer = bot.command("/connect", user="UNEWCOMER")
    assert answer.status == 200
    said = text_of(answer.json)
    assert "Monthly connections" in said and "group DM" in said and "Coordinators see only counts" in said
    assert "Start a round now" not in said  # not a coordinator
    join_button = buttons(answer.json["blocks"])["connect_join"]
    slack.clear()
    bot.click("connect_join", user="UNEWCOMER", block_id=join_button["block_id"])
    (opened,) = slack.wait_for("views.open")
    view = opened.args["view"] if isinstance(opened.args["view"], dict) else json.loads(opened.args["view"])
    assert view["callback_id"] == "connect_profile" and view["submit"]["text"] == "Join"
    assert [b.get("block_id") for b in view["blocks"] if b["type"] == "input"] == ["sector", "state", "topics", "blocked"]


def test_a_form_with_problems_is_answered_field_by_field(bot, store):
    answer = bot.submit("connect_profile", profile_values(None, topics=("astrology",)), user=MEMBER)
    assert answer.json["response_action"] == "errors"
    assert set(answer.json["errors"]) == {"sector", "topics"}
    assert core.get_profile(store, MEMBER) is None


def test_joining_saves_the_profile_and_the_members_time_zone(bot, slack, store):
    slack.add_user(MEMBER, tz="America/Denver")
    answer = bot.submit("connect_profile", profile_values(blocked=("UNOTHIM",)), user=MEMBER, private_metadata="panel")
    assert answer.json["response_action"] == "update"
    assert "You've joined monthly connections" in text_of(answer.json["view"])
    profile = eventually(lambda: (p := core.get_profile(store, MEMBER)) and p.tz and p)
    assert (profile.sector, profile.state, profile.topics, profile.blocked) == (
        "school-clinician",
        "VT",
        ("collaboration",),
        ("UNOTHIM",),
    )
    assert profile.tz == "America/Denver"
    panel = bot.command("/connect", user=MEMBER).json
    said = text_of(panel)
    assert "You're in." in said and "Vermont" in said and "1 member" in said
    assert {"connect_join", "connect_skip", "connect_pause", "connect_history", "connect_leave"} <= set(buttons(panel["blocks"]))


@pytest.mark.parametrize(
    ("action", "status", "skip", "note"),
    [
        ("connect_skip", "active", True, "You'll skip the next round"),
        ("connect_unskip", "active", False, "You're back in the next round"),
        ("connect_pause", "paused", False, "Paused."),
        ("connect_resume", "active", False, "Welcome back"),
        ("connect_leave", "left", False, "You've left monthly connections"),
    ],
)
def test_pause_skip_and_leave_change_the_profile_and_redraw_the_panel(bot, slack, store, action, status, skip, note):
    join(store, "USWITCH")
    if action == "connect_unskip":
        core.set_skip_next(store, "USWITCH", True, now=datetime.now(UTC))
    if action == "connect_resume":
        core.set_status(store, "USWITCH", core.PAUSED, now=datetime.now(UTC))
    click = bot.click(action, user="USWITCH", block_id="panel|connect")
    (redrawn,) = slack.responses(click.response_url)
    assert redrawn["replace_original"] is True and note in text_of(redrawn)
    profile = core.get_profile(store, "USWITCH")
    assert (profile.status, profile.skip_next) == (status, skip)


def test_a_switch_on_the_home_tab_redraws_the_home_tab(bot, slack, store):
    join(store, "UHOMER")
    home = {"id": "VHOME", "type": "home"}
    bot.post(
        slack_requests.block_actions_body("connect_pause", user_id="UHOMER", response_url="", block_id="home|connect", view=home)
    )
    (published,) = slack.wait_for("views.publish")
    assert "paused connections" in text_of(published.args)
    assert core.get_profile(store, "UHOMER").status == core.PAUSED


def test_switches_before_joining_say_how_to_join(bot, slack):
    click = bot.click("connect_pause", user="UNEVERJOINED", block_id="panel|connect")
    assert "haven't joined monthly connections" in text_of(slack.responses(click.response_url))


def a_round(store: Store, *members: str) -> list[rounds.Group]:
    schedule = Schedule(timezone="America/New_York")
    due = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)
    for n, member in enumerate(members):
        join(store, member, ("school-staff", "community-health-center")[n % 2])
    found, _ = rounds.plan_round(store, CONNECTING, schedule, due=due, planned_by="test", now=due)
    return rounds.groups_of(store, found.id)


def test_the_follow_up_buttons_record_each_members_answer_and_nobody_elses(bot, slack, store):
    (group,) = a_round(store, "UPAIRA", "UPAIRB")
    click = bot.click("connect_answer_yes", str(group.id), user="UPAIRA", block_id="followup")
    assert "Noted that you met" in text_of(slack.responses(click.response_url))
    click = bot.click("connect_answer_no", str(group.id), user="UPAIRB", block_id="followup")
    assert "someone new next round" in text_of(slack.responses(click.response_url))
    click = bot.click("connect_answer_yes", str(group.id), user="UNOSY", block_id="followup")
    assert "Only the members introduced" in text_of(slack.responses(click.response_url))
    click = bot.click("connect_answer_yes", "not-a-pair", user="UPAIRA", block_id="followup")
    assert "no longer open" in text_of(slack.responses(click.response_url))
    answers = store.db.execute("select user_id, answer from connection_answers where pair_id = ? order by user_id", [group.id])
    assert answers.fetchall() == [("UPAIRA", "yes"), ("UPAIRB", "no")]
    history = bot.command("/connect", "history", user="UPAIRA").json
    assert "<@UPAIRB>" in text_of(history) and "you met" in text_of(history)


def test_members_cannot_use_the_coordinators_buttons(bot, slack, store):
    for action in ("connect_run", "connect_pause_all", "connect_resume_all"):
        click = bot.click(action, user=MEMBER, block_id="panel|connect-coordinators")
        assert "Only coordinators" in text_of(slack.responses(click.response_url)), action
    assert not core.is_paused(store)


def test_a_coordinator_starts_a_round_now_and_the_running_bot_introduces_each_pair(bot, slack, store):
    for member, sector in (("UCOUNSELOR", "school-staff"), ("UCLINICIAN", "school-clinician"), ("UNURSE", "school-staff")):
        join(store, member, sector)
    panel = bot.command("/connect", user=COORDINATOR).json
    assert "For coordinators" in text_of(panel) and "the first Monday of each month at 10:00" in text_of(panel)
    run = buttons(panel["blocks"])["connect_run"]
    assert run["confirm"]["title"]["text"] == "Start a round now?"
    before = {
        g.id for r in store.db.execute("select id from connection_rounds").fetchall() for g in rounds.groups_of(store, r[0])
    }
    slack.clear()
    click = bot.click("connect_run", user=COORDINATOR, block_id=run["block_id"])
    assert "Round started" in text_of(slack.responses(click.response_url))
    latest = rounds.latest_round(store)
    groups = [g for g in rounds.groups_of(store, latest.id) if g.id not in before]
    assert groups and latest.planned_by == COORDINATOR
    eventually(lambda: len(slack.calls_to("chat.postMessage")) >= len([g for g in groups if g.user_ids]))
    introduced = {c.args["channel"] for c in slack.calls_to("chat.postMessage")}
    assert all(c.startswith("G") for c in introduced)
    # A second press inside two weeks is refused; pause and resume work.
    click = bot.click("connect_run", user=COORDINATOR, block_id=run["block_id"])
    assert "less than two weeks ago" in text_of(slack.responses(click.response_url))
    bot.click("connect_pause_all", user=COORDINATOR, block_id=run["block_id"])
    eventually(lambda: core.is_paused(store))
    assert "Connections are paused" in text_of(bot.command("/connect", user=COORDINATOR).json)
    bot.click("connect_resume_all", user=COORDINATOR, block_id=run["block_id"])
    eventually(lambda: not core.is_paused(store))
    assert timedelta(0) <= datetime.now(UTC) - latest.due_at < timedelta(minutes=2)


def test_switches_can_be_typed_too(bot, slack, store):
    join(store, "UTYPIST")
    answer = bot.command("/connect", "skip", user="UTYPIST")
    assert answer.status == 200
    (shown,) = slack.responses(answer.response_url)
    assert "You'll skip the next round" in text_of(shown) and "skipping the next round" in text_of(shown)
    assert core.get_profile(store, "UTYPIST").skip_next
    answer = bot.command("/connect", "dance", user="UTYPIST")
    assert "I don't know *dance*" in text_of(answer.json) and "/connect history" in text_of(answer.json)
