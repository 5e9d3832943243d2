"""A keep-alive HTTP load generator in its own processes (used when ``wrk`` is missing,
and always for open-loop latency, which ``wrk`` cannot offer at a fixed rate).

``python -m bench.loadgen SPEC.json`` reads a spec, replays the pre-signed requests of
``requests_file`` (one per line: ``timestamp<TAB>signature<TAB>body``) against ``url``
and prints one JSON object with the counts, the latencies' percentiles, and the lines
that were acknowledged with a 2xx.

- ``closed``: ``connections`` connections, each sending its next request as soon as the
  last one is answered, for ``duration`` seconds; spread over ``processes`` processes so
  the generator is not held back by one interpreter lock.
- ``open``: requests are due at a fixed ``rate`` whatever the answers do; latency is
  counted from when a request was due, so a slow server cannot hide its queue
  (no coordinated omission).
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import queue
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Signed:
    """One pre-signed request."""

    stamp: str
    signature: str
    body: bytes

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": FORM, "X-Slack-Request-Timestamp": self.stamp, "X-Slack-Signature": self.signature}


def read_requests(path: Path) -> list[Signed]:
    """The pre-signed requests of a requests file."""
    signed = []
    for line in Path(path).read_text().splitlines():
        stamp, signature, body = line.split("\t", 2)
        signed.append(Signed(stamp, signature, body.encode()))
    return signed


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of ``values`` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


class Connection:
    """A keep-alive connection that reconnects after the server closes it."""

    def __init__(self, url: str):
        parsed = urlparse(url)
        self.host, self.port, self.path = parsed.hostname, parsed.port, parsed.path
        self._conn: http.client.HTTPConnection | None = None

    def post(self, request: Signed) -> int:
        """Send one request; its HTTP status, or 0 when the connection failed."""
        try:
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self._conn.request("POST", self.path, request.body, request.headers)
            response = self._conn.getresponse()
            response.read()
            if response.will_close:
                self.close()
            return response.status
        except (OSError, http.client.HTTPException):
            self.close()
            return 0

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# ------------------------------------------------------------------------ closed loop


def _closed_worker(spec: dict[str, Any], slots: list[int], results: multiprocessing.Queue) -> None:
    requests = read_requests(Path(spec["requests_file"]))
    total, distinct = spec["connections"], spec["distinct"]
    deadline = time.monotonic() + spec["duration"]
    out: list[tuple[int, int, float]] = []  # (line, status, seconds)
    lock = threading.Lock()
    exhausted = threading.Event()

    def run(slot: int) -> None:
        connection, mine, line = Connection(spec["url"]), [], slot
        while time.monotonic() < deadline:
            if line >= len(requests):
                if distinct:
                    exhausted.set()
                    break
                line %= len(requests)
            started = time.perf_counter()
            status = connection.post(requests[line])
            mine.append((line, status, time.perf_counter() - started))
            line += total
        connection.close()
        with lock:
            out.extend(mine)

    threads = [threading.Thread(target=run, args=(slot,)) for slot in slots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((out, exhausted.is_set()))


def closed_loop(spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``connections`` busy connections across ``processes`` processes."""
    processes = max(1, min(spec.get("processes", 2), spec["connections"]))
    results: multiprocessing.Queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_closed_worker, args=(spec, list(range(p, spec["connections"], processes)), results))
        for p in range(processes)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    collected, exhausted = [], False
    for _ in workers:
        part, ran_out = results.get()
        collected.extend(part)
        exhausted |= ran_out
    for worker in workers:
        worker.join()
    return _summary(collected, min(time.perf_counter() - started, spec["duration"]), exhausted)


# -------------------------------------------------------------------------- open loop


def open_loop(spec: dict[str, Any]) -> dict[str, Any]:
    """Offer ``rate`` requests a second for ``duration`` seconds, answered or not."""
    requests = read_requests(Path(spec["requests_file"]))
    rate, duration = spec["rate"], spec["duration"]
    count = int(rate * duration)
    if spec["distinct"] and count > len(requests):
        count = len(requests)
    due: queue.Queue[tuple[int, float] | None] = queue.Queue()
    out: list[tuple[int, int, float]] = []
    lock = threading.Lock()

    def sender() -> None:
        connection, mine = Connection(spec["url"]), []
        while (job := due.get()) is not None:
            line, due_at = job
            status = connection.post(requests[line % len(requests)])
            mine.append((line, status, time.perf_counter() - due_at))
        connection.close()
        with lock:
            out.extend(mine)

    senders = [threading.Thread(target=sender) for _ in range(spec.get("connections", 16))]
    for thread in senders:
        thread.start()
    start = time.perf_counter() + 0.05
    for line in range(count):
        due_at = start + line / rate
        pause = due_at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        due.put((line, due_at))
    for _ in senders:
        due.put(None)
    for thread in senders:
        thread.join()
    return _summary(out, time.perf_counter() - start, False)


def _summary(collected: list[tuple[int, int, float]], seconds: float, exhausted: bool) -> dict[str, Any]:
    ok = [(line, latency) for line, status, latency in collected if 200 <= status < 300]
    latencies = [latency * 1000 for _, latency in ok]
    return {
        "requests": len(collected),
        "ok": len(ok),
        "errors": len(collected) - len(ok),
        "seconds": seconds,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "ok_lines": sorted(line for line, _ in ok),
        "exhausted": exhausted,
    }


def main(argv: list[str]) -> None:
    spec = json.loads(Path(argv[0]).read_text())
    result = closed_loop(spec) if spec["mode"] == "closed" else open_loop(spec)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
