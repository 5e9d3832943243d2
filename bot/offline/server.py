"""The real bot in a separate process, started exactly as the Procfile starts it, serving a
:class:`~bot.offline.localslack.LocalSlack` instead of Slack, and talked to over HTTP with
requests signed the way Slack signs them.

The integration tests and the benchmarks both drive the bot through :class:`BotServer`; the
tokens and secrets below are the offline ones it is started with.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT
from bot.offline import slack_requests
from bot.offline.localslack import LocalSlack

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token-0123456789"
SHAREOUT_HASH_SECRET = "test-shareout-hash-secret-0123456789abcdef"


def free_port() -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    """An HTTP answer from the bot: status, raw body, and the body as JSON when it is."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    response_url: str = ""  # the response URL the request carried, if any

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body.strip().startswith("{") else {}

    @property
    def text(self) -> str:
        """Everything the member would read: fallback text and every block's text."""
        return blocks_text(self.json)


def blocks_text(message: dict[str, Any]) -> str:
    """All the text in a message or view, flattened (for assertions)."""
    return json.dumps(message, ensure_ascii=False)


def http(method: str, url: str, body: str | None = None, headers: dict[str, str] | None = None, timeout: float = 10) -> Answer:
    """One HTTP request; HTTP errors are answers too."""
    request = urllib.request.Request(url, data=body.encode() if body is not None else None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode(), dict(error.headers))


@dataclass
class BotServer:
    """The bot in its own process (``python -m bot serve``), on a free port."""

    local_slack: LocalSlack
    database_path: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    # What to run with this interpreter; the benchmarks serve their bare Bolt floor app the same way.
    program: tuple[str, ...] = ("-m", "bot", "serve")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> BotServer:
        """Start and wait until ``/healthz`` answers 200."""
        env = {
            **os.environ,
            "PORT": str(self.port),
            "DATABASE_PATH": str(self.database_path),
            "SLACK_API_URL": self.local_slack.api_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SHAREOUT_HASH_SECRET": SHAREOUT_HASH_SECRET,
            "SLACK_APP_TOKEN": "",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        self.log_path = self.log_path or self.database_path.with_suffix(f".{self.port}.log")
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the file
            self.process = subprocess.Popen(
                [sys.executable, *self.program],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the bot exited with {self.process.returncode}:\n{self.log()}")
            try:
                if http("GET", self.url + "/healthz", timeout=1).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"the bot did not become healthy:\n{self.log()}")

    def stop(self) -> None:
        """Stop gracefully (SIGTERM to the whole process group)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """Kill -9, as a crashing host would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log(self) -> str:
        """What the bot has logged so far."""
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    # ------------------------------------------------------------------ requests
    def post(
        self, body: str, content_type: str = slack_requests.FORM, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
    ) -> Answer:
        """POST a signed body to ``/slack/events``."""
        headers = slack_requests.signed_headers(secret, body, content_type, timestamp)
        return http("POST", self.url + "/slack/events", body, headers)

    def command(self, command: str, text: str = "", *, user: str = "UMEMBER1", channel: str = "C0HEART") -> Answer:
        """Send a slash command as ``user``."""
        response_url = self.local_slack.response_url()
        body = slack_requests.command_body(command, text, user_id=user, response_url=response_url, channel_id=channel)
        answer = self.post(body)
        answer.response_url = response_url
        return answer

    def click(self, action_id: str, value: str = "", *, user: str = "UMEMBER1", block_id: str = "b", **options: Any) -> Answer:
        """Press a button (or choose from a menu with ``selected=True``) as ``user``."""
        response_url = self.local_slack.response_url()
        body = slack_requests.block_actions_body(
            action_id, value, user_id=user, response_url=response_url, block_id=block_id, **options
        )
        answer = self.post(body)
        answer.response_url = response_url
        return answer

    def submit(self, callback_id: str, values: dict[str, dict[str, Any]], *, user: str = "UMEMBER1", **options: Any) -> Answer:
        """Submit a modal as ``user``."""
        return self.post(slack_requests.view_submission_body(callback_id, values, user_id=user, **options))

    def event(self, event: dict[str, Any], **options: Any) -> Answer:
        """Deliver an Events API callback."""
        return self.post(slack_requests.event_body(event, **options), "application/json")
