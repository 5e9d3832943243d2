"""`/healthz?verbose=1` says more on the bot's own host or with HEALTHZ_TOKEN, and nothing more to
anyone else; `LOG_FORMAT=json` makes every line of the log, the server's included, one JSON object."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.offline.server import BotServer, http

TOKEN = "healthz-token-0123456789"


@pytest.fixture(scope="module")
def server(local_slack, tmp_path_factory):
    env = {"LOG_FORMAT": "json", "HEALTHZ_TOKEN": TOKEN}
    bot = BotServer(local_slack, tmp_path_factory.mktemp("health") / "heart.db", env=env).start()
    yield bot
    bot.stop()


def test_verbose_from_this_host_says_what_is_alive(server):
    answer = http("GET", server.url + "/healthz?verbose=1")
    assert answer.status == 200
    details = answer.json
    assert details["status"] == "ok" and details["database_writable"] is True and details["scheduler_running"] is True
    assert datetime.fromisoformat(details["scheduler_next_run"]) > datetime.now(UTC)
    assert datetime.fromisoformat(details["slack_last_success"]) <= datetime.now(UTC)  # Bolt's auth.test at start


def test_through_a_proxy_only_the_token_gets_details(server):
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    assert http("GET", server.url + "/healthz?verbose=1", headers=forwarded).json == {"status": "ok"}
    wrong = {**forwarded, "Authorization": "Bearer not-the-token-at-all"}
    assert http("GET", server.url + "/healthz?verbose=1", headers=wrong).json == {"status": "ok"}
    right = {**forwarded, "Authorization": f"Bearer {TOKEN}"}
    assert http("GET", server.url + "/healthz?verbose=1", headers=right).json["database_writable"] is True
    assert http("GET", server.url + "/healthz").json == {"status": "ok"}  # plain as ever


def test_json_logs_are_one_object_a_line(server):
    server.command("/glossary", "burnout")
    lines = [line for line in server.log().splitlines() if line.strip()]
    assert len(lines) >= 3
    entries = [json.loads(line) for line in lines]  # every line, the server's start included
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any(entry["logger"] == "bot.web" and "serving Slack" in entry["message"] for entry in entries)
    assert any(entry["logger"].startswith("bot") for entry in entries)
