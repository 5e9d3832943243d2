"""The engagement core, against a hand-counted community (tests/support/engagement_data.py)."""

from __future__ import annotations

import pytest

from bot import events
from bot.engagement import attendance
from bot.engagement.blocks import summary_message
from bot.engagement.periods import parse_period
from bot.engagement.report import TOO_FEW_SCORES, Trend, compute, series_catalog
from bot.small_counts import TOGETHER_LABEL, Suppressor, Tally
from bot.runtime import MIGRATION_SETS
from bot.store import Store
from tests.support.engagement_data import (
    LABELS,
    NOVEMBER,
    NOW,
    OCTOBER_TAIL,
    SERIES,
    SERIES_TITLE,
    add_event,
    add_rsvp,
    add_session,
    add_shareout,
    at,
    community_at,
)


@pytest.fixture
def store(tmp_path):
    return community_at(tmp_path / "heart.db")


def november(store, text="2026-11", threshold=3):
    period = parse_period(text, NOW, "America/New_York", series_catalog(store))
    return compute(store, period, threshold=threshold, labels=LABELS, now=NOW)


def shown(tallies):
    return {tally.label: tally.shown for tally in tallies}


def exact(figure):
    """A figure as a number: the sessions' counts are ints, the members' tallies (threshold 1)."""
    return figure if isinstance(figure, int) else figure.count


def test_headline_figures_match_the_hand_count(store):
    report = november(store, threshold=1)
    assert {key: exact(getattr(report, key)) for key in NOVEMBER} == NOVEMBER


def test_small_headline_counts_are_hidden_like_the_breakdowns_but_sessions_stay_exact(store):
    report = november(store)
    headline = dict(report.headline())
    assert headline["RSVPs not going"] == "<3" and report.rsvps_not_going.count is None
    assert headline["Sessions held"] == "3" and headline["Sessions cancelled"] == "1"
    assert headline["Share-outs"] == "5" and headline["Members engaged"] == "10"
    assert report.to_dict()["summary"]["RSVPs not going"] == "<3"
    assert '"count": 2' not in str(report.to_dict()["rsvps_not_going"])


def test_a_session_at_2330_new_york_on_november_30_belongs_to_november(store):
    report = november(store)
    assert [row.id for row in report.sessions] == ["nov-10", "nov-17", "nov-24", "nov-30-late"]
    december = november(store, "2026-12-01..2026-12-05")
    assert [row.id for row in december.sessions] == ["dec-01-early"]


def test_each_session_has_rsvps_attendance_and_share_outs(store):
    rows = {row.id: row for row in november(store, threshold=1).sessions}
    assert (rows["nov-10"].going.shown, rows["nov-10"].not_going.shown, rows["nov-10"].took_part.shown) == ("3", "1", "4")
    assert rows["nov-10"].shareouts.shown == "3"
    assert rows["nov-17"].held is False and rows["nov-17"].status == "cancelled"
    assert rows["nov-30-late"].shareouts.shown == "1"  # the one made on Dec 1 is about it


def test_a_sessions_column_hides_what_subtraction_from_its_headline_figure_would_give_away(store):
    sessions = november(store).sessions  # Nov 10, Nov 17 (cancelled), Nov 24, Nov 30
    column = {name: [getattr(row, name).shown for row in sessions] for name in ("going", "not_going", "took_part", "shareouts")}
    # Share-outs 3, 0, 1 and 1 beside 5 share-outs: with the 3 shown, the two 1s would be 5 - 3 = 2, so 1 and 1.
    assert column["shareouts"] == ["hidden", "0", "hidden", "hidden"]
    # Not going 1, 0, 1 and 0 beside 2: two hidden cells would be 1 each, so Nov 30's 0 is hidden with them
    # (the cancelled session's cell is not in the column).
    assert column["not_going"] == ["hidden", "0", "hidden", "hidden"]
    # Going 3, 2 and 1 beside 6 going (the cancelled session's RSVP is not among them): 6 - 3 = 3 is 2 and 1 either way.
    assert column["going"] == ["3", "<3", "<3", "<3"]
    # Members who took part are counted once in the period however many sessions they came to: their
    # column adds up to no figure shown, and its small counts are hidden one by one.
    assert column["took_part"] == ["4", "0", "3", "<3"]


