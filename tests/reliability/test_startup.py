"""Invalid configuration or content at start: ``python -m bot serve`` (as the Procfile runs it)
stops with one precise line naming what to fix, exits non-zero, and never half-starts: no port
is ever listened on, so no scheduler ever runs.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.offline.server import BOT_TOKEN, SHAREOUT_HASH_SECRET, SIGNING_SECRET, BotServer, free_port, http
from tests.reliability.ledger import proves, ran
from tests.support.harness import ROOT
from tests.support.startup import start_together

GOOD = {
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "SHAREOUT_HASH_SECRET": SHAREOUT_HASH_SECRET,
    "SLACK_APP_TOKEN": "",
    "SLACK_API_URL": "http://127.0.0.1:9/api/",
}

# variable: (value, what the one line must say)
BAD_CONFIGURATION = {
    "SLACK_BOT_TOKEN": ("", "SLACK_BOT_TOKEN is not set"),
    "SLACK_SIGNING_SECRET": ("", "SLACK_SIGNING_SECRET is not set"),
    "SHAREOUT_HASH_SECRET": ("short", "SHAREOUT_HASH_SECRET must be at least 32 characters"),
    "SLACK_APP_TOKEN": ("xoxb-not-an-app-token", "SLACK_APP_TOKEN must be an app-level token"),
    "SLACK_API_URL": ("ftp://slack.example", "SLACK_API_URL must be an http(s) URL"),
    "PORT": ("70000", "PORT must be a number from 1 to 65535"),
    "HEART_TIMEZONE": ("Mars/Olympus_Mons", "HEART_TIMEZONE must be an IANA time zone name"),
    "COORDINATOR_IDS": ("@dana", "COORDINATOR_IDS must be Slack member ids"),
    "COORDINATOR_GROUP": ("@coordinators", "COORDINATOR_GROUP must be a Slack user group id"),
    "PEERHOUR_CHANNEL": ("#peer-support", "PEERHOUR_CHANNEL must be a Slack channel id"),
    "REMINDER_DM_PER_SECOND": ("1000", "REMINDER_DM_PER_SECOND must be a number from 0.1 to 100"),
    "HEART_RECONCILE_SECONDS": ("0", "HEART_RECONCILE_SECONDS must be a whole number"),
    "HEART_HEARTBEAT_SECONDS": ("0", "HEART_HEARTBEAT_SECONDS must be a number of seconds from 0.1 to 60"),
    "CONNECTIONS_PER_MINUTE": ("0", "CONNECTIONS_PER_MINUTE must be a number from 1 to 6000"),
    "SHAREOUT_RETENTION_DAYS": ("-3", "SHAREOUT_RETENTION_DAYS must be a whole number of days"),
    "SMALL_COUNT_THRESHOLD": ("0", "SMALL_COUNT_THRESHOLD must be a whole number from 1 to 100"),
    "LOG_LEVEL": ("LOUD", "LOG_LEVEL must be one of"),
    "CONTENT_DIR": ("/nonexistent/content", "the content folder does not exist"),
}


def _replace(path: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(content: Path) -> None:
        file = content / path
        text = file.read_text()
        assert old in text, f"{path} no longer holds {old!r}"
        file.write_text(text.replace(old, new, 1))

    return edit


def _write(path: str, text: str) -> Callable[[Path], None]:
    return lambda content: (content / path).write_text(text)


# what breaks the content: (how, what the one line must name)
BAD_CONTENT = {
    "a glossary file that is not YAML": (
        _write("glossary/school-systems.yml", "- term: [unclosed\n"),
        "glossary/school-systems.yml",
    ),
    "a glossary entry without its definition": (
        _replace("glossary/school-systems.yml", "  definition: >-\n", "  definitio: >-\n"),
        "glossary/school-systems.yml",
    ),
    "a related term that does not exist": (
        _replace("glossary/school-systems.yml", "related: [Multi-tiered", "related: [No such term, Multi-tiered"),
        "No such term",
    ),
    "a tip sheet without a title": (_replace("tipsheets/staff-wellness.md", "title: ", "titel: "), "tipsheets/staff-wellness.md"),
    "a session series in a time zone that does not exist": (
        _replace("sessions.yml", "timezone: America/New_York", "timezone: America/Springfield"),
        "sessions.yml",
    ),
    "a session series repeating in a way there is none": (
        _replace("sessions.yml", "repeat: monthly", "repeat: fortnightly-ish"),
        "sessions.yml",
    ),
    "the crisis phrases missing": (_write("crisis.yml", "reviewed: 2026-11-28\n"), "crisis.yml"),
    "the share-out choices not a mapping": (_write("shareout.yml", "- just a list\n"), "shareout.yml"),
    "a database path that is a folder": (None, "DATABASE_PATH"),
    "a database file that is not a database": (None, "DATABASE_PATH"),
}


def serve(env: dict[str, str], timeout: float = 30) -> tuple[int, str, bool]:
    """Run ``python -m bot serve`` until it exits: its code, its output, and whether its port was
    ever open meanwhile (checked continuously)."""
    port = free_port()
    environment = {**os.environ, **GOOD, "PORT": str(port), "PYTHONUNBUFFERED": "1", **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    listened = False
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.05)
            listened |= probe.connect_ex(("127.0.0.1", port)) == 0
        time.sleep(0.01)
    if process.poll() is None:
        process.kill()
    output = process.communicate()[0].decode(errors="replace")
    return process.returncode, output, listened


# Content problems are listed all at once, one a line, each naming its file (and entry).
CONTENT_PROBLEM = re.compile(r"^(Error: )?[\w./-]+\.(yml|md): \S")


def assert_refused(code: int, output: str, listened: bool, expected: str) -> None:
    lines = [line for line in output.splitlines() if line.strip()]
    assert code not in (0, None), output
    assert not listened, "the port was open: the bot half-started"
    assert "Traceback" not in output and "serving Slack on port" not in output, output
    assert lines[0].startswith("Error: ") and expected in output, output
    assert len(lines) == 1 or all(CONTENT_PROBLEM.match(line) for line in lines), output


@pytest.mark.parametrize("variable", list(BAD_CONFIGURATION))
@proves(
    "Fault",
    f"Invalid configuration at start: each of the {len(BAD_CONFIGURATION)} variables missing or malformed (tokens, "
    "secrets, URL, port, time zone, member, group and channel ids, rates, intervals, days, thresholds, log level, content "
    "folder)",
    len(BAD_CONFIGURATION),
    "exit code 1 and one line naming the variable and what to do; no traceback; the port never opened",
)
def test_invalid_configuration_stops_the_start_with_one_precise_line(variable, tmp_path):
    value, expected = BAD_CONFIGURATION[variable]
    env = {"DATABASE_PATH": str(tmp_path / "heart.db"), variable: value}
    if variable == "SLACK_APP_TOKEN":
        env["SLACK_SIGNING_SECRET"] = ""
    assert_refused(*serve(env), expected)


@pytest.mark.parametrize("breakage", list(BAD_CONTENT))
@proves(
    "Fault",
    "Invalid content or database at start: a glossary file that is not YAML, an entry without definition, an unknown "
    "related term, a tip sheet without title, a series in a time zone or repeat that does not exist, no crisis "
    "phrases, share-out choices of the wrong shape, a database path that is a folder or not a database",
    len(BAD_CONTENT),
    "exit code 1 and one line naming the file (and entry) or DATABASE_PATH; no traceback; the port never opened",
    fixed="A DATABASE_PATH that cannot be used was found only in gunicorn's worker, after the port was bound, as a traceback.",
)
def test_invalid_content_or_database_stops_the_start_with_one_precise_line(breakage, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    database = tmp_path / "heart.db"
    edit, expected = BAD_CONTENT[breakage]
    if edit is not None:
        edit(content)
    elif "folder" in breakage:
        database.mkdir()
    else:
        database.write_text("these are notes, not a SQLite database\n" * 20)
    assert_refused(*serve({"CONTENT_DIR": str(content), "DATABASE_PATH": str(database)}), expected)


# ----------------------------------------------------------------------------- starting together

ROUNDS = 20


@proves(
    "Fault",
    f"Two processes started at the same instant on a new DATABASE_PATH (two dynos at once, a rolling deploy): "
    f"{ROUNDS} times serve's start-up (the database check, the core, the listeners, the scheduler) in two processes "
    "released together, then two `python -m bot serve` started together",
    ROUNDS + 1,
    "both serve every time (/healthz 200)",
    fixed=(
        'One of the two stopped with "database is locked" or "table ... already exists", and its message blamed '
        'the file ("point it at a writable SQLite file").'
    ),
)
def test_two_processes_started_together_on_a_new_database_both_serve(local_slack, tmp_path):
    refused = []
    for round_ in range(ROUNDS):
        database = tmp_path / f"round-{round_}" / "heart.db"
        answers = start_together(database, local_slack.api_url)
        if answers != ["serving", "serving"]:
            refused.append((round_, answers))
    assert refused == []
    (tmp_path / "served").mkdir()
    bots = [BotServer(local_slack, tmp_path / "served" / "heart.db") for _ in range(2)]
    started = [threading.Thread(target=bot.start) for bot in bots]
    try:
        for thread in started:
            thread.start()
        for thread in started:
            thread.join(60)
        assert [bot.process.poll() for bot in bots] == [None, None], [bot.log() for bot in bots]
        assert [http("GET", bot.url + "/healthz").status for bot in bots] == [200, 200]
    finally:
        for bot in bots:
            bot.stop()
    ran(ROUNDS + 1, ROUNDS + 1, "rounds")
