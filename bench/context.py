"""What every figure shares: the plan (full or quick), the local Slack, a scratch folder,
the load generator, and the app servers it starts."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.load import LoadGenerator
from bot.offline.localslack import LocalSlack
from bot.offline.server import BotServer

FLOOR_APP = ("-m", "bench.floor_app")  # Bolt's default mode: it polls every 10 ms for ack()
FAST_FLOOR_APP = ("-m", "bench.floor_app", "--fast")  # process_before_response=True, as heart-bot runs


@dataclass(frozen=True)
class Plan:
    """How big and how long each measurement is."""

    quick: bool
    runs: int  # each figure is the median of this many runs
    connections: int = 16
    seconds: float = 10.0  # closed-loop throughput run
    warmup_seconds: float = 2.0
    rate: float = 100.0  # offered requests a second for latency
    latency_seconds: float = 10.0
    startups: int = 5
    glossary_entries: int = 10_000
    glossary_queries: int = 1_000
    shareouts: int = 1_000_000
    events: int = 2_000_000
    report_repeats: int = 5
    subscribers: int = 1_000
    dm_rate: float = 50.0
    connection_members: int = 5_000
    connection_rate: float = 50.0  # conversations.open and chat.postMessage calls a second the local Slack allows
    slow_clients: int = 64  # availability: clients sending a byte a second...
    idle_clients: int = 64  # ...connections that send nothing...
    big_body_clients: int = 16  # ...and clients sending 10 MB bodies in a loop
    attack_seconds: float = 10.0

    @classmethod
    def full(cls) -> Plan:
        return cls(quick=False, runs=3)

    @classmethod
    def smoke(cls) -> Plan:
        """About a minute: every figure once, small and short (numbers are not comparable)."""
        return cls(
            quick=True,
            runs=1,
            seconds=3.0,
            warmup_seconds=1.0,
            latency_seconds=3.0,
            startups=1,
            glossary_queries=300,
            shareouts=50_000,
            events=100_000,
            report_repeats=2,
            subscribers=100,
            connection_members=400,
            slow_clients=16,
            idle_clients=16,
            big_body_clients=4,
            attack_seconds=3.0,
        )


@dataclass
class Bench:
    """One benchmark run's shared state."""

    plan: Plan
    slack: LocalSlack
    workdir: Path
    load: LoadGenerator
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    profiles: Path | None = None  # where to write py-spy flame graphs of the serving process, if wanted

    def note(self, figure: str, text: str) -> None:
        """Add a line under a figure's table."""
        self.notes[figure].append(text)

    def server(self, name: str, *, program: tuple[str, ...] | None = None, env: dict[str, str] | None = None) -> BotServer:
        """A server with its own fresh database, not started: heart-bot, or ``program`` (a floor app)."""
        folder = self.workdir / name
        folder.mkdir(parents=True, exist_ok=True)
        server = BotServer(self.slack, folder / "heart.db", env=env or {})
        if program:
            server.program = program
        return server

    @contextmanager
    def serving(
        self, name: str, *, program: tuple[str, ...] | None = None, env: dict[str, str] | None = None
    ) -> Iterator[BotServer]:
        """Start a server for the block, and stop it after."""
        server = self.server(name, program=program, env=env).start()
        try:
            yield server
        finally:
            server.stop()


def started_in(server: BotServer) -> float:
    """Start ``server`` and return the seconds until ``/healthz`` answered 200."""
    began = time.perf_counter()
    server.start()
    return time.perf_counter() - began


@contextmanager
def profiling(bench: Bench, server: BotServer, name: str, seconds: float) -> Iterator[None]:
    """Record a py-spy flame graph of the server for the block (when ``bench.profiles`` is set)."""
    if bench.profiles is None:
        yield
        return
    bench.profiles.mkdir(parents=True, exist_ok=True)
    output = bench.profiles / f"{name}.svg"
    spy = subprocess.Popen(
        [
            shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy",
            "record",
            "--pid",
            str(server.process.pid),
            "--duration",
            str(max(1, round(seconds))),
            "--nonblocking",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.wait(timeout=seconds + 30)


def resident_mb(server: BotServer) -> float:
    """Resident memory of the server's whole process tree (one process for heart-bot), in MB."""
    return sum(process.memory_info().rss for process in _process_tree(server)) / 1e6


IDLE_CPU_SECONDS = 0.02  # a server that used less CPU than this in IDLE_WINDOW seconds is idle
IDLE_WINDOW = 0.5
IDLE_TIMEOUT = 30.0


def idle_resident_mb(server: BotServer) -> float:
    """Resident memory of the server's process tree once it has gone idle, in MB.

    heart-bot answers ``/healthz`` as soon as its port is open, then builds its search indexes
    (the safety net's models and patterns, the glossary's) in the background. Read at once, its
    memory would be read before that build, or halfway through it, depending on the machine.
    """
    deadline = time.monotonic() + IDLE_TIMEOUT
    used = _cpu_seconds(server)
    while time.monotonic() < deadline:
        time.sleep(IDLE_WINDOW)
        now = _cpu_seconds(server)
        if now - used < IDLE_CPU_SECONDS:
            break
        used = now
    return resident_mb(server)


def _cpu_seconds(server: BotServer) -> float:
    return sum(sum(process.cpu_times()[:2]) for process in _process_tree(server))


def _process_tree(server: BotServer) -> list[psutil.Process]:
    root = psutil.Process(server.process.pid)
    return [root, *root.children(recursive=True)]
