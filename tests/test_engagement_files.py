"""The chart and the CSV exports, from the hand-counted community."""

from __future__ import annotations

import csv
import io
import json

import pytest
from PIL import Image

from bot.engagement.charts import MAX_BAR_SESSIONS, render
from bot.engagement.exports import export
from bot.engagement.periods import parse_period
from bot.engagement.report import compute
from tests.support.engagement_data import LABELS, NOW, add_rsvp, add_session, at, community_at


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return community_at(tmp_path_factory.mktemp("files") / "heart.db")


def report(store, text="2026-11", threshold=3):
    return compute(store, parse_period(text, NOW, "America/New_York"), threshold=threshold, labels=LABELS, now=NOW)


def rows(file):
    return list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))


def test_the_chart_is_a_png_with_the_three_series_per_held_session(store):
    chart = render(report(store))
    image = Image.open(io.BytesIO(chart.png))
    image.verify()
    assert image.format == "PNG" and image.size[0] >= 800
    drawn = json.loads(Image.open(io.BytesIO(chart.png)).text["Description"])
    assert drawn["sessions"] == ["Nov 10", "Nov 24", "Nov 30"]
    # Share-outs 3, 1 and 1 add up to the 5 of the period: the 3 is hidden with the 1s, and drawn hatched like them.
    assert drawn["series"] == {"RSVPs going": ["3", "<3", "<3"], "Took part": ["4", "3", "<3"], "Share-outs": ["hidden"] * 3}
    assert "Nov 10: 3 rsvps going, 4 took part, hidden share-outs" in chart.alt_text


def test_a_year_of_weekly_sessions_is_drawn_as_lines_that_keep_every_figure(tmp_path):
    store = community_at(tmp_path / "heart.db")
    with store.transaction() as db:
        for week in range(60):  # 60 more sessions: too many for readable bars
            add_session(db, f"weekly-{week}", at(2025, 10, 1) + week * 7 * 86400)
            add_rsvp(db, f"weekly-{week}", "UREGULAR")
    chart = render(report(store, "2025-10-01..2026-11-30"))
    assert len(chart.sessions) > MAX_BAR_SESSIONS
    drawn = json.loads(Image.open(io.BytesIO(chart.png)).text["Description"])
    assert drawn["series"]["RSVPs going"].count("<3") >= 60  # one RSVP each: hidden, drawn hollow
    shareouts = dict(zip(drawn["sessions"], drawn["series"]["Share-outs"], strict=True))
    assert (shareouts["Nov 10"], shareouts["Nov 24"]) == ("hidden", "hidden")  # drawn hollow, like small counts


def test_a_period_without_sessions_still_makes_a_chart(store):
    chart = render(report(store, "2026-11-01..2026-11-05"))
    assert chart.png.startswith(b"\x89PNG") and chart.sessions == ()
    assert chart.alt_text == "No sessions were held in this period."


def test_sessions_with_nothing_counted_are_drawn_on_whole_counts(tmp_path):
    store = community_at(tmp_path / "heart.db")
    with store.transaction() as db:
        add_session(db, "quiet", at(2025, 3, 4))  # held, with no RSVP, no one recorded, no share-out
    chart = render(report(store, "2025-03"))
    drawn = json.loads(Image.open(io.BytesIO(chart.png)).text["Description"])
    assert drawn["series"] == {"RSVPs going": ["0"], "Took part": ["0"], "Share-outs": ["0"]}
    assert drawn["count_axis"] == [0, 1]  # not 0 to 0.06


def test_the_export_is_five_csv_files_that_parse(store):
    files = {f.name.rsplit("-", 1)[-1]: f for f in export(store, report(store), LABELS)}
    assert sorted(files) == ["connections.csv", "daily.csv", "rsvps.csv", "sessions.csv", "shareouts.csv"]
    assert all(f.name.startswith("heart-2026-11-01_2026-11-30") for f in files.values())
    assert len(rows(files["daily.csv"])) == 30
    assert [r["session_id"] for r in rows(files["sessions.csv"])] == ["nov-10", "nov-17", "nov-24", "nov-30-late"]
    assert {r["response"] for r in rows(files["rsvps.csv"])} == {"going", "not_going"}
    assert len(rows(files["shareouts.csv"])) == 5
    assert rows(files["connections.csv"]) == []  # no round in November


def test_anonymous_share_outs_carry_no_member_id_in_any_file(store):
    files = export(store, report(store), LABELS)
    for file in files:
        assert b"USECRET" not in file.content and b"hash-of" not in file.content
    shareouts = rows(next(f for f in files if f.name.endswith("shareouts.csv")))
    by_visibility = {r["visibility"]: r for r in shareouts}
    assert by_visibility["Coordinators only, without name"]["user_id"] == ""
    assert by_visibility["In the channel, without name"]["user_id"] == ""
    assert by_visibility["In the channel, with name"]["user_id"] == "UA"
    assert by_visibility["Coordinators only, without name"]["text"] == "A reflection"  # coordinators may read it, not who wrote it


