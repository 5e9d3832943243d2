"""Figure 1, slash commands over HTTP, and figure 5's memory: heart-bot against a bare Bolt app.

Both apps run as the Procfile runs heart-bot (gunicorn, one worker, the same threads).
Throughput: ``connections`` busy keep-alive connections for ``seconds``. Latency: an
open-loop ``rate`` of requests a second, timed from when each was due. Runs alternate
between the floor and heart-bot so that noise on the machine falls on both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from bench.context import Bench, profiling, resident_mb
from bench.load import LoadResult, write_requests
from bench.results import Bar, Row
from bot.offline import slack_requests
from bot.offline.server import SIGNING_SECRET, BotServer, http

FIGURE = "1. Slash commands over HTTP"
PROCESS = "5. Process"
GLOSSARY_QUERY = "psychological first"  # answered by the fuzzy stage: no exact or typo match
GLOSSARY_ANSWER = "Psychological First Aid for Schools"
TIPSHEET_QUERY = "staff wellness"
TIPSHEET_ANSWER = "Staff Wellness and Compassionate Conversations"
SHAREOUT_TEXT = "reflection {tag}: a calm start to the week helped our team listen to each other"
THROUGHPUT_BAR = Bar(">=", 0.85, of="ratio", text=">= 0.85x floor")
P99_BAR = Bar("<=", 50.0, text="<= 50 ms")


@dataclass
class Target:
    """One command under load: how to make its i-th request, and what its answer must say."""

    name: str
    command: str
    text: Callable[[str], str]  # request tag -> command text
    answer: str = ""  # text the acknowledgement must contain
    stores_shareouts: bool = False
    floor: bool = False
    throughput: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def bodies(self, bench: Bench, prefix: str, count: int) -> list[str]:
        """``count`` request bodies; each carries a fresh trigger id, so each is a distinct request."""
        response_url = bench.slack.response_url("bench")
        return [
            slack_requests.command_body(
                self.command, self.text(f"{prefix}-{i}"), user_id=f"UBENCH{i % 500:04d}", response_url=response_url
            )
            for i in range(count)
        ]


TARGETS = (
    Target("Floor: bare Bolt, ack-only /ack", "/ack", lambda tag: "", floor=True),
    Target("/glossary fuzzy hit", "/glossary", lambda tag: GLOSSARY_QUERY, answer=GLOSSARY_ANSWER),
    Target("/tipsheet one sheet", "/tipsheet", lambda tag: TIPSHEET_QUERY, answer=TIPSHEET_ANSWER),
    Target(
        "/shareout quick path (distinct, all stored)",
        "/shareout",
        lambda tag: SHAREOUT_TEXT.format(tag=tag),
        answer="reflection",
        stores_shareouts=True,
    ),
)


def run(bench: Bench) -> list[Row]:
    plan = bench.plan
    targets = [Target(t.name, t.command, t.text, t.answer, t.stores_shareouts, t.floor) for t in TARGETS]
    with bench.serving("floor", floor=True) as floor, bench.serving("heart") as heart:
        servers = {True: floor, False: heart}
        idle = {True: resident_mb(floor), False: resident_mb(heart)}
        for target in targets:
            _check_answer(bench, servers[target.floor], target)
        # Enough distinct share-out bodies for the fastest the floor can go, with room to spare.
        floor_rate = _throughput_run(bench, floor, targets[0], "probe", plan.warmup_seconds).throughput
        distinct = int(max(floor_rate, 200) * plan.seconds * 1.5) + 1000
        for number in range(plan.runs):
            for target in targets:
                server = servers[target.floor]
                _throughput_run(bench, server, target, f"w{number}", plan.warmup_seconds, distinct)  # warm-up
                result = _throughput_run(bench, server, target, f"t{number}", plan.seconds, distinct)
                target.throughput.append(result.throughput)
            for target in targets:
                result = _latency_run(bench, servers[target.floor], target, f"l{number}")
                target.p50.append(result.p50_ms)
                target.p99.append(result.p99_ms)
        after = {True: resident_mb(floor), False: resident_mb(heart)}
    bench.note(
        FIGURE,
        f"Throughput: {plan.connections} keep-alive connections for {plan.seconds:g} s after a "
        f"{plan.warmup_seconds:g} s warm-up; latency: {plan.rate:g} requests/s offered open-loop for "
        f"{plan.latency_seconds:g} s, timed from when each request was due.",
    )
    bench.note(
        FIGURE,
        f"/glossary asks for `{GLOSSARY_QUERY}` (answered by the fuzzy stage: {GLOSSARY_ANSWER}); "
        f"/tipsheet opens `{TIPSHEET_QUERY}`; every /shareout body is distinct and is checked in the database.",
    )
    return _rows(targets) + _memory_rows(idle, after)


def _check_answer(bench: Bench, server: BotServer, target: Target) -> None:
    """Send one request and make sure the figure measures what its name says."""
    body = target.bodies(bench, "check", 1)[0]
    answer = http("POST", server.url + "/slack/events", body, slack_requests.signed_headers(SIGNING_SECRET, body))
    if answer.status != 200 or target.answer not in answer.body:
        raise RuntimeError(f"{target.name}: unexpected answer {answer.status} {answer.body[:300]}")


def _requests_file(bench: Bench, target: Target, tag: str, count: int) -> Path:
    path = bench.workdir / f"{target.command.strip('/')}-{tag}.requests"
    return write_requests(path, target.bodies(bench, tag, count))


def _throughput_run(
    bench: Bench, server: BotServer, target: Target, tag: str, seconds: float, distinct: int = 1000
) -> LoadResult:
    count = distinct if target.stores_shareouts else 64
    path = _requests_file(bench, target, tag, count)
    name = f"{target.command.strip('/')}-{tag}"
    with profiling(bench, server, name, seconds) if tag == "t0" else nullcontext():
        result = bench.load.closed(server.url + "/slack/events", path, connections=bench.plan.connections, seconds=seconds)
    _check(server, target, tag, result)
    path.unlink()
    return result


def _latency_run(bench: Bench, server: BotServer, target: Target, tag: str) -> LoadResult:
    count = int(bench.plan.rate * bench.plan.latency_seconds)
    path = _requests_file(bench, target, tag, count)
    result = bench.load.open(server.url + "/slack/events", path, rate=bench.plan.rate, seconds=bench.plan.latency_seconds)
    _check(server, target, tag, result)
    path.unlink()
    return result


def _check(server: BotServer, target: Target, tag: str, result: LoadResult) -> None:
    """Every request was answered; every acknowledged share-out is stored exactly once."""
    if target.stores_shareouts:
        _verify_stored(server, target, tag, result)
    elif result.errors:
        target.failures.append(f"{result.errors} of {result.requests} requests failed")


def _verify_stored(server: BotServer, target: Target, tag: str, result: LoadResult) -> None:
    """Every acknowledged share-out is in the database exactly once, and nothing is doubled."""
    prefix = target.text(f"{tag}-").split("-")[0] + "-"  # "reflection t0-"
    with sqlite3.connect(server.database_path) as db:
        texts = [row[0] for row in db.execute("select text from shareouts where text like ?", [prefix + "%"])]
    stored = set(texts)
    problems = []
    if len(texts) != len(stored):
        problems.append(f"{len(texts) - len(stored)} share-outs stored twice")
    if result.exhausted:
        problems.append("ran out of distinct bodies")
    if result.ok_lines is not None:
        missing = [line for line in result.ok_lines if target.text(f"{tag}-{line}") not in stored]
        if missing:
            problems.append(f"{len(missing)} acknowledged share-outs not stored")
    elif len(stored) < result.ok:
        problems.append(f"{result.ok - len(stored)} acknowledged share-outs not stored")
    if result.errors:
        problems.append(f"{result.errors} of {result.requests} requests failed")
    target.failures.extend(problems)


def _rows(targets: list[Target]) -> list[Row]:
    floor, *others = targets
    rows = [
        Row(FIGURE, f"{floor.name}: throughput", "req/s", floor.throughput),
        Row(FIGURE, f"{floor.name}: p50 at the offered rate", "ms", floor.p50),
        Row(FIGURE, f"{floor.name}: p99 at the offered rate", "ms", floor.p99, failure="; ".join(floor.failures)),
    ]
    for target in others:
        failure = "; ".join(dict.fromkeys(target.failures))
        rows += [
            Row(
                FIGURE,
                f"{target.name}: throughput",
                "req/s",
                target.throughput,
                floor.throughput,
                "bare Bolt",
                THROUGHPUT_BAR,
                failure=failure,
            ),
            Row(FIGURE, f"{target.name}: p50 at the offered rate", "ms", target.p50, floor.p50, "bare Bolt"),
            Row(FIGURE, f"{target.name}: p99 at the offered rate", "ms", target.p99, floor.p99, "bare Bolt", P99_BAR),
        ]
    return rows


def _memory_rows(idle: dict[bool, float], after: dict[bool, float]) -> list[Row]:
    return [
        Row(
            PROCESS,
            "Resident memory, idle (gunicorn arbiter + worker)",
            "MB",
            [idle[False]],
            [idle[True]],
            "bare Bolt",
            Bar("<=", 150.0, text="<= 150 MB"),
        ),
        Row(
            PROCESS,
            "Resident memory after the slash-command load",
            "MB",
            [after[False]],
            [after[True]],
            "bare Bolt",
            Bar("<=", 150.0, text="<= 150 MB"),
        ),
    ]
