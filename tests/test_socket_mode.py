"""Socket Mode: with SLACK_APP_TOKEN set, the bot connects out to Slack's websocket instead of
listening, and answers commands, buttons and events through it (tests/support/socket_mode_endpoint.py
plays Slack's side of the socket and of the network in between; LocalSlack hands out its address).

The connection ends every way Slack's and a network's do, and each time the bot is connected
again within its bound, acknowledges every envelope exactly once and does not spin meanwhile.
SIGTERM and SIGINT stop it cleanly. The ping interval is 1 s here (5 s by default), so a silent
peer is found in seconds.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import psutil
import pytest

from bot.offline import slack_requests
from bot.offline.localslack import Failure, LocalSlack
from bot.offline.server import BOT_TOKEN, SHAREOUT_HASH_SECRET
from tests.support.harness import ROOT
from tests.support.socket_mode_endpoint import SocketModeEndpoint

PING_SECONDS = 1.0
# websocket-client waits up to 3 s for the close frame of a peer that stopped answering.
CLOSE_WAIT_SECONDS = 3.0
# The bounds asked of Socket Mode (against 0.01 to 0.07 s measured for the first four, and two
# intervals plus the close wait for a silent peer), with room for a busy machine.
RECONNECT_BOUNDS = {
    "refresh": 1.0,  # a disconnect message: a new connection at once
    "close": 1.0,  # a close frame without warning
    "fin": 1.0,  # the connection closed without a close frame
    "rst": 1.0,  # the connection reset
    # no answer at all: the pong deadline (half an interval) passes within two intervals
    "silence": 2 * PING_SECONDS + CLOSE_WAIT_SECONDS + 2.0,
}
# Share of one CPU the bot may use from a drop until it is connected again (and at least 3 s):
# answering the envelopes sent again takes a little; reading a dead socket in a loop takes all.
BUSY_SHARE = 0.15


@dataclass
class SocketBot:
    """The bot running as `python -m bot` runs it, and Slack's end of its connection."""

    process: subprocess.Popen[bytes]
    endpoint: SocketModeEndpoint
    database: Path
    log: Path

    def cpu_seconds(self) -> float:
        """CPU time the bot's process has used so far (user and system)."""
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def command(self, command: str, text: str, slack: LocalSlack, **fields: str) -> tuple[str, dict]:
        """A slash command's envelope payload (kind, payload)."""
        body = slack_requests.command_body(command, text, user_id="UMEMBER1", response_url=slack.response_url())
        return "slash_commands", {**dict(parse_qsl(body)), **fields}

    @staticmethod
    def home_opened() -> tuple[str, dict]:
        """An app_home_opened event's envelope payload (kind, payload)."""
        event = {"type": "app_home_opened", "user": "UMEMBER1", "tab": "home"}
        return "events_api", json.loads(slack_requests.event_body(event))


@pytest.fixture
def socket_bot(slack: LocalSlack, tmp_path: Path) -> Iterator[SocketBot]:
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
            "SOCKET_MODE_PING_SECONDS": str(PING_SECONDS),
        }
        log = tmp_path / "bot.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
            )
        try:
            endpoint.wait_connected()
            yield SocketBot(process, endpoint, tmp_path / "heart.db", log)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            slack.socket_mode_url = None


def test_the_app_token_opens_the_connection(slack, socket_bot):
    (opened, *_) = slack.calls_to("apps.connections.open")
    assert opened.args["_token"] == "xapp-1-test"


def test_a_slash_command_is_answered_in_its_acknowledgement(slack, socket_bot):
    ack = socket_bot.endpoint.send(*socket_bot.command("/glossary", "tic", slack))
    assert ack["payload"]["blocks"][0]["text"]["text"] == "Trauma-informed approach"


def test_a_button_press_and_an_event_reach_their_listeners(slack, socket_bot):
    response_url = slack.response_url()
    sheet = "ways-to-support-advocacy:1"
    body = slack_requests.block_actions_body("tipsheet_share", sheet, user_id="USHARER", response_url=response_url)
    socket_bot.endpoint.send("interactive", json.loads(dict(parse_qsl(body))["payload"]))
    (posted,) = slack.responses(response_url)
    assert posted["response_type"] == "in_channel" and posted["blocks"][0]["text"]["text"] == "Ways to Support Advocacy"

    socket_bot.endpoint.send(*socket_bot.home_opened())
    (published,) = slack.wait_for("views.publish")
    assert published.args["user_id"] == "UMEMBER1"


def _end_connection(endpoint: SocketModeEndpoint, how: str) -> None:
    if how == "refresh":
        endpoint.refresh()
    elif how == "close":
        endpoint.close()
    else:
        endpoint.drop(how)  # type: ignore[arg-type]