def test_daily_figures_follow_new_york_days_and_suppress_the_safety_net(store):
    daily = {r["date"]: r for r in rows(next(f for f in export(store, report(store)) if f.name.endswith("daily.csv")))}
    exact = {r["date"]: r for r in rows(next(f for f in export(store, report(store, threshold=1)) if "daily" in f.name))}
    assert exact["2026-11-30"]["shareouts"] == "1"  # 23:30 in New York, December in UTC
    assert daily["2026-11-30"]["shareouts"] == "hidden"  # and hidden at the threshold, like every daily count
    assert daily["2026-11-24"]["safety_net_triggers"] == "hidden"
    assert daily["2026-11-08"]["tipsheet_views"] == "3"


def test_a_daily_column_hides_what_subtraction_from_the_period_figure_would_give_away(store):
    daily = {r["date"]: r for r in rows(next(f for f in export(store, report(store)) if f.name.endswith("daily.csv")))}
    # Misses: 3 on Nov 6 and 1 on Nov 7, beside 4 misses in the period: 4 - 3 would name the 1.
    assert (daily["2026-11-06"]["glossary_misses"], daily["2026-11-07"]["glossary_misses"]) == ("hidden", "hidden")
    # Lookups 3, 3, 1 and 1 beside 8 lookups: the later of the two 3s is hidden with the 1s.
    lookups = [daily[day]["glossary_lookups"] for day in ("2026-11-05", "2026-11-06", "2026-11-07", "2026-11-30")]
    assert lookups == ["3", "hidden", "hidden", "hidden"]
    assert [r["glossary_lookups"] for r in daily.values()].count("hidden") == 3
    # A member active on two days is one member engaged: the days add up to no figure shown.
    engaged = [daily[day]["members_engaged"] for day in ("2026-11-05", "2026-11-06", "2026-11-07", "2026-11-30")]
    assert engaged == ["3", "3", "<3", "<3"]


def test_rsvp_counts_read_as_the_sessions_file_shows_them(store):
    files = {f.name.rsplit("-", 1)[-1]: rows(f) for f in export(store, report(store), LABELS)}
    sessions = {r["session_id"]: r for r in files["sessions.csv"]}
    rsvps = [(r["session_id"], r["response"], r["members"]) for r in files["rsvps.csv"]]
    assert rsvps == [
        ("nov-10", "going", "3"),
        ("nov-10", "not_going", "hidden"),
        ("nov-17", "going", "<3"),
        ("nov-24", "going", "<3"),
        ("nov-24", "not_going", "hidden"),
        ("nov-30-late", "going", "<3"),
        ("nov-30-late", "not_going", "hidden"),  # a 0, hidden as in the sessions' column (left out, it would read 0)
    ]
    assert all(sessions[session][f"rsvps_{response}"] == members for session, response, members in rsvps)


def test_text_removed_by_retention_and_formulas_are_handled(store, tmp_path):
    from tests.support.engagement_data import add_shareout

    other = community_at(tmp_path / "other.db")
    add_shareout(other.db, at(2026, 11, 2), user_id="UX", text='=HYPERLINK("http://x")')
    add_shareout(other.db, at(2026, 11, 3), user_id="UY", text=None)
    texts = [r["text"] for r in rows(next(f for f in export(other, report(other)) if f.name.endswith("shareouts.csv")))]
    assert '\'=HYPERLINK("http://x")' in texts and "" in texts


def test_the_cli_prints_a_table_and_draws_the_chart(store, tmp_path):
    from click.testing import CliRunner

    from bot.cli import main

    chart = tmp_path / "chart.png"
    result = CliRunner().invoke(
        main, ["report", "--db", str(store.path), "--period", "2026-11-01..2026-11-25", "--chart", str(chart)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Engagement report: Nov 1 – Nov 25, 2026")
    assert "School-based clinician" in result.output and "<3" in result.output
    table = result.output.split("\nSessions\n")[1].split("\n\n")[0].splitlines()[1:]  # below its header
    statuses = [line.split()[2] for line in table]
    assert statuses == ["held", "cancelled", "held"]  # Nov 10, 17 and 24: a past session reads held, not scheduled
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_the_cli_explains_a_period_it_cannot_read(store):
    from click.testing import CliRunner

    from bot.cli import main

    result = CliRunner().invoke(main, ["report", "--db", str(store.path), "--period", "someday"])
    assert result.exit_code == 1 and "can't read" in result.output
