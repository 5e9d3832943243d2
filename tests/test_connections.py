"""Monthly connections' core on a real SQLite file: the schedule, suggested times, profiles and
their switches, rounds planned once, answers, the coordinators' figures, and a member's own data.
The messages themselves, against the local Slack, are in test_connections_sending.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.connections import blocks, core, rounds
from bot.connections.core import ConnectionsError, InvalidProfile, ProfileForm
from bot.connections.schedule import Schedule, ScheduleError, check_schedule
from bot.connections.timing import suggest_meeting
from bot.engagement.report import _Tables, connection_figures
from bot.small_counts import Suppressor
from bot.members import data as member_data
from bot.runtime import load_content
from bot.shareouts.core import Owner
from bot.store import Store
from tests.conftest import FIXTURE_CONTENT, REAL_CONTENT
from tests.support.connections_helpers import community, join
from tests.support.session_helpers import migrated

CONTENT = load_content(FIXTURE_CONTENT)
CONNECTING = CONTENT.connections
ZONE = "America/New_York"
NY = ZoneInfo(ZONE)
SCHEDULE = Schedule(timezone=ZONE)
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=NY)  # the first Monday of December, 10:00


@pytest.fixture
def store(tmp_path) -> Store:
    return migrated(tmp_path / "heart.db")


def plan(store: Store, due: datetime = MONDAY, **options) -> rounds.Round:
    found, _ = rounds.plan_round(store, CONNECTING, SCHEDULE, due=due, planned_by="test", now=due, **options)
    return found


def groups(store: Store, found: rounds.Round) -> list[set[str]]:
    return [set(group.user_ids) for group in rounds.groups_of(store, found.id)]


# ----------------------------------------------------------------------------- schedule and timing


def test_rounds_start_on_the_first_monday_at_ten_in_the_home_zone_by_default():
    assert SCHEDULE.describe() == "the first Monday of each month at 10:00 (America/New_York)"
    assert SCHEDULE.first_at_or_after(datetime(2026, 11, 30, tzinfo=UTC)) == MONDAY
    assert SCHEDULE.next_after(MONDAY) == datetime(2027, 1, 4, 10, 0, tzinfo=NY)
    march = SCHEDULE.first_at_or_after(datetime(2027, 3, 1, tzinfo=UTC))
    assert (march.astimezone(NY).hour, march.astimezone(NY).day) == (10, 1)  # 10:00 across the clock change too
    assert SCHEDULE.latest_by(MONDAY + timedelta(days=2), timedelta(days=7)) == MONDAY
    assert SCHEDULE.latest_by(MONDAY + timedelta(days=8), timedelta(days=7)) is None


@pytest.mark.parametrize(
    ("day", "time", "problem"),
    [("5th mon", "10:00", "The day must be"), ("monday", "10:00", "The day must be"), ("29", "10:00", "The day must be"),
     ("1st mon", "25:00", "The time must be"), ("1st mon", "10", "The time must be")],
)  # fmt: skip
def test_a_schedule_a_coordinator_mistypes_is_refused_with_what_works(day, time, problem):
    with pytest.raises(ScheduleError, match=problem):
        check_schedule(day, time, ZONE)


def test_a_schedule_is_said_back_in_words():
    assert check_schedule(" 2nd  TUE ", "9:30", ZONE).describe() == "the second Tuesday of each month at 09:30 (America/New_York)"
    assert check_schedule("last fri", "15:00", ZONE).describe().startswith("the last Friday of each month")
    assert check_schedule("15", "10:00", ZONE).describe().startswith("day 15 of each month")


@pytest.mark.parametrize(
    ("zones", "expected"),
    [
        (("America/New_York", "America/New_York"), ("Wed 13:00", "Wed 13:00")),
        (("America/New_York", "America/Los_Angeles"), ("Wed 14:00", "Wed 11:00")),
        (("America/Los_Angeles", "Asia/Tokyo"), ("Wed 16:00", "Thu 09:00")),
    ],
)
def test_the_suggested_time_is_inside_everyones_working_hours(zones, expected):
    suggested = suggest_meeting([ZoneInfo(z) for z in zones], MONDAY)
    assert suggested is not None and suggested >= MONDAY + timedelta(days=2)
    assert tuple(suggested.astimezone(ZoneInfo(z)).strftime("%a %H:%M") for z in zones) == expected


def test_no_time_is_suggested_when_working_hours_never_overlap():
    assert suggest_meeting([ZoneInfo("Pacific/Honolulu"), ZoneInfo("Asia/Kolkata")], MONDAY) is None


# ----------------------------------------------------------------------------- profiles


def test_the_profile_form_is_checked_kindly():
    with pytest.raises(InvalidProfile) as invalid:
        core.check_profile(
            ProfileForm(sector=None, state="ZZ", topics=("astrology",), blocked=("not-a-member",)), CONNECTING, "UANA"
        )
    assert set(invalid.value.problems) == {"sector", "state", "topics", "blocked"}
    checked = core.check_profile(
        ProfileForm(sector="school-staff", topics=("collaboration",) * 2, blocked=("UANA", "UBEN")), CONNECTING, "UANA"
    )
    assert checked.topics == ("collaboration",) and checked.blocked == ("UBEN",)  # nobody excludes themselves
    real = load_content(REAL_CONTENT).connections
    with pytest.raises(InvalidProfile, match="up to 5 topics"):
        core.check_profile(ProfileForm(sector="school-staff", topics=tuple(c.id for c in real.topics[:6])), real, "UANA")


def test_joining_then_pausing_skipping_and_leaving(store):
    now = MONDAY - timedelta(days=3)
    profile, joined = core.save_profile(store, "UANA", ProfileForm("school-staff", "RI", ("collaboration",), ("UBEN",)), now=now)
    assert joined and profile.active and profile.blocked == ("UBEN",) and profile.state == "RI"
    _, joined = core.save_profile(store, "UANA", ProfileForm("school-clinician", None, (), ()), now=now)
    assert not joined and core.get_profile(store, "UANA").blocked == ()
    assert core.set_skip_next(store, "UANA", True, now=now).skip_next
    assert core.set_status(store, "UANA", core.PAUSED, now=now).status == core.PAUSED
    assert core.set_status(store, "UANA", core.LEFT, now=now).status == core.LEFT
    _, joined = core.save_profile(store, "UANA", ProfileForm("school-staff"), now=now)
    assert joined  # joining again after leaving
    with pytest.raises(ConnectionsError, match="haven't joined"):
        core.set_status(store, "UNEVER", core.PAUSED, now=now)
    assert core.membership(store) == core.Membership(active=1, paused=0, left=0, skipping=1)


# ----------------------------------------------------------------------------- rounds


def test_nobody_is_in_a_round_without_joining_and_paused_or_leaving_members_are_not_either(store):
    join(store, "UANA", "school-staff")
    join(store, "UBEN", "community-health-center")
    join(store, "UCY", "lived-experience")
    join(store, "UDEE", "school-clinician")
    core.set_status(store, "UCY", core.PAUSED, now=MONDAY)
    core.set_status(store, "UDEE", core.LEFT, now=MONDAY)
    assert groups(store, plan(store)) == [{"UANA", "UBEN"}]


def test_a_round_is_planned_once_whoever_plans_it(store):
    community(store, 9)
    first, planned = rounds.plan_round(store, CONNECTING, SCHEDULE, due=MONDAY, planned_by="schedule", now=MONDAY)
    again, planned_again = rounds.plan_round(store, CONNECTING, SCHEDULE, due=MONDAY, planned_by="UCOORD1", now=MONDAY)
    assert planned and not planned_again and again == first and first.id == "2026-12-07T10:00"
    assert sorted(len(g) for g in groups(store, first)) == [2, 2, 2, 3]
    assert store.db.execute("select count(*) from connection_pairs").fetchone() == (4,)
    assert first.follow_up_at == MONDAY + (datetime(2027, 1, 4, 10, tzinfo=NY) - MONDAY) / 2


def test_members_who_asked_to_skip_are_left_out_of_the_next_round_only(store):
    members = community(store, 6)
    core.set_skip_next(store, members[0], True, now=MONDAY)
    first = plan(store)
    assert members[0] not in set().union(*groups(store, first))
    assert core.get_profile(store, members[0]).skip_next is False  # used up
    second = plan(store, SCHEDULE.next_after(MONDAY))
    assert members[0] in set().union(*groups(store, second))


def test_a_member_is_never_paired_with_someone_they_excluded(store):
    join(store, "UANA", "school-staff", blocked=["UBEN"])
    join(store, "UBEN", "community-health-center")
    join(store, "UCY", "school-staff")
    join(store, "UDEE", "community-health-center")
    assert {"UANA", "UBEN"} not in groups(store, plan(store))


def test_groups_carry_shared_topics_and_a_starter_from_a_tip_sheet(store):
    join(store, "UANA", "school-staff", topics=["collaboration", "family-engagement"])
    join(store, "UBEN", "community-health-center", topics=["collaboration"])
    (group,) = rounds.groups_of(store, plan(store).id)
    assert group.cross_sector and group.shared_topics == ("collaboration",)
    assert group.starter.sheet == "Best Practices for Collaboration" and "*Use an MOU.*" in group.starter.tip
    assert "&lt;in writing&gt;" in group.starter.tip  # the sheet's words, escaped


def test_a_coordinator_starts_a_round_now_but_not_twice_in_two_weeks_nor_while_paused(store):
    community(store, 4)
    started = rounds.start_now(store, CONNECTING, SCHEDULE, by="UCOORD1", now=MONDAY - timedelta(days=3, minutes=-7))
    assert started.planned_by == "UCOORD1" and len(groups(store, started)) == 2
    with pytest.raises(ConnectionsError, match="less than two weeks ago"):
        rounds.start_now(store, CONNECTING, SCHEDULE, by="UCOORD1", now=MONDAY)
    # The scheduled Monday, three days later, is skipped (and said why); the round runs to January's.
    assert rounds.scheduled_start_due(store, SCHEDULE, MONDAY + timedelta(minutes=1)) == (
        MONDAY,
        f"a round had started at {started.id}",
    )
    assert started.ends_at == datetime(2027, 1, 4, 10, tzinfo=NY)
    assert rounds.next_start(store, SCHEDULE, MONDAY - timedelta(days=3)) == datetime(2027, 1, 4, 10, tzinfo=NY)
    core.set_paused(store, True)
    assert rounds.next_start(store, SCHEDULE, MONDAY) is None
    with pytest.raises(ConnectionsError, match="paused"):
        rounds.start_now(store, CONNECTING, SCHEDULE, by="UCOORD1", now=MONDAY + timedelta(days=40))


def test_a_round_of_nobody_is_refused_and_leaves_the_schedule_as_it_was(store):
    early = MONDAY - timedelta(days=3)
    with pytest.raises(ConnectionsError, match="nobody has joined monthly connections yet"):
        rounds.start_now(store, CONNECTING, SCHEDULE, by="UCOORD1", now=early)
    assert rounds.latest_round(store) is None and rounds.next_start(store, SCHEDULE, early) == MONDAY
    join(store, "UANA", "school-staff")
    join(store, "UBEN", "community-health-center")
    assert groups(store, rounds.start_now(store, CONNECTING, SCHEDULE, by="UCOORD1", now=early)) == [{"UANA", "UBEN"}]


def test_a_scheduled_round_of_nobody_is_skipped_and_a_coordinator_may_start_one_once_members_join(store):
    skipped = rounds.plan_scheduled(store, CONNECTING, SCHEDULE, due=MONDAY, now=MONDAY)
    assert (skipped.status, skipped.detail) == (rounds.SKIPPED, rounds.NOBODY_TO_PAIR)
    assert rounds.scheduled_start_due(store, SCHEDULE, MONDAY + timedelta(hours=1)) is None  # recorded: not again
    join(store, "UANA", "school-staff")
    join(store, "UBEN", "community-health-center")
    started = rounds.start_now(store, CONNECTING, SCHEDULE, by="UCOORD1", now=MONDAY + timedelta(days=1))
    assert groups(store, started) == [{"UANA", "UBEN"}]


def test_connections_run_at_the_terminal_refuses_a_round_of_nobody_every_time(tmp_path):
    for _ in range(2):  # the first refusal puts nothing in the way of the next try
        result = CliRunner().invoke(main, ["connections", "run", "--db", str(tmp_path / "heart.db")])
        assert result.exit_code == 1 and "nobody has joined monthly connections yet" in result.output
        assert "Nothing was changed" in result.output


def test_a_scheduled_round_missed_while_the_bot_was_down_starts_within_a_week(store):
    assert rounds.scheduled_start_due(store, SCHEDULE, MONDAY - timedelta(minutes=1)) is None
    assert rounds.scheduled_start_due(store, SCHEDULE, MONDAY + timedelta(days=6)) == (MONDAY, None)
    assert rounds.scheduled_start_due(store, SCHEDULE, MONDAY + timedelta(days=8)) is None
    rounds.skip_round(store, SCHEDULE, MONDAY, "connections were paused", now=MONDAY)
    assert rounds.scheduled_start_due(store, SCHEDULE, MONDAY + timedelta(days=1)) is None  # recorded: not again


# ----------------------------------------------------------------------------- answers, figures, own data


def test_only_members_of_a_pair_can_answer_for_it_and_may_change_their_answer(store):
    join(store, "UANA", "school-staff")
    join(store, "UBEN", "community-health-center")
    (group,) = rounds.groups_of(store, plan(store).id)
    core.record_answer(store, group.id, "UANA", core.NOT_YET, now=MONDAY)
    core.record_answer(store, group.id, "UANA", core.YES, now=MONDAY)
    with pytest.raises(ConnectionsError, match="Only the members introduced"):
        core.record_answer(store, group.id, "UMALLORY", core.YES, now=MONDAY)
    assert store.db.execute("select user_id, answer from connection_answers").fetchall() == [("UANA", "yes")]
    (past,) = core.past_connections(store, "UANA")
    assert past.partners == (("UBEN", "community-health-center"),) and past.answer == "yes"


def figures(store: Store, threshold: int = 3) -> dict[str, str]:
    found = connection_figures(store.db, _Tables(store.db), Suppressor(threshold), MONDAY.timestamp() - 1, MONDAY.timestamp() + 1)
    return {tally.key: tally.shown for tally in found}


def test_coordinators_figures_hide_small_counts_and_shares_resting_on_them(store):
    members = community(store, 20)
    first = plan(store, SCHEDULE.next_after(MONDAY) - timedelta(days=60))  # an earlier round: everyone returns
    assert len(groups(store, first)) == 10
    found = plan(store)
    pairs = rounds.groups_of(store, found.id)
    for group in pairs[:6]:
        core.record_answer(store, group.id, group.user_ids[0], core.YES, now=MONDAY)
    for group in pairs[6:9]:
        core.record_answer(store, group.id, group.user_ids[1], core.NO, now=MONDAY)
    shown = figures(store)
    assert shown == {"pairs": "10", "members": "20", "met": "67%", "cross_sector": "100%", "returning": "20"}
    core.record_answer(store, pairs[9].id, pairs[9].user_ids[0], core.YES, now=MONDAY)
    assert figures(store)["met"] == "70%"
    assert figures(store, threshold=4)["met"] == "hidden"  # 3 pairs said no: too few to show what the share leaves out
    assert members


def test_coordinators_see_how_many_take_part_with_small_counts_hidden():
    membership = core.Membership(active=1, paused=2, left=0, skipping=1)
    (shown, *_) = blocks.coordinator_blocks(
        membership, paused=False, schedule=SCHEDULE.describe(), next_round=None, timezone=ZONE, surface="panel", threshold=3
    )
    assert "&lt;3 members in (&lt;3 paused, &lt;3 skipping the next round, 0 left)." in shown.text.text
    assert blocks.membership_counts(membership, 1) == "1 member in (2 paused, 1 skipping the next round, 0 left)"


def connections_cli(tmp_path, *args: str) -> str:
    """``python -m bot connections ...`` on the test's database; what it printed."""
    result = CliRunner().invoke(main, ["connections", *args, "--db", str(tmp_path / "heart.db")])
    assert result.exit_code == 0, result.output
    return result.output


