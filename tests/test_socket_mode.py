"""Socket Mode: with SLACK_APP_TOKEN set, the bot connects out instead of listening."""

import os
import signal
import subprocess
import sys

from tests.harness import BOT_TOKEN, ROOT, SHAREOUT_HASH_SECRET


def test_an_app_token_switches_to_socket_mode_through_slack_api_url(slack, tmp_path):
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "",
        "SLACK_APP_TOKEN": "xapp-1-test",
        "SLACK_API_URL": slack.api_url,
        "SHAREOUT_HASH_SECRET": SHAREOUT_HASH_SECRET,
        "DATABASE_PATH": str(tmp_path / "heart.db"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        (opened, *_) = slack.wait_for("apps.connections.open", timeout=20)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert opened.args["_token"] == "xapp-1-test"
