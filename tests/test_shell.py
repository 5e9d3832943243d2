"""The offline shell, run as a member would run it: a subprocess fed commands on stdin."""

from tests.support.harness import run_shell


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


def test_the_shell_can_act_as_another_member(tmp_path):
    result = run_shell(tmp_path, "/tipsheet barriers\n1\n", "--user", "UOTHER42")
    assert "Shared by @UOTHER42" in result.stdout


def test_home_opens_the_home_tab_with_your_data(tmp_path):
    result = run_shell(tmp_path, "home\n")
    assert "--- Home tab ---" in result.stdout
    assert "UPCOMING PEER SUPPORT HOURS" in result.stdout and "YOUR DATA" in result.stdout
    assert "Download my data" in result.stdout and "Delete my data" in result.stdout


def test_a_button_that_asks_first_asks_and_does_nothing_unless_told_yes(tmp_path):
    result = run_shell(tmp_path, "/shareout a reflection to keep\n2\nno\n/shareout mine\n")
    assert "Delete this share-out? This removes it for good. It can't be undone. [y/N]" in result.stdout
    assert "Nothing was done." in result.stdout
    assert result.stdout.count("a reflection to keep") >= 2  # still listed under mine
    result = run_shell(tmp_path, "/shareout mine\n2\ny\n")
    assert "Your share-out is deleted." in result.stdout


def test_connect_shows_monthly_connections_and_opens_the_profile_form(tmp_path):
    result = run_shell(tmp_path, "/connect\n1\n/connect pause\n")
    assert result.returncode == 0, result.stderr
    assert "MONTHLY CONNECTIONS" in result.stdout and "[1] Join monthly connections" in result.stdout
    assert "Coordinators see only counts" in result.stdout
    assert "--- form: Monthly connections ---" in result.stdout and "Your sector: (static_select)" in result.stdout
    assert "You haven't joined monthly connections yet" in result.stdout


def test_a_coordinator_sees_the_connections_switches_in_the_shell(tmp_path):
    result = run_shell(tmp_path, "/connect\n", "--coordinator")
    assert "For coordinators." in result.stdout and "Start a round now" in result.stdout
    assert "the first Monday of each month at 10:00" in result.stdout
