"""`python -m bot check` checks what `serve` needs, and asks the local Slack what the real one would
answer: a refused token, missing scopes, a channel the bot is not in, a user group that does not
exist. `serve` refuses on the fatal ones with the same lines, before taking its port."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot import manifest
from bot.offline.localslack import Failure, LocalSlack
from bot.offline.server import BOT_TOKEN, SHAREOUT_HASH_SECRET, SIGNING_SECRET, free_port
from tests.support.harness import ROOT, run_cache

SERIES_CHANNEL = "C0PEERHOUR"


def run_bot(tmp_path, *args: str, slack: LocalSlack | None = None, **environ: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DATABASE_PATH": str(tmp_path / "heart.db"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SHAREOUT_HASH_SECRET": SHAREOUT_HASH_SECRET,
        "SLACK_APP_TOKEN": "",
        "PEERHOUR_CHANNEL": SERIES_CHANNEL,
        "PORT": str(free_port()),
        **({"SLACK_API_URL": slack.api_url} if slack else {}),
        **run_cache(),
        **environ,
    }
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)


def problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.removeprefix("problem: ") for line in result.stderr.splitlines() if line.startswith("problem: ")]


def test_check_with_everything_in_place_is_ready_and_leaves_nothing_scheduled(tmp_path, slack):
    result = run_bot(tmp_path, "check", slack=slack, COORDINATOR_GROUP="S0COORDS")
    assert result.returncode == 0, result.stderr
    assert "Slack token ok" in result.stdout
    assert f"channel ok: {SERIES_CHANNEL}" in result.stdout
    assert "coordinator group ok: S0COORDS" in result.stdout
    assert result.stdout.rstrip().endswith("ready to serve")
    scheduled = slack.calls_to("chat.scheduleMessage")
    deleted = slack.calls_to("chat.deleteScheduledMessage")
    assert [c.args["channel"] for c in scheduled] == [SERIES_CHANNEL] and len(deleted) == 1
    assert not slack.calls_to("chat.postMessage")
    assert not (tmp_path / "heart.db").exists(), "check made the database"


def test_check_without_tokens_names_every_missing_setting(tmp_path):
    result = run_bot(tmp_path, "check", SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="", SHAREOUT_HASH_SECRET="")
    assert result.returncode == 1
    assert [p.split(" ")[0] for p in problems(result)] == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SHAREOUT_HASH_SECRET"]
    assert "configuration ok" not in result.stdout
    assert "Traceback" not in result.stderr


def test_check_content_only_needs_no_tokens(tmp_path):
    result = run_bot(tmp_path, "check", "--content", SLACK_BOT_TOKEN="")
    assert result.returncode == 0, result.stderr
    assert "content ok" in result.stdout


def test_check_reports_a_token_slack_refuses(tmp_path, slack):
    slack.fail_next("auth.test", Failure(error="invalid_auth"))
    result = run_bot(tmp_path, "check", slack=slack)
    assert result.returncode == 1
    assert problems(result) == [
        "SLACK_BOT_TOKEN was refused by Slack (invalid_auth): copy the Bot User OAuth Token (xoxb-...) again from "
        "OAuth & Permissions; if the app was reinstalled or removed, reinstall it and use its new token"
    ]


def test_check_reports_missing_scopes(tmp_path, slack):
    slack.scopes = [scope for scope in slack.scopes if scope not in ("files:write", "im:write")]
    try:
        result = run_bot(tmp_path, "check", slack=slack)
    finally:
        slack.scopes = sorted(manifest.scopes())
    assert result.returncode == 1
    [problem] = problems(result)
    assert problem.startswith("the app lacks the scopes files:write, im:write: add them under OAuth & Permissions")
    assert "reinstall the app" in problem


def test_check_reports_a_channel_the_bot_is_not_in_and_a_group_that_does_not_exist(tmp_path, slack):
    slack.refuse_channel(SERIES_CHANNEL)
    slack.fail_next("usergroups.users.list", Failure(error="no_such_subteam"))
    result = run_bot(tmp_path, "check", slack=slack, COORDINATOR_GROUP="S0NOSUCH")
    assert result.returncode == 1
    found = problems(result)
    assert found[0].startswith(f"the bot is not in channel {SERIES_CHANNEL} (series 'New England School Mental Health")
    assert found[0].endswith("type /invite @heart-bot in that channel")
    assert found[1].startswith("COORDINATOR_GROUP S0NOSUCH is not a user group of this workspace")
    assert len(found) == 2


def test_check_says_when_slack_cannot_be_reached(tmp_path):
    result = run_bot(tmp_path, "check", SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/")
    assert result.returncode == 1
    [problem] = problems(result)
    assert problem.startswith("Slack could not be reached at http://127.0.0.1:")
    assert "Traceback" not in result.stderr


def test_check_offline_does_not_ask_slack(tmp_path, slack):
    result = run_bot(tmp_path, "check", "--offline", slack=slack)
    assert result.returncode == 0, result.stderr
    assert "Slack not asked (--offline)" in result.stdout
    assert not slack.calls


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked"])
def test_serve_refuses_a_refused_token_in_one_line_before_taking_the_port(tmp_path, slack, error):
    slack.fail_next("auth.test", Failure(error=error))
    result = run_bot(tmp_path, "serve", slack=slack)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "BoltError" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"Error: SLACK_BOT_TOKEN was refused by Slack ({error})")
    assert "serving Slack on port" not in result.stderr  # the server never started


def test_serve_refuses_when_slack_cannot_be_reached(tmp_path):
    result = run_bot(tmp_path, "serve", SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error: Slack could not be reached at")
    assert "Traceback" not in result.stderr