@pytest.mark.parametrize("how", list(RECONNECT_BOUNDS))
def test_the_bot_reconnects_after_each_way_a_connection_ends(slack, socket_bot, how):
    endpoint = socket_bot.endpoint
    first = endpoint.current
    assert endpoint.send(*socket_bot.command("/glossary", "tic", slack))["payload"]
    cpu_before, ended_at = socket_bot.cpu_seconds(), time.monotonic()
    in_flight = endpoint.post(*socket_bot.home_opened())  # on its way when the connection ends
    _end_connection(endpoint, how)

    second = endpoint.wait_connected(2, timeout=RECONNECT_BOUNDS[how] + 10)
    # Quiet from the drop until connected again, and for 3 s at least.
    time.sleep(max(0.0, ended_at + 3 - time.monotonic()))
    spent, elapsed = socket_bot.cpu_seconds() - cpu_before, time.monotonic() - ended_at
    assert spent < BUSY_SHARE * elapsed, f"{spent:.2f} s of CPU in {elapsed:.1f} s"
    assert second.greeted_at - ended_at < RECONNECT_BOUNDS[how], f"reconnected after {second.greeted_at - ended_at:.1f} s"

    assert endpoint.send(*socket_bot.command("/glossary", "tic", slack))["payload"]
    endpoint.wait_acked(in_flight)  # acknowledged on either connection, or sent again as Slack does
    assert set(endpoint.ack_counts().values()) == {1}, "an envelope acknowledged twice"
    assert len(endpoint.connections) == 2  # one new connection, not two
    if how == "refresh":  # nothing lost, and the old connection closed cleanly
        assert endpoint.envelopes[in_flight].deliveries == 1
        assert endpoint.wait_ended(first).close_code == 1000


class WriteLock:
    """Another process holding the database's write lock (``BEGIN IMMEDIATE``), as a backup or a
    CLI command may: a quick share-out's acknowledgement waits for it (up to 1.5 s)."""

    def __init__(self, database: Path) -> None:
        self._connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        self._connection.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self._connection.rollback()
        self._connection.close()


def _shareouts_saved(database: Path, text: str) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("select count(*) from shareouts where text = ?", [text]).fetchone()[0]


def test_an_acknowledgement_due_while_the_connection_is_replaced_goes_out_on_the_new_one(slack, socket_bot):
    endpoint = socket_bot.endpoint
    endpoint.line.opening_delay = 0.5  # a new connection takes a while to open, as over the internet
    lock = WriteLock(socket_bot.database)
    quick = endpoint.post(*socket_bot.command("/shareout", "A quiet win today", slack, trigger_id="T-refresh"))
    time.sleep(0.2)  # the share-out waits for the lock
    endpoint.refresh()  # the bot closes this connection once it has asked Slack for the next one
    time.sleep(0.2)
    lock.release()  # its acknowledgement is due now, before the new connection is open

    endpoint.wait_connected(2)
    assert "saved" in json.dumps(endpoint.wait_acked(quick)["payload"])
    assert endpoint.ack_counts() == {quick: 1} and endpoint.envelopes[quick].deliveries == 1
    assert _shareouts_saved(socket_bot.database, "A quiet win today") == 1


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_lets_acknowledgements_in_flight_go_out_then_closes_cleanly(slack, socket_bot, stop):
    endpoint = socket_bot.endpoint
    # Answered first, so the stop comes while the bot reads its connection, not while it opens it.
    ready = endpoint.post(*socket_bot.command("/glossary", "tic", slack))
    endpoint.wait_acked(ready)
    lock = WriteLock(socket_bot.database)
    in_flight = endpoint.post(*socket_bot.command("/shareout", "Something that helped", slack, trigger_id="T-stop"))
    time.sleep(0.3)  # the share-out waits for the lock
    socket_bot.process.send_signal(stop)
    time.sleep(0.3)
    after_stop = endpoint.post(*socket_bot.command("/glossary", "tic", slack))
    threading.Timer(0.3, lock.release).start()

    assert socket_bot.process.wait(timeout=20) == 0
    assert endpoint.ack_counts() == {ready: 1, in_flight: 1, after_stop: 0}  # the late one is Slack's to send again
    assert _shareouts_saved(socket_bot.database, "Something that helped") == 1
    assert endpoint.wait_ended(endpoint.current).close_code == 1000  # a close frame, not a dropped socket
    log = socket_bot.log.read_text()
    assert log.rstrip().endswith("stopped: connection closed, scheduler stopped, database closed")
    assert "Traceback" not in log


def test_an_app_token_slack_refuses_stops_the_start_with_one_line(slack, tmp_path):
    slack.fail_next("apps.connections.open", Failure(error="invalid_auth"))
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": "xapp-1-revoked",
        "SLACK_API_URL": slack.api_url,
        "SHAREOUT_HASH_SECRET": SHAREOUT_HASH_SECRET,
        "DATABASE_PATH": str(tmp_path / "heart.db"),
    }
    done = subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith("Error: Slack refused SLACK_APP_TOKEN (invalid_auth)")
    assert "Traceback" not in done.stderr