def test_status_and_preview_at_the_terminal_give_counts_only(store, tmp_path):
    join(store, "UANA", "school-staff")
    join(store, "UBEN", "community-health-center")
    join(store, "UCY", "school-staff")
    join(store, "UDEE", "school-staff")
    join(store, "UEVE", "school-staff")
    core.set_skip_next(store, "UEVE", True, now=MONDAY)
    status = connections_cli(tmp_path, "status")
    assert "members: 5 members in (0 paused, <3 skipping the next round, 0 left)" in status
    preview = connections_cli(tmp_path, "preview")
    assert "members to pair: 4" in preview and "groups: <3" in preview and "skipping this round: <3" in preview
    assert "groups across sectors and within one: hidden" in preview  # 1 and 1: how many rows of one would tell it
    assert "left out (nobody they could be paired with): 0" in preview
    assert not any(user in preview for user in ("UANA", "UBEN", "UCY", "UDEE", "UEVE"))
    assert "School staff" not in preview and " + " not in preview  # no sector beside a member, no pair


def test_a_member_downloads_and_deletes_their_connections(store):
    join(store, "UANA", "school-staff", topics=["collaboration"], blocked=["UMAL"])
    join(store, "UBEN", "community-health-center")
    (group,) = rounds.groups_of(store, plan(store).id)
    core.record_answer(store, group.id, "UANA", core.YES, now=MONDAY)
    mine = member_data.collect(store, CONTENT.shareout, Owner("UANA", "h"), CONNECTING)["connections"]
    assert mine["profile"]["sector"] == "School staff" and mine["profile"]["never_pair_me_with"] == ["UMAL"]
    assert mine["past_connections"][0]["introduced_to"] == [{"member": "UBEN", "sector": "Community health center"}]
    forgotten = member_data.forget(store, Owner("UANA", "h"))
    assert forgotten.connections >= 3
    assert core.get_profile(store, "UANA") is None
    assert store.db.execute("select count(*) from connection_blocks where user_id = 'UANA'").fetchone() == (0,)
    assert store.db.execute("select user_id from connection_pair_members order by id").fetchall() == [(None,), ("UBEN",)]
    assert store.db.execute("select user_id, answer from connection_answers").fetchall() == [(None, "yes")]  # still counted
    (theirs,) = core.past_connections(store, "UBEN")
    assert theirs.partners == ((None, "school-staff"),)
