"""The offline shell, run as a member would run it: a subprocess fed commands on stdin."""

import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path

from bot import manifest
from tests.support.harness import ROOT, run_shell


def test_the_shell_answers_commands_without_slack(tmp_path):
    result = run_shell(tmp_path, "/glossary TIC\n/tipsheet barriers\n")
    assert result.returncode == 0, result.stderr
    assert "> /glossary TIC" in result.stdout
    assert "TRAUMA-INFORMED" in result.stdout
    assert "ADDRESSING POSSIBLE BARRIERS TO COLLABORATION" in result.stdout
    assert "[1] " in result.stdout


def test_pressing_a_button_by_number_shares_in_channel(tmp_path):
    result = run_shell(tmp_path, "/tipsheet barriers\n1\n")
    assert "--- channel ---" in result.stdout
    assert "Shared by @UMEMBER1" in result.stdout


def test_the_shell_is_kind_about_mistakes_and_ends_cleanly(tmp_path):
    result = run_shell(tmp_path, "hello\n7\n/glossary <!channel>\n")
    assert result.returncode == 0
    assert "Start with a slash command" in result.stdout
    assert "There is no button 7" in result.stdout
    assert "<!channel>" in result.stdout  # shown as typed, unescaped for reading, never sent to Slack


def test_help_lists_every_slash_command_the_app_declares(tmp_path):
    result = run_shell(tmp_path, "help\n")
    listed = result.stdout.split("Slash commands, as in Slack:\n", 1)[1]
    for command, description in manifest.commands().items():
        assert re.search(rf"^  {re.escape(command)} +{re.escape(description)}$", listed, re.MULTILINE), command
    assert "--coordinator" in listed


def test_the_shell_can_act_as_another_member(tmp_path):
    result = run_shell(tmp_path, "/tipsheet barriers\n1\n", "--user", "UOTHER42")
    assert "Shared by @UOTHER42" in result.stdout


def test_home_opens_the_home_tab_with_your_data(tmp_path):
    result = run_shell(tmp_path, "home\n")
    assert "--- Home tab ---" in result.stdout
    assert "UPCOMING PEER SUPPORT HOURS" in result.stdout and "YOUR DATA" in result.stdout
    assert "Download my data" in result.stdout and "Delete my data" in result.stdout


def test_a_button_that_asks_first_asks_and_does_nothing_unless_told_yes(tmp_path):
    db = str(tmp_path / "kept.db")
    result = run_shell(tmp_path, "/shareout a reflection to keep\n2\nno\n/shareout mine\n", "--db", db)
    assert "Delete this share-out? This deletes it, and it can't be undone. " in result.stdout
    assert "Backups made before still hold it until they are deleted, within 32 days. [y/N]" in result.stdout
    assert "Nothing was done." in result.stdout
    assert result.stdout.count("a reflection to keep") >= 2  # still listed under mine
    result = run_shell(tmp_path, "/shareout mine\n2\ny\n", "--db", db)
    assert "Your share-out is deleted." in result.stdout


# ----------------------------------------------------------------------------- the database it uses


def test_the_shell_uses_a_scratch_database_and_leaves_database_path_alone(tmp_path):
    result = run_shell(tmp_path, "/shareout a scratch reflection\n")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("Scratch database ") and "thrown away when you leave" in first
    assert "Your share-out is saved." in result.stdout
    assert not (tmp_path / "heart.db").exists()
    scratch = first.removeprefix("Scratch database ").split(":")[0]
    assert not Path(scratch).exists(), "the scratch database outlived the shell"


def test_db_opts_in_to_a_real_database_with_a_warning(tmp_path):
    db = tmp_path / "real.db"
    result = run_shell(tmp_path, "/shareout kept for real\n", "--db", str(db))
    assert result.stdout.splitlines()[0].startswith(f"Warning: using the database {db}.")
    with sqlite3.connect(db) as connection:
        assert connection.execute("select count(*) from shareouts").fetchone() == (1,)


# ----------------------------------------------------------------------------- forms, menus, files, the clock