def test_a_cancelled_sessions_rsvps_are_hidden_apart_from_the_column_they_are_not_counted_in(store):
    with store.transaction() as db:
        add_session(db, "dec-02", at(2026, 12, 2))
        add_session(db, "dec-03", at(2026, 12, 3), status="cancelled")
        for user in ("UA", "UB", "UC", "UD"):
            add_rsvp(db, "dec-02", user)
        for user in ("UE", "UF"):
            add_rsvp(db, "dec-03", user)
    report = november(store, "2026-12-01..2026-12-05")
    assert report.rsvps_going.shown == "5"  # Dec 1's 1 and Dec 2's 4: with the 4 shown, 5 - 4 would name the 1
    assert [(row.id, row.going.shown) for row in report.sessions] == [
        ("dec-01-early", "hidden"),
        ("dec-02", "hidden"),
        ("dec-03", "<3"),
    ]


def test_no_hidden_cell_of_a_sessions_column_can_be_worked_out_from_the_figure_it_adds_up_to(store):
    for occurrence_id, headcount in (("nov-10", 14), ("nov-24", 9), ("nov-30-late", 1)):
        attendance.record(store, occurrence_id, by="UCOORDINATOR", now=NOW, headcount=headcount)
    hidden, exact = november(store), november(store, threshold=1)
    adds_up = {  # a column: the headline figure it adds up to, and the sessions that figure counts
        "going": ("rsvps_going", lambda row: row.status != "cancelled"),
        "not_going": ("rsvps_not_going", lambda row: row.status != "cancelled"),
        "attended": ("attended", lambda row: row.held),
        # Share-outs about the period's sessions, whenever written; here as many as were written in the period.
        "shareouts": ("shareouts", lambda row: True),
    }
    for column, (figure, counted) in adds_up.items():
        pairs = zip(hidden.sessions, exact.sessions, strict=True)
        rows = [(getattr(row, column), getattr(counts, column)) for row, counts in pairs if counted(row)]
        assert sum(cell.count or 0 for _, cell in rows) == getattr(exact, figure).count, column
        if getattr(hidden, figure).count is not None:
            assert len({cell.count for shown, cell in rows if shown.count is None}) != 1, column  # none, or not all one number


def test_a_column_keeps_its_order_and_hides_the_same_counts_as_a_breakdown_of_them():
    suppress = Suppressor(3)
    cells = [("a", "A", 4), ("b", "B", 1), ("c", "C", 10), ("d", "D", 0)]
    assert [row.shown for row in suppress.column(cells)] == ["hidden", "hidden", "10", "0"]
    counts = {"Nov 3": 4, "Nov 10": 4, "Nov 17": 1}  # of equal counts, both hide the last by label
    column = suppress.column((key, key, count) for key, count in counts.items())
    assert shown(column) == shown(suppress.tallies(counts.items(), str)) == {"Nov 3": "hidden", "Nov 10": "4", "Nov 17": "hidden"}


def test_the_trend_compares_with_the_thirty_days_before(store):
    report = november(store)
    assert (report.previous.start_day.isoformat(), report.previous.end_day.isoformat()) == ("2026-10-02", "2026-11-01")
    trend = {t.name: (t.current, t.previous) for t in november(store, threshold=1).trend}
    assert trend["Sessions held"] == (3, OCTOBER_TAIL["sessions_held"])
    assert trend["RSVPs going"] == (6, OCTOBER_TAIL["rsvps_going"])
    assert trend["Share-outs"] == (5, OCTOBER_TAIL["shareouts"])
    assert trend["Glossary lookups"] == (8, OCTOBER_TAIL["glossary_lookups"])
    hidden = {t.name: t for t in report.trend}  # threshold 3: October's small figures are hidden, and so is the change
    assert (hidden["Share-outs"].was, hidden["Share-outs"].change, hidden["Share-outs"].note) == ("<3", "", "")
    assert hidden["Sessions held"].note == "+200% (was 1)"  # sessions are never suppressed


