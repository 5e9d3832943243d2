"""Figure 7, availability: Slack's requests and the health check stay quick while other clients
send slowly, hold connections idle, or send bodies far over the size cap.

heart-bot runs as the Procfile runs it. A probe offers ``probe_rate`` requests a second,
alternating ``GET /healthz`` and a signed ``/glossary`` lookup, each timed from when it was
due, for ``attack_seconds``: first with nobody else connected (the floor), then while
:mod:`bench.attackers`, in a process of its own, holds ``slow_clients`` connections that
send a byte a second and ``idle_clients`` that send nothing, then while
``big_body_clients`` clients send unsigned 10 MB bodies in a loop (resident memory sampled
meanwhile).
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.context import Bench, idle_resident_mb, resident_mb
from bench.figures.commands import GLOSSARY
from bench.results import Bar, Row
from bot.config import PROJECT_ROOT
from bot.offline import slack_requests
from bot.offline.server import SIGNING_SECRET, BotServer, http

FIGURE = "7. Availability under slow, idle and oversized requests"
PROBE_RATE = 20.0  # requests a second, half /healthz and half /glossary
PROBE_SENDERS = 8
BIG_BODY_BYTES = 10_000_000


@dataclass
class Probe:
    """Latencies (ms) of the probe's requests, by kind, and the failures."""

    healthz: list[float] = field(default_factory=list)
    glossary: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def run(bench: Bench) -> list[Row]:
    plan = bench.plan
    quiet, held, flooded = Probe(), Probe(), Probe()
    peaks, idle_rss, attacks = [], [], []
    with bench.serving("availability") as server:
        for _ in range(plan.runs):
            idle_rss.append(idle_resident_mb(server))
            _probe(bench, server, quiet)
            spec = {"port": server.port, "slow": plan.slow_clients, "idle": plan.idle_clients, "seconds": plan.attack_seconds + 2}
            attacks.append(_under_attack(bench, server, spec, held))
            spec = {"port": server.port, "big": plan.big_body_clients, "body_bytes": BIG_BODY_BYTES, "seconds": plan.attack_seconds}
            peak: list[float] = []
            attacks.append(_under_attack(bench, server, spec, flooded, peak))
            peaks.append(max(peak))
    held_name = f"{plan.slow_clients} slow clients and {plan.idle_clients} idle connections"
    flood_name = f"{plan.big_body_clients} clients sending 10 MB bodies in a loop"
    failure = "; ".join(dict.fromkeys(quiet.failures + held.failures + flooded.failures))
    slow_open = [attack["slow_open"] for attack in attacks if attack.get("big") == {}]  # the slow-and-idle attacks
    outcomes: dict[str, int] = {}
    for attack in attacks:
        for outcome, count in attack.get("big", {}).items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    bench.note(
        FIGURE,
        f"A probe offers {PROBE_RATE:g} requests a second for {plan.attack_seconds:g} s, alternating GET /healthz and a "
        "signed /glossary lookup, each timed from when it was due: first with no other client (the floor), then during "
        "each attack, run from a process of its own.",
    )
    bench.note(
        FIGURE,
        f"Slow clients declare a 100,000-byte body and send a byte a second; at the end of each attack "
        f"{min(slow_open, default=0)} to {max(slow_open, default=0)} of {plan.slow_clients} were still connected "
        "(waited for, not dropped). The 10 MB senders' requests ended: "
        + (", ".join(f"{outcome} {count:,}" for outcome, count in sorted(outcomes.items())) or "none")
        + ".",
    )
    stats = [
        (held_name, "/healthz p99", held.healthz, quiet.healthz, 0.99, Bar("<=", 100.0, text="< 100 ms")),
        (held_name, "signed /glossary p99", held.glossary, quiet.glossary, 0.99, Bar("<=", 100.0, text="< 100 ms")),
        (flood_name, "/healthz p99", flooded.healthz, quiet.healthz, 0.99, None),
        (flood_name, "signed /glossary, slowest", flooded.glossary, quiet.glossary, 1.0, Bar("<=", 1000.0, text="< 1 s")),
    ]
    rows = [
        Row(
            FIGURE,
            f"With {during}: {what}",
            "ms",
            [percentile(samples, fraction) or 0.0],
            [percentile(floor, fraction) or 0.0],
            "no other client",
            bar,
            failure=failure,
        )
        for during, what, samples, floor, fraction, bar in stats
    ]
    rows.append(
        Row(
            FIGURE,
            f"With {flood_name}: resident memory, peak",
            "MB",
            peaks,
            idle_rss,
            "idle",
            Bar("<=", 200.0, text="< 200 MB"),
        )
    )
    return rows


def _under_attack(
    bench: Bench, server: BotServer, spec: dict[str, Any], probe: Probe, rss: list[float] | None = None
) -> dict[str, Any]:
    """Start the attackers, probe while they attack (sampling memory into ``rss``), and return what they saw."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(spec, handle)
    attackers = subprocess.Popen(
        [sys.executable, "-m", "bench.attackers", handle.name], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        time.sleep(1.0)  # let every attacker connect
        sampling = threading.Event()
        sampler = threading.Thread(target=_sample_memory, args=(server, rss, sampling)) if rss is not None else None
        if sampler:
            sampler.start()
        _probe(bench, server, probe)
        sampling.set()
        if sampler:
            sampler.join()
        out, _ = attackers.communicate(timeout=spec["seconds"] + 60)
    finally:
        if attackers.poll() is None:
            attackers.kill()
        Path(handle.name).unlink()
    return json.loads(out)


def _sample_memory(server: BotServer, into: list[float], stop: threading.Event) -> None:
    while not stop.is_set():
        into.append(resident_mb(server))
        stop.wait(0.2)


def _probe(bench: Bench, server: BotServer, probe: Probe) -> None:
    """Offer the probe's requests at a fixed rate for ``attack_seconds``, however slowly they are answered."""
    count = int(PROBE_RATE * bench.plan.attack_seconds)
    bodies = GLOSSARY.bodies(bench, "probe", (count + 1) // 2)
    due: queue.Queue[tuple[int, float] | None] = queue.Queue()
    lock = threading.Lock()

    def sender() -> None:
        while (job := due.get()) is not None:
            number, due_at = job
            try:
                if number % 2:
                    body = bodies[number // 2]
                    headers = slack_requests.signed_headers(SIGNING_SECRET, body)
                    answer = http("POST", server.url + "/slack/events", body, headers, timeout=30)
                    ok = answer.status == 200 and GLOSSARY.answer in answer.body
                else:
                    ok = http("GET", server.url + "/healthz", timeout=30).status == 200
            except OSError as error:
                ok = False
                with lock:
                    probe.failures.append(f"probe request failed: {type(error).__name__}")
            elapsed = (time.perf_counter() - due_at) * 1000
            with lock:
                if not ok:
                    probe.failures.append("a probe request was not answered as expected")
                (probe.glossary if number % 2 else probe.healthz).append(elapsed)

    senders = [threading.Thread(target=sender) for _ in range(PROBE_SENDERS)]
    for thread in senders:
        thread.start()
    start = time.perf_counter() + 0.05
    for number in range(count):
        due_at = start + number / PROBE_RATE
        if (pause := due_at - time.perf_counter()) > 0:
            time.sleep(pause)
        due.put((number, due_at))
    for _ in senders:
        due.put(None)
    for thread in senders:
        thread.join()