def test_the_share_out_form_is_filled_in_and_submitted(tmp_path):
    # Session: keep; sector: 1; themes: 1 and 2; the reflection; who sees it: keep.
    result = run_shell(tmp_path, "/shareout\n\n1\n1,2\nThe circle helped me plan mornings\n\n/shareout mine\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Your reflection (required)" in out and "pick numbers separated by commas: 1) A win  2) A barrier" in out
    assert "--- form: Share-out saved ---" in out
    assert "*Role or sector:* School staff" in out and "*Themes:* A win, A barrier" in out
    assert out.count("The circle helped me plan mornings") >= 3  # typed, confirmed, listed under mine
    # Each choice of who reads it shows what it means beneath it, as the form in Slack does.
    assert "    1) Coordinators only, with my name\n       Only coordinators read it" in out
    assert "Post in #C0SHELL without my name" in out and "<#" not in out


def test_a_required_field_left_empty_is_asked_again_and_cancel_sends_nothing(tmp_path):
    result = run_shell(tmp_path, "/shareout\n\n\n\n\ncancel\n/shareout mine\n")
    assert "! this field is required" in result.stdout
    assert "The form is closed; nothing was sent." in result.stdout
    assert "You haven't shared out yet." in result.stdout


def test_the_bots_errors_are_shown_beside_their_fields_and_only_those_are_asked_again(tmp_path):
    last_year = (date.today() - timedelta(days=400)).isoformat()
    soon = (date.today() + timedelta(days=5)).isoformat()
    commands = f"/peerhour add\nBook club\n{last_year}\n16:00\n" + "\n" * 11 + f"{soon}\n/peerhour\n"
    result = run_shell(tmp_path, commands, "--coordinator")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("  ! Date of the first session: ") == 1  # once, just before the field is asked again
    after_error = out.split("  ! Date of the first session: ", 1)[1]
    assert "Title (required)" not in after_error.split("--- form:", 1)[0], "a field without an error was asked again"
    assert "--- form: Session added ---" in out and "*Book club* is scheduled" in out


def test_menus_are_picked_by_number_and_a_redrawn_report_keeps_its_numbers(tmp_path):
    result = run_shell(tmp_path, "/heart report\n3\n3\n1\n", "--coordinator")
    out = result.stdout
    assert out.count("[1] Chart to my DM  [2] Export CSV to my DM  [3] menu Another period") == 2
    assert "Another period: 1) Last 30 days  2) This month  3) Last month" in out
    assert "Your chart for *" in out.split("> 1\n")[-1]


def test_an_overflow_menu_opens_its_form(tmp_path):
    soon = (date.today() + timedelta(days=3)).isoformat()
    add = f"/peerhour add\nBook club\n{soon}\n16:00\n" + "\n" * 11
    result = run_shell(tmp_path, add + "/peerhour\n5\n1\nChapter two\n\n/peerhour\n", "--coordinator")
    out = result.stdout
    assert "more: 1) Edit topic or link  2) Move  3) Cancel session" in out
    assert "--- form: Session updated ---" in out
    assert "*Topic:* Chapter two" in out.split("--- form: Session updated ---")[1]


def test_files_the_bot_sends_are_saved_and_their_paths_printed(tmp_path):
    result = run_shell(tmp_path, "/shareout words for the export file\n/shareout export\n")
    saved = re.findall(r"saved as\s+(\S+)\)", result.stdout.replace("\n  ", ""))
    assert saved, result.stdout
    contents = "".join(Path(path).read_text() for path in saved)
    assert "words for the export file" in contents
    assert all(path.startswith(str(tmp_path / "tmp")) for path in saved)
    assert {Path(path).stat().st_mode & 0o777 for path in saved} == {0o600}  # they hold share-outs


def test_advance_moves_the_clock_and_shows_the_reminders_and_the_share_out_prompt(tmp_path):
    soon = (date.today() + timedelta(days=2)).isoformat()
    add = f"/peerhour add\nBook club\n{soon}\n16:00\n" + "\n" * 5 + "C0BOOK\n" + "\n" * 5
    result = run_shell(tmp_path, add + "/peerhour\n1\nadvance 4d\n", "--coordinator")
    assert result.returncode == 0, result.stderr
    after = result.stdout.split("> advance 4d", 1)[1]
    assert "The clock is now" in after
    assert ":bell: Reminder: *Book club*" in after
    assert "starting now" in after.casefold()
    assert "Share a reflection" in after  # the post-session prompt's button
    assert "advance" in run_shell(tmp_path, "advance soon\n").stdout.split("> advance soon", 1)[1]


def test_connect_shows_monthly_connections_and_opens_the_profile_form(tmp_path):
    result = run_shell(tmp_path, "/connect\n1\ncancel\n/connect pause\n")  # the form opens: cancel it unsent
    assert result.returncode == 0, result.stderr
    assert "MONTHLY CONNECTIONS" in result.stdout and "[1] Join monthly connections" in result.stdout
    assert "Coordinators see only counts" in result.stdout
    assert "--- form: Monthly connections ---" in result.stdout and "Your sector: (static_select)" in result.stdout
    assert "You haven't joined monthly connections yet" in result.stdout


def test_a_coordinator_sees_the_connections_switches_in_the_shell(tmp_path):
    result = run_shell(tmp_path, "/connect\n", "--coordinator")
    assert "For coordinators." in result.stdout and "Start a round now" in result.stdout
    assert "the first Monday of each month at 10:00" in result.stdout


def test_the_using_heart_bot_tip_sheet_names_the_session_buttons_members_see(tmp_path):
    shown = " ".join(run_shell(tmp_path, "/peerhour\n").stdout.split())  # the shell wraps long lines
    sheet = (ROOT / "content" / "tipsheets" / "using-heart-bot.md").read_text()
    for label in ("Going", "Can't make it", "Remind me: this session", "Remind me: every session", "Add to calendar"):
        assert f"*{label}*" in sheet and f"] {label}" in shown