def test_trend_changes_read_as_words():
    assert Trend("x", 5, 4).change == "+25%"
    assert Trend("x", 3, 4).change == "-25%"
    assert Trend("x", 4, 4).change == "no change"
    assert Trend("x", 2, 0).change == "new"


def test_small_counts_in_breakdowns_are_hidden_with_whatever_would_give_them_away(store):
    report = november(store)
    # Share-outs: 5. By sector 4 and 1: shown alone, the 1 would be 5 - 4, so the 4 is hidden too.
    assert shown(report.shareouts_by_sector) == {"School staff": "hidden", "School-based clinician": "hidden"}
    assert shown(report.shareouts_by_theme) == {"A win": "hidden", "A barrier": "hidden", "A resource to share": "hidden"}
    assert shown(report.shareouts_by_session) == {
        f"Nov 10 · {SERIES_TITLE}": "hidden",
        f"Nov 24 · {SERIES_TITLE}": "hidden",
        "Not about a session": "hidden",
    }
    # By visibility 2, 1, 1 and 1: no row is shown, and 5 shared among four rows of 1 or 2 names none of them.
    assert set(shown(report.shareouts_by_visibility).values()) == {"<3"}
    assert report.safety_net.shown == "<3" and report.safety_net.count is None


def test_no_hidden_row_of_a_breakdown_can_be_worked_out_from_its_total(store):
    report = november(store)
    totals = {
        "shareouts": (report.shareouts, ("shareouts_by_sector", "shareouts_by_session", "shareouts_by_visibility")),
        "members": (report.members_engaged, ("reach_by_sector", "reach_by_state")),
    }
    for total, breakdowns in totals.values():
        for name in breakdowns:
            rows = getattr(report, name)
            hidden = [row for row in rows if row.count is None]
            assert sum(row.count or 0 for row in rows) <= total.count
            assert len(hidden) != 1, name  # none, or two and more


def test_a_lone_small_count_takes_the_smallest_shown_count_with_it():
    rows = Suppressor(3).tallies([("a", 10), ("b", 4), ("c", 1), ("d", 0)], str.upper)
    assert [(row.label, row.shown) for row in rows] == [("A", "10"), ("D", "0"), ("B", "hidden"), ("C", "hidden")]
    assert all(row.count is None for row in rows[2:])


def test_small_counts_of_one_number_are_hidden_like_a_lone_one_but_a_mix_is_not():
    suppress = Suppressor(3)
    same = suppress.tallies([("a", 10), ("b", 1), ("c", 1)], str.upper)  # 12 - 10 = 2 could only be 1 and 1
    assert [(row.label, row.shown) for row in same] == [("A", "hidden"), ("B", "hidden"), ("C", "hidden")]
    mixed = suppress.tallies([("a", 10), ("c", 2), ("b", 1)], str.upper)  # 3: 1 and 2, or 2 and 1
    assert [(row.label, row.shown) for row in mixed] == [("A", "10"), ("B", "<3"), ("C", "<3")]  # by label, not size


def test_rows_all_of_one_small_count_are_shown_as_one_row():
    # Three hidden rows under a total of 3 would each be 1, and two under 4 each 2: one row tells neither.
    for counts in ([("a", 1), ("b", 1), ("c", 1)], [("a", 2), ("b", 2)]):
        assert [(row.label, row.shown) for row in Suppressor(3).tallies(counts, str.upper)] == [(TOGETHER_LABEL, "hidden")]
    mixed = Suppressor(3).tallies([("a", 2), ("b", 1)], str.upper)  # 3: a 2 and a 1, but which is which stays untold
    assert [(row.label, row.shown) for row in mixed] == [("A", "<3"), ("B", "<3")]
    assert [row.shown for row in Suppressor(1).tallies([("a", 1), ("b", 1)], str.upper)] == ["1", "1"]  # nothing to hide


