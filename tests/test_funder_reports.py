"""Figures a coordinator can hand to a funder, over signed HTTP against the real bot and the
hand-counted community (tests/support/engagement_data.py) plus two series still to come."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.offline.server import BotServer
from tests.support.engagement_data import SERIES, SERIES_TITLE, add_series, add_session, at, community_at
from tests.support.forms import query
from tests.support.reports import COORDINATOR, reply, summary

FAMILY = "family-partners-circle"  # one session held in October 2026, five in 2031
NEW = "new-circle"  # only sessions to come


@pytest.fixture(scope="module")
def server(local_slack, tmp_path_factory):
    database = tmp_path_factory.mktemp("funder") / "heart.db"
    store = community_at(database)
    with store.transaction() as db:
        add_series(db, FAMILY, "Family Partners Circle")
        add_session(db, "family-oct", at(2026, 10, 5), series_id=FAMILY)
        for month in range(1, 6):
            add_session(db, f"family-2031-{month}", at(2031, month, 8), series_id=FAMILY)
        add_series(db, NEW, "New Circle")
        add_session(db, "new-2031", at(2031, 12, 8), series_id=NEW)
        db.execute("update series set status = 'ended'")  # only the sessions written here, none made on schedule
    store.close()
    env = {"COORDINATOR_IDS": COORDINATOR, "GRANT_YEAR_START_MONTH": "9"}
    bot = BotServer(local_slack, database, env=env).start()
    yield bot
    bot.stop()




def words(message) -> str:
    return json.dumps(message, ensure_ascii=False).replace("&lt;", "<")


# ----------------------------------------------------------------------------- small counts, wording


def test_a_small_headline_count_is_hidden_like_the_breakdown_below_it_and_one_day_reads_the_day_before(server, slack):
    message = reply(server, slack, "report 2026-11-24")  # one share-out that day, about the Nov 24 session
    figures = summary(message)
    assert figures["Share-outs"] == "<3" and figures["RSVPs going"] == "<3" and figures["Sessions held"] == "1"
    assert "Nov 24 · School Mental Health Peer Support Hour: hidden" in words(message)  # alone: it is the total
    assert "compared with the day before" in words(message) and "the 1 days before" not in words(message)
    assert "Took part (per session)" in words(message)


def test_a_series_report_hides_small_headline_counts_too(server, slack):
    figures = summary(reply(server, slack, f"report {SERIES} 2026-11-20..2026-11-25"))
    assert figures["Share-outs"] == "<3" and figures["Members engaged"] == "4"  # UA UB UE (RSVPs), UC (both)


# ----------------------------------------------------------------------------- series


def test_help_lists_the_series_ids_and_titles(server, slack):
    text = words(reply(server, slack, "help"))
    assert f"`{SERIES}`: {SERIES_TITLE}" in text and f"`{FAMILY}`: Family Partners Circle" in text
    assert "`FY2027` (October to September)" in text


@pytest.mark.parametrize("typed", [SERIES, SERIES_TITLE, f"series {SERIES}", SERIES_TITLE.upper()])
def test_a_series_is_reachable_by_its_id_or_its_title_and_covers_its_sessions_so_far(server, slack, typed):
    message = reply(server, slack, f"report {typed}")
    assert f"{SERIES_TITLE} · Sessions so far" in words(message)
    assert summary(message)["Sessions held"] in ("3", "4", "5")  # Oct 27, Nov 10, Nov 24; the two Nov 30 evening ones once past


def test_a_series_and_a_period_together(server, slack):
    message = reply(server, slack, f"report {SERIES_TITLE} 2026-11")
    assert f"{SERIES_TITLE} · November 2026" in words(message)


def test_the_report_offers_a_series_menu_and_choosing_one_redraws_the_report(server, slack):
    message = reply(server, slack, "report 2026-11")
    elements = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    menus = [e for e in elements if e["action_id"] == "heart_report_series"]
    offered = [o["value"] for o in menus[0]["options"]]
    assert {f"series {FAMILY}", f"series {NEW}", f"series {SERIES}"} <= set(offered)
    answer = server.click("heart_report_series", f"series {FAMILY}", user=COORDINATOR, selected=True)
    (redrawn,) = slack.responses(answer.response_url)
    assert "Family Partners Circle · Sessions so far" in words(redrawn) and redrawn.get("replace_original") is True


def test_a_series_with_no_session_yet_says_so_without_a_backwards_range(server, slack):
    text = words(reply(server, slack, f"report {NEW}"))
    assert "*New Circle* has had no session yet: its first is on Dec 8, 2031." in text
    assert "hasn't started yet" not in text


def test_an_unknown_word_lists_the_series(server, slack):
    text = words(reply(server, slack, "report peer-hours"))
    assert "can't read" in text and f"`{SERIES}` ({SERIES_TITLE})" in text


def test_upcoming_counts_the_sessions_still_to_come(server, slack):
    figures = summary(reply(server, slack, f"report {FAMILY}"))
    assert figures["Sessions upcoming (from now)"] == "5" and figures["Sessions held"] == "1"
    community = summary(reply(server, slack, "report 2026-10"))  # a past month: what is still to come from now
    assert int(community["Sessions upcoming (from now)"]) >= 6


# ----------------------------------------------------------------------------- grant periods


@pytest.mark.parametrize(
    "typed, label",
    [
        ("Q4 2025", "Q4 2025 (Oct 1 – Dec 31, 2025)"),
        ("FY2026", "FY2026 (Oct 1, 2025 – Sep 30, 2026)"),
        ("fy2026 q3", "FY2026 Q3 (Apr 1 – Jun 30, 2026)"),
        ("grant year 2026", "Grant year 2026 (Sep 1, 2025 – Aug 31, 2026)"),  # GRANT_YEAR_START_MONTH=9
        (f"{SERIES} FY2027", f"{SERIES_TITLE} · FY2027, to date (Oct 1 – "),
    ],
)
def test_quarters_fiscal_and_grant_years_are_periods(server, slack, typed, label):
    assert label in words(reply(server, slack, f"report {typed}"))


# ----------------------------------------------------------------------------- attendance

ZOOM = """Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest
Dana Reyes,dana@school.org,11/10/2026 03:29:10 PM,11/10/2026 04:30:00 PM,61,No
Dana Reyes,dana@school.org,11/10/2026 03:40:10 PM,11/10/2026 04:30:00 PM,50,No
Sam Ortiz (Sam O.),,11/10/2026 03:31:00 PM,11/10/2026 04:30:00 PM,59,Yes
Lee Park,,11/10/2026 03:31:00 PM,11/10/2026 04:30:00 PM,59,Yes
"""


def attendance_form(session: str, headcount: str | None = None, present: tuple[str, ...] = (), participants: str = ""):
    return {
        "attendance_session": {"attendance_session": {"type": "static_select", "selected_option": {"value": session}}},
        "attendance_headcount": {"attendance_headcount": {"type": "number_input", "value": headcount}},
        "attendance_present": {"attendance_present": {"type": "multi_users_select", "selected_users": list(present)}},
        "attendance_participants": {"attendance_participants": {"type": "plain_text_input", "value": participants or None}},
    }


def record(server, slack, user=COORDINATOR, **fields):
    slack.clear()
    answer = server.submit("heart_attendance", attendance_form(**fields), user=user, view_id="VATTEND")
    if answer.json.get("response_action") == "errors":
        return answer.json["errors"]
    if "Recording" not in json.dumps(answer.json):  # answered at once: a refusal
        return json.dumps(answer.json["view"], ensure_ascii=False)
    (update,) = slack.wait_for("views.update")
    return json.dumps(update.args["view"], ensure_ascii=False)


def test_heart_attendance_opens_a_form_of_the_sessions_held(server, slack):
    server.command("/heart", "attendance", user=COORDINATOR)
    (opened,) = slack.wait_for("views.open")
    view = opened.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "heart_attendance"
    offered = [o["value"] for b in view["blocks"] if b.get("block_id") == "attendance_session" for o in b["element"]["options"]]
    assert "nov-10" in offered and "nov-17" not in offered  # cancelled: nobody attended


def test_a_headcount_is_recorded_and_reported_apart_from_rsvps(server, slack):
    assert "Recorded: 12 people at *nov-24*" in record(server, slack, session="nov-24", headcount="12")
    figures = summary(reply(server, slack, "report 2026-11-20..2026-11-25"))
    assert figures["Attended (recorded)"] == "12" and figures["Sessions with attendance recorded"] == "1 of 1"
    assert figures["RSVPs going"] == "<3"  # what was said, apart from who came


def test_a_participants_list_is_counted_once_each_and_members_matched_by_email_or_name(server, slack, local_slack):
    local_slack.add_user("UDANA", name="Dana Reyes", email="dana@school.org")
    local_slack.add_user("USAMO", name="Sam Ortiz")
    text = record(server, slack, session="nov-10", present=("UA",), participants=ZOOM)
    assert "Recorded: 3 people at *nov-10*, 3 of them marked as members." in text
    assert "From the participants list: 2 matched to members, 1 counted without being matched." in text
    marks = {row[0] for row in query(server, "select user_id from attendance_members where occurrence_id = 'nov-10'")}
    assert marks == {"UA", "UDANA", "USAMO"}


def test_attendance_needs_something_and_a_session_that_was_held(server, slack):
    assert "Please give a headcount" in record(server, slack, session="nov-10")["attendance_headcount"]
    assert "hasn't started yet" in record(server, slack, session="family-2031-1", headcount="4")
    assert "was cancelled" in record(server, slack, session="nov-17", headcount="4")


def test_a_member_cannot_record_attendance(server, slack):
    assert "coordinators' toolkit" in record(server, slack, user="UMEMBER1", session="nov-10", headcount="40")
    assert query(server, "select headcount from attendance where occurrence_id = 'nov-10' and headcount = 40") == []


def test_the_cli_records_a_past_session_and_a_participants_file(server, tmp_path):
    db = str(server.database_path)
    held = ["--series", FAMILY, "--date", "2026-09-14", "--time", "15:30", "--headcount", "9"]
    past = CliRunner().invoke(main, ["attendance", "past", *held, "--db", db])
    assert past.exit_code == 0, past.output
    assert f"Recorded the session {FAMILY}:2026-09-14." in past.output and "Recorded: 9 people" in past.output
    asked = ["report", "--db", db, "--period", f"{FAMILY} 2026-09", "--format", "json"]
    report = json.loads(CliRunner().invoke(main, asked).output)
    assert report["summary"]["Sessions held"] == "1" and report["summary"]["Attended (recorded)"] == "9"
    (tmp_path / "zoom.csv").write_text(ZOOM)
    (tmp_path / "members.csv").write_text("username,email,userid,fullname\ndana,dana@school.org,UDANA,Dana Reyes\n")
    files = ["--participants", str(tmp_path / "zoom.csv"), "--members", str(tmp_path / "members.csv")]
    done = CliRunner().invoke(main, ["attendance", "record", f"{FAMILY}:2026-09-14", *files, "--db", db])
    assert done.exit_code == 0, done.output
    assert "1 matched to members, 2 counted without being matched" in done.output
    assert query(server, "select headcount from attendance where occurrence_id = ?", f"{FAMILY}:2026-09-14") == [(3,)]


# ----------------------------------------------------------------------------- the funder summary


def uploaded(slack) -> dict[str, bytes]:
    sent = {call.path.rsplit("/", 1)[-1]: call.args["bytes"] for call in slack.calls_to("file_upload")}
    files = slack.calls_to("files.completeUploadExternal")[-1].args["files"]
    files = json.loads(files) if isinstance(files, str) else files
    return {f["title"]: sent[f["id"]] for f in files}


def test_heart_summary_gives_the_funder_figures_and_a_one_page_html_by_dm(server, slack):
    message = reply(server, slack, "summary 2026-11-01..2026-11-25")
    text = words(message)
    assert "Engagement summary" in text and "Nov 1 – Nov 25, 2026" in text
    assert "*Members who took part in a session:* " in text and "*Attended (recorded):* " in text
    slack.wait_for("files.completeUploadExternal")
    ((name, page),) = uploaded(slack).items()
    assert name == "heart-summary-2026-11-01_2026-11-25.html"
    html = page.decode()
    assert html.startswith("<!doctype html>") and "data:image/png;base64," in html and "@page" in html
    assert "http://" not in html and "https://" not in html  # nothing fetched: it prints as it is
    cells = re.findall(r'<td class="n">([^<]*)</td>', html)
    assert cells and not {"1", "2"} & set(cells[6:])  # past the at-a-glance figures, no count of one or two members
    assert "&lt;3" in html


def test_the_cli_html_is_the_same_summary(server):
    result = CliRunner().invoke(main, ["report", "--db", str(server.database_path), "--period", "2026-11", "--format", "html"])
    assert result.exit_code == 0, result.output
    assert "HEART Collective: engagement summary" in result.output and "data:image/png;base64," in result.output
    assert "Members who took part in a session" in result.output
    assert "1 cancelled; 0 still to come." in result.output  # not the sessions of 2031, outside the period
    assert "/heart" not in result.output  # a page for funders: no instruction to coordinators


# ----------------------------------------------------------------------------- whom it reaches


def profile_form(sector: str, state: str):
    return {
        "sector": {"sector": {"type": "static_select", "selected_option": {"value": sector}}},
        "state": {"state": {"type": "static_select", "selected_option": {"value": state}}},
    }


def test_a_member_may_give_a_sector_and_state_and_reports_count_members_reached_by_them(server, slack):
    reply(server, slack, "summary 2026-11-01..2026-11-25")  # handed out before anyone gave a profile: kept as it was
    slack.wait_for("files.completeUploadExternal")
    slack.clear()
    server.event({"type": "app_home_opened", "user": "UA", "tab": "home", "channel": "D0HOME"})
    (home,) = slack.wait_for("views.publish")
    assert "About you (optional)" in json.dumps(home.args["view"]) and "never with your name" in json.dumps(home.args["view"])
    slack.clear()
    server.click("member_profile_open", "profile", user="UA")
    (opened,) = slack.wait_for("views.open")
    assert "Prefer not to say" in json.dumps(opened.args["view"])
    for user in ("UA", "UB", "UC"):
        server.submit("member_profile", profile_form("community-organization", "MA"), user=user)
    server.submit("member_profile", profile_form("none", "VT"), user="UG")
    server.submit("member_profile", profile_form("made-up", "Atlantis"), user="UH")  # off the list: not said
    assert query(server, "select sector, state from member_profiles where user_id = 'UH'") == []
    # Days no face has exported yet: counted now (Nov 1 to Nov 25 went out as a summary, and stays as it went).
    text = words(reply(server, slack, "report 2026-11-01..2026-11-24"))
    # By state: Massachusetts 3, Vermont 1 and the rest not given; beside the members engaged, the 3 would give the 1 away.
    assert "*Members reached by state*\\n• Not given: " in text
    assert "• Massachusetts: hidden" in text and "• Vermont: hidden" in text
    assert "• Community-based organization: hidden" in text  # a profile's sector wins over a share-out's (3 of them)
    assert "• School staff: hidden" in text
    summary_text = words(reply(server, slack, "summary 2026-11-01..2026-11-24"))
    assert "*Members reached by state:* " in summary_text and "Massachusetts hidden" in summary_text
    assert "Massachusetts" not in words(reply(server, slack, "report 2026-11-01..2026-11-25"))
