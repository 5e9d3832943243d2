"""Driving the app from another process: pre-signed requests, ``wrk`` or the Python generator.

Slack signs each request with a timestamp that stays valid for five minutes, so a run's
requests are signed just before it starts and replayed from a file. Lookups may repeat
a body; share-outs never do (each line has its own trigger id, which the app uses to
save a request once).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.offline import slack_requests
from bot.offline.server import SIGNING_SECRET

REPLAY_SCRIPT = Path(__file__).with_name("replay.lua")
WRK_THREADS = 2


def write_requests(path: Path, bodies: Iterable[str]) -> Path:
    """Sign each body now, as Slack would, and write one request a line."""
    with path.open("w") as out:
        for body in bodies:
            headers = slack_requests.signed_headers(SIGNING_SECRET, body)
            out.write(f"{headers['X-Slack-Request-Timestamp']}\t{headers['X-Slack-Signature']}\t{body}\n")
    return path


@dataclass
class LoadResult:
    """What one load run saw. ``ok_lines`` lists the acknowledged lines when known."""

    requests: int
    ok: int
    errors: int
    seconds: float
    p50_ms: float | None
    p99_ms: float | None
    exhausted: bool = False  # a run needing distinct bodies ran out of them
    ok_lines: list[int] | None = field(default=None, repr=False)

    @property
    def throughput(self) -> float:
        """Acknowledged requests per second."""
        return self.ok / self.seconds if self.seconds else 0.0


class LoadGenerator:
    """Closed-loop throughput with ``wrk`` (or the Python generator); open-loop latency in Python."""

    def __init__(self, prefer: str = "auto"):
        wrk = shutil.which("wrk")
        if prefer == "wrk" and not wrk:
            raise RuntimeError("wrk is not installed (on Debian: apt-get install wrk)")
        self.wrk = wrk if prefer in ("auto", "wrk") else None

    @property
    def name(self) -> str:
        closed = "wrk (Lua replay of pre-signed requests)" if self.wrk else "Python keep-alive generator (2 processes)"
        return f"throughput: {closed}; latency: Python open-loop generator"

    def closed(self, url: str, requests_file: Path, *, connections: int, seconds: float) -> LoadResult:
        """Keep ``connections`` connections busy for ``seconds``."""
        if self.wrk:
            return self._wrk(url, requests_file, connections, seconds)
        return self._python(
            {
                "mode": "closed",
                "url": url,
                "requests_file": str(requests_file),
                "connections": connections,
                "duration": seconds,
                "processes": 2,
                "distinct": True,
            }
        )

    def open(self, url: str, requests_file: Path, *, rate: float, seconds: float) -> LoadResult:
        """Offer ``rate`` requests a second for ``seconds``, however slowly they are answered."""
        return self._python(
            {
                "mode": "open",
                "url": url,
                "requests_file": str(requests_file),
                "rate": rate,
                "duration": seconds,
                "connections": 16,
                "distinct": True,
            }
        )

    def _python(self, spec: dict) -> LoadResult:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(spec, handle)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "bench.loadgen", handle.name], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
            )
        finally:
            Path(handle.name).unlink()
        return LoadResult(**json.loads(done.stdout))

    def _wrk(self, url: str, requests_file: Path, connections: int, seconds: float) -> LoadResult:
        threads = min(WRK_THREADS, connections)
        done = subprocess.run(
            [
                self.wrk,
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{max(1, round(seconds))}s",  # wrk takes whole seconds
                "--timeout",
                "30s",
                "-s",
                str(REPLAY_SCRIPT),
                url,
                "--",
                str(requests_file),
                str(threads),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
        raw = json.loads(lines[-1])
        errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
        return LoadResult(
            requests=raw["requests"],
            ok=raw["requests"] - raw["status"] - raw["timeout"],
            errors=errors,
            seconds=raw["duration_us"] / 1e6,
            p50_ms=raw["p50_us"] / 1000,
            p99_ms=raw["p99_us"] / 1000,
            exhausted=raw["wrapped"] > 0,
        )