def test_where_no_other_count_is_shown_a_0_is_hidden_with_the_small_ones():
    # Day by day, 1, 1 and 1 under a total of 3 would each be 1; with a 0 hidden too, they may be 2, 1 and 0.
    cells = [("mon", "Mon", 1), ("tue", "Tue", 0), ("wed", "Wed", 1), ("thu", "Thu", 0), ("fri", "Fri", 1)]
    assert [row.shown for row in Suppressor(3).column(cells)] == ["hidden", "hidden", "hidden", "0", "hidden"]
    with_others = [*cells, ("sat", "Sat", 7)]  # a count shown is hidden rather than a 0
    assert [row.shown for row in Suppressor(3).column(with_others)] == ["hidden", "0", "hidden", "0", "hidden", "hidden"]


def test_a_column_all_of_one_small_count_hides_the_figure_it_adds_up_to_instead():
    # Three days of one lookup each under a total of 3 would each be 1, with no other count to hide
    # with them: the total is hidden. A total that is itself small stays "<3"; a mix tells nothing.
    suppress = Suppressor(3)
    ones = [("mon", "Mon", 1), ("tue", "Tue", 1), ("wed", "Wed", 1)]
    assert [row.shown for row in suppress.column(ones, adds_up_to="lookups")] == ["hidden", "hidden", "hidden"]
    assert suppress.total("lookups", "Lookups", 3) == Tally("lookups", "Lookups", "hidden", None)
    suppress.column([("mon", "Mon", 1), ("tue", "Tue", 1)], adds_up_to="misses")
    assert suppress.total("misses", "Misses", 2).shown == "<3"
    for cells in ([("mon", "Mon", 2), ("tue", "Tue", 1)], [*ones, ("thu", "Thu", 0)], [*ones, ("thu", "Thu", 4)]):
        mixed = Suppressor(3)
        mixed.column(cells, adds_up_to="views")
        assert mixed.total("views", "Views", sum(count for *_, count in cells)).count is not None, cells


def test_a_report_hides_a_headline_figure_its_sessions_or_days_would_tell(store):
    with store.transaction() as db:
        for day in (6, 7, 8):  # a session a day, one share-out about each, one glossary lookup a day
            add_session(db, f"dec-{day}", at(2026, 12, day))
            add_shareout(db, at(2026, 12, day, 17), user_id=f"U{day}", occurrence_id=f"dec-{day}")
            add_event(db, at(2026, 12, day, 18), events.GLOSSARY_LOOKUP, f"U{day}", "burnout", "burnout", True)
    report = november(store, "2026-12-06..2026-12-08")
    headline = dict(report.headline())
    assert headline["Share-outs"] == "hidden" and headline["Glossary lookups"] == "hidden"
    assert headline["Sessions held"] == "3" and headline["Members engaged"] == "3"  # no column adds up to these
    assert [row.shareouts.shown for row in report.sessions] == ["hidden", "hidden", "hidden"]
    trend = {trend.name: trend for trend in report.trend}
    assert trend["Share-outs"].current is None and trend["Glossary lookups"].current is None
    assert report.to_dict()["summary"]["Share-outs"] == "hidden" and '"count": 3' not in str(report.to_dict()["shareouts"])


def test_the_threshold_is_configurable(store):
    assert shown(november(store, threshold=1).shareouts_by_theme) == {"A win": "4", "A barrier": "1", "A resource to share": "1"}
    assert shown(november(store, threshold=5).shareouts_by_sector) == {"School staff": "<5", "School-based clinician": "<5"}


def test_top_lookups_misses_and_tip_sheets(store):
    report = november(store)
    assert [(t.label, t.shown) for t in report.top_lookups] == [("Trauma-informed approach", "4")]
    assert [(t.label, t.shown) for t in report.top_misses] == [("ppt", "hidden"), ("zoom fatigue", "hidden")]
    assert [(t.label, t.shown) for t in report.top_tipsheets] == [("Staff Wellness", "3")]


