"""Socket Mode: with SLACK_APP_TOKEN set, the bot connects out to Slack's websocket instead of
listening, and answers commands, buttons and events through it (tests/socket_mode_endpoint.py
plays Slack's side of the socket; LocalSlack hands out its address)."""

import json
import os
import signal
import subprocess
import sys
from urllib.parse import parse_qsl

import pytest

from bot.offline import slack_requests
from bot.offline.server import BOT_TOKEN, SHAREOUT_HASH_SECRET
from tests.support.harness import ROOT
from tests.support.socket_mode_endpoint import SocketModeEndpoint


@pytest.fixture
def socket_bot(slack, tmp_path):
    """The bot in Socket Mode, connected to a local endpoint, as `python -m bot` starts it."""
    with SocketModeEndpoint() as endpoint:
        slack.socket_mode_url = endpoint.url
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
            endpoint.wait_connected()
            yield endpoint
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            slack.socket_mode_url = None


def test_the_app_token_opens_the_connection(slack, socket_bot):
    (opened, *_) = slack.calls_to("apps.connections.open")
    assert opened.args["_token"] == "xapp-1-test"


def test_a_slash_command_is_answered_in_its_acknowledgement(slack, socket_bot):
    body = slack_requests.command_body("/glossary", "tic", user_id="UMEMBER1", response_url=slack.response_url())
    ack = socket_bot.send("slash_commands", dict(parse_qsl(body)))
    assert ack["payload"]["blocks"][0]["text"]["text"] == "Trauma-informed approach"


def test_a_button_press_and_an_event_reach_their_listeners(slack, socket_bot):
    response_url = slack.response_url()
    sheet = "ways-to-support-advocacy:1"
    body = slack_requests.block_actions_body("tipsheet_share", sheet, user_id="USHARER", response_url=response_url)
    socket_bot.send("interactive", json.loads(dict(parse_qsl(body))["payload"]))
    (posted,) = slack.responses(response_url)
    assert posted["response_type"] == "in_channel" and posted["blocks"][0]["text"]["text"] == "Ways to Support Advocacy"

    event = {"type": "app_home_opened", "user": "UMEMBER1", "tab": "home"}
    socket_bot.send("events_api", json.loads(slack_requests.event_body(event)))
    (published,) = slack.wait_for("views.publish")
    assert published.args["user_id"] == "UMEMBER1"
