"""Figure 1, slash commands over HTTP, and figure 5's memory: heart-bot against two bare Bolt apps.

All three run as the Procfile runs heart-bot (one process, the same waitress configuration).
The floors are a bare Bolt app with one ack-only command, in Bolt's default mode (it polls
every 10 ms for ``ack()``) and with ``process_before_response=True`` (it answers when the
listener returns, as heart-bot does): the fast floor. Throughput: ``connections`` busy
keep-alive connections for ``seconds``; each of heart-bot's runs comes right after a run
of the fast floor, and its ratio is taken to that run (adjacent pairs), so that noise on
the machine falls on both. Latency: an open-loop ``rate`` of requests a second, timed from
when each was due.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from bench.context import FAST_FLOOR_APP, FLOOR_APP, Bench, idle_resident_mb, profiling, resident_mb
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
FAST_THROUGHPUT_BAR = Bar(">=", 0.85, of="ratio", text=">= 0.85x fast floor")
THROUGHPUT_BAR = Bar(">=", 0.85, of="ratio", text=">= 0.85x floor")
P50_BAR = Bar("<=", 4.0, text="<= 4 ms")
P99_BAR = Bar("<=", 10.0, text="<= 10 ms")
FAST_FLOOR_NAME = "bare Bolt, answering on return"
FLOOR_NAME = "bare Bolt, polling for ack"


@dataclass
class Target:
    """One command under load: how to make its i-th request, and what its answer must say."""

    name: str
    command: str
    text: Callable[[str], str]  # request tag -> command text
    answer: str = ""  # text the acknowledgement must contain
    stores_shareouts: bool = False
    program: tuple[str, ...] | None = None  # a floor app; None for heart-bot
    throughput: list[float] = field(default_factory=list, init=False)
    pair_ratios: list[float] = field(default_factory=list, init=False)  # to the fast floor run just before
    p50: list[float] = field(default_factory=list, init=False)
    p99: list[float] = field(default_factory=list, init=False)
    failures: list[str] = field(default_factory=list, init=False)

    def bodies(self, bench: Bench, prefix: str, count: int) -> list[str]:
        """``count`` request bodies; each carries a fresh trigger id, so each is a distinct request."""
        response_url = bench.slack.response_url("bench")
        return [
            slack_requests.command_body(
                self.command, self.text(f"{prefix}-{i}"), user_id=f"UBENCH{i % 500:04d}", response_url=response_url
            )
            for i in range(count)
        ]


FAST_FLOOR = Target(f"Fast floor: {FAST_FLOOR_NAME}, ack-only /ack", "/ack", lambda tag: "", program=FAST_FLOOR_APP)
POLLING_FLOOR = Target(f"Floor: {FLOOR_NAME}, ack-only /ack", "/ack", lambda tag: "", program=FLOOR_APP)
GLOSSARY = Target("/glossary fuzzy hit", "/glossary", lambda tag: GLOSSARY_QUERY, answer=GLOSSARY_ANSWER)
TIPSHEET = Target("/tipsheet one sheet", "/tipsheet", lambda tag: TIPSHEET_QUERY, answer=TIPSHEET_ANSWER)
SHAREOUT = Target(
    "/shareout quick path (distinct, all stored)",
    "/shareout",
    lambda tag: SHAREOUT_TEXT.format(tag=tag),
    answer="reflection",
    stores_shareouts=True,
)
TARGETS = (FAST_FLOOR, POLLING_FLOOR, GLOSSARY, TIPSHEET, SHAREOUT)


def run(bench: Bench) -> list[Row]:
    plan = bench.plan
    fast, polling, *commands = [dataclasses.replace(t) for t in TARGETS]  # fresh samples for this run
    with (
        bench.serving("fast-floor", program=FAST_FLOOR_APP) as fast_server,
        bench.serving("floor", program=FLOOR_APP) as polling_server,
        bench.serving("heart") as heart,
    ):
        servers = {FAST_FLOOR_APP: fast_server, FLOOR_APP: polling_server, None: heart}
        idle = {name: idle_resident_mb(server) for name, server in servers.items()}
        for target in (fast, polling, *commands):
            _check_answer(bench, servers[target.program], target)
        # Enough distinct share-out bodies for the fastest the floor can go, with room to spare.
        floor_rate = _throughput_run(bench, fast_server, fast, "probe", plan.warmup_seconds).throughput
        distinct = int(max(floor_rate, 200) * plan.seconds * 1.5) + 1000
        for number in range(plan.runs):
            _measure_throughput(bench, polling_server, polling, f"{number}", distinct)
            for target in commands:
                floor = _measure_throughput(bench, fast_server, fast, f"{number}{target.command.strip('/')}", distinct)
                mine = _measure_throughput(bench, heart, target, f"{number}", distinct)
                target.pair_ratios.append(mine / floor if floor else 0.0)
            for target in (fast, polling, *commands):
                result = _latency_run(bench, servers[target.program], target, f"l{number}")
                if result.p50_ms is None or result.p99_ms is None:
                    target.failures.append(f"no request of latency run {number + 1} was answered")
                    continue
                target.p50.append(result.p50_ms)
                target.p99.append(result.p99_ms)
        after = {name: resident_mb(server) for name, server in servers.items()}
    bench.note(
        FIGURE,
        f"Throughput: {plan.connections} keep-alive connections for {plan.seconds:g} s after a "
        f"{plan.warmup_seconds:g} s warm-up, each of heart-bot's runs right after a run of the fast floor; its ratio "
        "is the median of those adjacent pairs' ratios. Latency: "
        f"{plan.rate:g} requests/s offered open-loop for {plan.latency_seconds:g} s, timed from when each request was due.",
    )
    bench.note(
        FIGURE,
        f"Both floors are the same bare Bolt app (Bolt's Flask adapter, one ack-only command) on heart-bot's server "
        "configuration: the fast floor with process_before_response=True, as heart-bot runs; the other in Bolt's "
        "default mode, which polls every 10 ms for ack().",
    )
    bench.note(
        FIGURE,
        f"/glossary asks for `{GLOSSARY_QUERY}` every time (answered by the fuzzy stage: {GLOSSARY_ANSWER}; heart-bot "
        "remembers the answer to a query it has searched, so after the first request this measures the remembered "
        f"path; figure 2 times the search itself); /tipsheet opens `{TIPSHEET_QUERY}`; every /shareout body is "
        "distinct and is checked in the database.",
    )
    return _rows(fast, polling, commands) + _memory_rows(idle[None], idle[FAST_FLOOR_APP], after[None], after[FAST_FLOOR_APP])


def _measure_throughput(bench: Bench, server: BotServer, target: Target, tag: str, distinct: int) -> float:
    """A warm-up run, then a measured one; the measured throughput, also kept in ``target``."""
    _throughput_run(bench, server, target, f"w{tag}", bench.plan.warmup_seconds, distinct)
    result = _throughput_run(bench, server, target, f"t{tag}", bench.plan.seconds, distinct)
    target.throughput.append(result.throughput)
    return result.throughput


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


def _rows(fast: Target, polling: Target, commands: list[Target]) -> list[Row]:
    rows = []
    for floor in (fast, polling):
        rows += [
            Row(FIGURE, f"{floor.name}: throughput", "req/s", floor.throughput),
            Row(FIGURE, f"{floor.name}: p50 at the offered rate", "ms", floor.p50),
            Row(FIGURE, f"{floor.name}: p99 at the offered rate", "ms", floor.p99, failure="; ".join(floor.failures)),
        ]
    for target in commands:
        failure = "; ".join(dict.fromkeys(target.failures))
        rows += [
            Row(
                FIGURE,
                f"{target.name}: throughput",
                "req/s",
                target.throughput,
                fast.throughput,
                FAST_FLOOR_NAME,
                FAST_THROUGHPUT_BAR,
                failure=failure,
                ratios=target.pair_ratios,
            ),
            Row(
                FIGURE,
                f"{target.name}: throughput against the polling floor",
                "req/s",
                target.throughput,
                polling.throughput,
                FLOOR_NAME,
                THROUGHPUT_BAR,
            ),
            Row(FIGURE, f"{target.name}: p50 at the offered rate", "ms", target.p50, fast.p50, FAST_FLOOR_NAME, P50_BAR),
            Row(FIGURE, f"{target.name}: p99 at the offered rate", "ms", target.p99, fast.p99, FAST_FLOOR_NAME, P99_BAR),
        ]
    return rows


def _memory_rows(idle: float, idle_floor: float, after: float, after_floor: float) -> list[Row]:
    return [
        Row(
            PROCESS,
            "Resident memory, idle (the whole process)",
            "MB",
            [idle],
            [idle_floor],
            FAST_FLOOR_NAME,
            Bar("<=", 100.0, text="<= 100 MB"),
        ),
        Row(
            PROCESS,
            "Resident memory after the slash-command load",
            "MB",
            [after],
            [after_floor],
            FAST_FLOOR_NAME,
            Bar("<=", 150.0, text="<= 150 MB"),
        ),
    ]