def test_a_series_report_uses_the_series_sessions_and_leaves_out_glossary_figures(store):
    report = november(store, f"series {SERIES} 2026-11")
    assert report.period.series_id == SERIES
    assert report.sessions_held == 3 and report.shareouts.count == 4  # the share-out about no session is not the series'
    assert report.members_engaged.count == 7  # RSVPs and named share-outs about its sessions: UA UB UC UD UE UF UG
    assert not report.community_wide
    assert "Glossary lookups" not in dict(report.headline())


def test_a_series_alone_covers_all_its_sessions(store):
    report = november(store, SERIES)
    assert report.period.start_day.isoformat() == "2026-10-27"
    assert report.sessions_held == 5


def test_an_empty_database_reports_zeros(tmp_path):
    store = Store(tmp_path / "empty.db")
    store.migrate(MIGRATION_SETS)
    report = compute(store, parse_period("last 30 days", NOW, "America/New_York"), threshold=3, now=NOW)
    assert report.sessions_held == 0 and report.shareouts.count == 0 and report.members_engaged.count == 0
    assert report.shareouts_by_sector == ()


def test_suppressor_leaves_zero_and_large_counts_alone():
    suppress = Suppressor(3)
    assert [suppress.tally("k", "k", n).shown for n in (0, 1, 2, 3, 40)] == ["0", "<3", "<3", "3", "40"]


def test_the_report_is_plain_json_data(store):
    import json

    data = json.loads(json.dumps(november(store).to_dict()))
    assert data["period"]["label"] == "November 2026 (Nov 1 – Nov 30, 2026)"
    assert data["sessions"][0]["starts_at"].startswith("2026-11-10T20:30")


def answer_pulse(store, occurrence_id, *scores):
    """Pulse answers about a session, as members' taps keep them: a score and no member id."""
    with store.transaction() as db:
        for score in scores:
            db["pulse_answers"].insert({"occurrence_id": occurrence_id, "day": "2026-11-10", "usefulness": score})


def test_a_single_pulse_answer_shows_neither_its_score_nor_the_mean(store):
    answer_pulse(store, "nov-10", 1)
    report = november(store)
    assert report.pulse_answers.shown == "<3" and report.pulse_average == "not shown (fewer than 3 answers)"
    assert shown(report.pulse_scores) == {TOO_FEW_SCORES: "hidden"}
    assert "not useful" not in str(report.to_dict())


def test_one_small_score_hides_every_score_since_the_mean_and_total_would_give_it_away(store):
    answer_pulse(store, "nov-10", 5, 5, 5, 1)  # mean 4.0 of 4 answers: a shown "5: 3" would leave the 1 to work out
    report = november(store)
    assert report.pulse_average == "4.0 of 5"
    assert shown(report.pulse_scores) == {TOO_FEW_SCORES: "hidden"}


def test_pulse_scores_are_shown_one_by_one_when_none_is_small(store):
    answer_pulse(store, "nov-10", 5, 5, 5, 4, 4, 4)
    assert shown(november(store).pulse_scores) == {"5 · very useful": "3", "4": "3"}


def test_the_funder_figures_count_only_the_period_s_sessions_still_to_come(store):
    with store.transaction() as db:
        add_session(db, "dec-10-later", at(2026, 12, 10, 15, 30))  # later today (NOW is noon)
        add_session(db, "jan-2031", at(2031, 1, 8))  # years away, in no period reported
    november_figures = {name: what for name, _, what in november(store).funder_figures()}
    assert november_figures["Sessions held"] == "1 cancelled; 0 still to come."
    december_figures = {name: what for name, _, what in november(store, "this month").funder_figures()}
    assert december_figures["Sessions held"] == "0 cancelled; 1 still to come."


def test_the_funder_figures_state_a_missing_headcount_and_only_slack_says_how_to_record_one(store):
    report = november(store)
    figures = {name: (value, what) for name, value, what in report.funder_figures()}
    assert figures["Attended (recorded)"] == ("0", "No headcount recorded.")
    assert "/heart" not in str(report.funder_figures())
    assert "record one with `/heart attendance`" in str(summary_message(report).blocks)
