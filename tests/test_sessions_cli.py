"""Sessions at the terminal (`python -m bot sessions ...`), in the offline shell, and in content:
the same core as Slack, with the same checks."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import load_settings
from bot.errors import ConfigError, ContentError
from bot.runtime import load_content
from bot.sessions import core as sessions
from bot.sessions.core import SessionError
from bot.sessions.recurrence import day_text
from bot.store import Store
from tests.conftest import FIXTURE_CONTENT, REAL_CONTENT
from tests.support.harness import run_shell
from tests.support.session_helpers import migrated, next_clock_change, one_session

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def cli(tmp_path, *args: str):
    result = CliRunner().invoke(main, ["sessions", *args, "--db", str(tmp_path / "heart.db")])
    return result


def in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def test_add_list_move_and_cancel_from_the_command_line(tmp_path):
    added = cli(
        tmp_path,
        "add",
        "--title",
        "Counselor circle",
        "--date",
        in_days(3),
        "--time",
        "12:00",
        "--repeat",
        "weekly",
        "--count",
        "3",
    )
    assert added.exit_code == 0, added.output
    assert "Weekly on" in added.output and "3 sessions in all" in added.output
    first, second, third = [line.strip() for line in added.output.splitlines()[1:4]]
    listed = cli(tmp_path, "list").output
    assert first in listed and "Counselor circle" in listed and "12:00 PM" in listed
    moved = cli(tmp_path, "move", second, "--date", in_days(11), "--time", "13:30", "--note", "Room change")
    assert moved.exit_code == 0 and "1:30 PM" in moved.output
    assert cli(tmp_path, "cancel", third, "--note", "Holiday").exit_code == 0
    listed = cli(tmp_path, "list").output
    assert third not in listed and "moved" in listed
    assert "cancelled" in cli(tmp_path, "list", "--all").output
    store = Store(tmp_path / "heart.db")
    assert sessions.get_occurrence(store, third).change_note == "Holiday"


def test_the_command_line_names_each_bad_option(tmp_path):
    result = cli(tmp_path, "add", "--title", "", "--date", "2026-02-30", "--time", "25:00", "--remind", "tomorrow")
    assert result.exit_code == 1
    assert "--title: Give the session a title." in result.output
    assert "--date: '2026-02-30' is not a date" in result.output
    assert "--time:" in result.output and "--remind:" in result.output
    assert "Traceback" not in result.output
    assert "There is no session nope" in cli(tmp_path, "cancel", "nope").output


def test_the_command_line_refuses_a_time_the_clocks_skip_and_says_which_1_30_it_means(tmp_path):
    spring = next_clock_change("America/Los_Angeles", "02:30", skipped=True)
    night = ("--title", "Night owls", "--time", "02:30", "--timezone", "America/Los_Angeles")
    refused = cli(tmp_path, "add", "--date", spring.isoformat(), *night)
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert (
        f"--time: 2:30 AM doesn't exist on {day_text(spring)} in America/Los_Angeles: "
        "the clocks jump from 2:00 AM to 3:00 AM that night. Choose another time, such as 3:00 AM." in refused.output
    )
    assert "Night owls" not in cli(tmp_path, "list", "--all").output
    autumn = next_clock_change("America/New_York", "01:30", skipped=False)
    added = cli(tmp_path, "add", "--title", "Night owls", "--date", autumn.isoformat(), "--time", "01:30")
    assert added.exit_code == 0, added.output
    assert (
        f"note: 1:30 AM comes twice on {day_text(autumn)} in America/New_York, as the clocks go back that night: "
        "the session starts at the first 1:30 AM (EDT), not the second (EST)." in added.output
    )
    session_id = f"night-owls:{autumn.isoformat()}"
    assert "1:30 AM EDT" in next(line for line in cli(tmp_path, "list", "--all").output.splitlines() if session_id in line)
    new_york_spring = next_clock_change("America/New_York", "02:30", skipped=True).isoformat()
    moved = cli(tmp_path, "move", session_id, "--date", new_york_spring, "--time", "02:30")
    assert moved.exit_code == 1 and "--time: 2:30 AM doesn't exist on" in moved.output


def test_the_same_series_added_twice_is_refused_and_nothing_is_added(tmp_path):
    def add(time: str):
        return cli(tmp_path, "add", "--title", "Counselor circle", "--date", in_days(3), "--time", time, "--repeat", "weekly", "--count", "2")

    assert add("12pm").exit_code == 0
    again = add("12pm")
    assert again.exit_code != 0
    assert "Counselor circle at that time is already on the calendar, as counselor-circle: nothing was added." in again.output
    assert cli(tmp_path, "list").output.count("Counselor circle") == 2  # the first series' two sessions
    assert add("1pm").exit_code == 0  # the same title at another time is another series


def test_sessions_recorded_twice_are_refused_the_second_time(tmp_path):
    record = ("add", "--title", "November circle", "--date", in_days(-20), "--time", "3:30pm", "--past")
    assert cli(tmp_path, *record).exit_code == 0
    again = cli(tmp_path, *record)
    assert again.exit_code != 0 and "already on the calendar, as november-circle: nothing was added." in again.output


def test_a_session_200_days_ahead_is_added_and_listed_from_the_command_line(tmp_path):
    far = in_days(200)  # beyond the 120 days over which a series' sessions are made
    added = cli(tmp_path, "add", "--title", "Spring conference", "--date", far, "--time", "10:00")
    assert added.exit_code == 0, added.output
    assert f"  spring-conference:{far}" in added.output
    series = cli(tmp_path, "add", "--title", "Kickoff", "--date", far, "--time", "15:30", "--repeat", "weekly", "--count", "3")
    assert series.exit_code == 0, series.output
    assert f"  kickoff:{far}" in series.output and "the next sessions are added as each comes within four months" in series.output
    assert "Spring conference" not in cli(tmp_path, "list").output  # the next 60 days
    listed = cli(tmp_path, "list", "--all").output
    assert f"spring-conference:{far}" in listed and f"kickoff:{far}" in listed
    assert "Spring conference" in cli(tmp_path, "list", "--days", "250").output


def test_the_offline_shell_shows_upcoming_sessions_and_a_coordinators_form(tmp_path):
    result = run_shell(tmp_path, "/peerhour\n1\n/peerhour add\n", "--coordinator")
    assert result.returncode == 0, result.stderr
    assert "UPCOMING PEER SUPPORT HOURS" in result.stdout
    assert "New England School Mental Health Peer Support Hour" in result.stdout
    assert "3:30 PM" in result.stdout and "✓ Going" in result.stdout
    assert "--- form: Add a session ---" in result.stdout and "Date of the first session: (datepicker)" in result.stdout


def test_the_default_series_is_imported_once_and_follows_its_content(tmp_path):
    store = migrated(tmp_path / "heart.db")
    declared = list(load_content(REAL_CONTENT).sessions)
    assert [s.recurrence.describe() for s in declared] == ["Monthly on the 2nd Tuesday at 3:30 PM (America/New_York)"]
    sessions.import_series(store, declared, now=NOW, default_channel="C0PEER")
    sessions.import_series(store, declared, now=NOW, default_channel="C0PEER")
    coming = sessions.upcoming(store, NOW, limit=10)
    assert [o.id.rsplit(":", 1)[1] for o in coming] == ["2026-12-08", "2027-01-12", "2027-02-09", "2027-03-09"]
    assert {o.channel_id for o in coming} == {"C0PEER"}
    sessions.set_rsvp(store, coming[0].id, "UANA", sessions.GOING, now=NOW)
    later = [dataclasses.replace(series, duration_minutes=90) for series in declared]
    sessions.import_series(store, later, now=NOW)
    again = sessions.upcoming(store, NOW, limit=10)
    assert [o.id for o in again] == [o.id for o in coming]  # same sessions, RSVPs kept
    assert again[0].ends_at - again[0].starts_at == timedelta(minutes=90)
    assert again[0].revision == 0  # same start: reminders already sent stay sent
    assert sessions.responders(store, again[0].id) == ["UANA"]


@pytest.mark.parametrize(
    "yaml_text, problem",
    [
        (
            "series:\n  - id: x\n    title: T\n    timezone: America/New_York\n    date: 2026-12-08\n    time: 15:30\n",
            "write it in quotes",
        ),
        ("series:\n  - id: x\n    title: T\n    date: 2026-12-08\n    time: '15:30'\n", "timezone: name the series' time zone"),
        (
            "series:\n  - id: Bad Id\n    title: T\n    timezone: Mars/Base\n    date: 2026-12-08\n    time: '15:30'\n",
            "not a time zone",
        ),
        (
            "series:\n  - id: x\n    title: T\n    timezone: UTC\n    date: 2026-12-08\n    time: '15:30'\n    repeat: daily\n",
            "repeat:",
        ),
        (
            "series:\n  - id: x\n    title: T\n    timezone: UTC\n    date: 2026-12-08\n    time: '15:30'\n    colour: red\n",
            "unknown field",
        ),
        ("series: nope\n", "must be a mapping with a list called series"),
    ],
)
def test_sessions_content_is_checked_like_everything_else(tmp_path, yaml_text, problem):
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    (root / "sessions.yml").write_text(yaml_text)
    with pytest.raises(ContentError) as raised:
        load_content(root)
    assert "sessions.yml" in str(raised.value) and problem in str(raised.value)


def test_the_contract_other_features_read(tmp_path):
    store = migrated(tmp_path / "heart.db")
    ended = one_session(store, NOW - timedelta(hours=3), title="Ended")
    running = one_session(store, NOW - timedelta(minutes=20), title="Running")
    one_session(store, NOW - timedelta(days=40), title="Long ago")
    later = one_session(store, NOW + timedelta(days=1), title="Tomorrow")
    assert sessions.shareout_default_occurrence(store, NOW).id == running.id
    assert sessions.shareout_default_occurrence(store, NOW + timedelta(hours=2)).id == running.id
    assert sessions.shareout_default_occurrence(store, NOW + timedelta(days=2)).id == later.id  # ended 23 hours before
    assert [o.title for o in sessions.shareable_occurrences(store, NOW)] == ["Running", "Ended"]
    assert [o.title for o in sessions.occurrences_between(store, NOW - timedelta(days=1), NOW + timedelta(days=2))] == [
        "Ended",
        "Running",
        "Tomorrow",
    ]
    assert sessions.get_occurrence(store, ended.id).starts_at == NOW - timedelta(hours=3)
    assert sessions.get_occurrence(store, "nope") is None
    sessions.cancel_occurrence(store, later.id, by="UCOORD1", now=NOW)
    with pytest.raises(SessionError, match="cancelled"):
        sessions.set_rsvp(store, later.id, "UANA", sessions.GOING, now=NOW)
    with pytest.raises(SessionError, match="over"):
        sessions.set_rsvp(store, ended.id, "UANA", sessions.GOING, now=NOW)


@pytest.mark.parametrize(
    "name, value",
    [("PEERHOUR_CHANNEL", "#peer-support"), ("REMINDER_DM_PER_SECOND", "500"), ("HEART_RECONCILE_SECONDS", "0")],
)
def test_session_settings_refuse_bad_values_in_one_line(name, value):
    with pytest.raises(ConfigError) as raised:
        load_settings({name: value})
    message = str(raised.value)
    assert message.startswith(name) and "\n" not in message


def test_session_settings_are_read():
    settings = load_settings({"PEERHOUR_CHANNEL": "C0PEER", "REMINDER_DM_PER_SECOND": "2.5", "HEART_RECONCILE_SECONDS": "30"})
    assert (settings.peerhour_channel, settings.reminder_dm_per_second, settings.reconcile_seconds) == ("C0PEER", 2.5, 30)
    assert (load_settings({}).reminder_dm_per_second, load_settings({}).reconcile_seconds) == (4.0, 60)
