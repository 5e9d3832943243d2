"""Clients that try to hold the bot up, in a process of their own (figure 7).

``python -m bench.attackers SPEC.json`` opens, against ``port`` on 127.0.0.1, for
``seconds``:

- ``slow`` connections that send the headers of a POST to /slack/events declaring a
  100,000-byte body, then one byte of it a second;
- ``idle`` connections that send nothing at all;
- ``big`` clients that each, in a loop, send an unsigned POST declaring a body of
  ``body_bytes`` and then the body itself, as fast as the server takes it.

It prints one JSON object: how many slow and idle connections were still open at the end,
and how many big requests were sent and how each ended.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

SLOW_BODY_BYTES = 100_000
CHUNK = 64 * 1024


def _head(length: int) -> bytes:
    return (
        "POST /slack/events HTTP/1.1\r\nHost: heart-bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=forged\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def _slow(port: int, deadline: float, open_at_end: list[bool]) -> None:
    try:
        with _connect(port) as sock:
            sock.sendall(_head(SLOW_BODY_BYTES))
            while time.monotonic() < deadline:
                sock.sendall(b"x")
                time.sleep(1.0)
            open_at_end.append(True)
    except OSError:
        open_at_end.append(False)


def _idle(port: int, deadline: float, open_at_end: list[bool]) -> None:
    try:
        with _connect(port) as sock:
            time.sleep(max(0.0, deadline - time.monotonic()))
            sock.setblocking(False)
            try:
                still_open = sock.recv(1) != b""  # b"": the server closed it
            except BlockingIOError:
                still_open = True  # nothing to read, and not closed
            open_at_end.append(still_open)
    except OSError:
        open_at_end.append(False)


def _big(port: int, deadline: float, body_bytes: int, outcomes: Counter, lock: threading.Lock) -> None:
    chunk = b"text=" + b"x" * (CHUNK - 5)
    while time.monotonic() < deadline:
        outcome = "whole body sent"
        try:
            with _connect(port) as sock:
                sock.sendall(_head(body_bytes))
                sent = 0
                try:
                    while sent < body_bytes:
                        sent += sock.send(chunk[: body_bytes - sent])
                except OSError:
                    outcome = "cut off by the server"
                sock.settimeout(2)
                try:
                    status = sock.recv(64).split(b" ", 2)[1].decode()
                    outcome = f"answered {status}"
                except (OSError, IndexError):
                    pass
        except OSError:
            outcome = "could not connect"
        with lock:
            outcomes[outcome] += 1


def attack(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the attack described by ``spec``; what happened."""
    port, deadline = spec["port"], time.monotonic() + spec["seconds"]
    slow_open: list[bool] = []
    idle_open: list[bool] = []
    outcomes: Counter = Counter()
    lock = threading.Lock()
    threads = [threading.Thread(target=_slow, args=(port, deadline, slow_open)) for _ in range(spec.get("slow", 0))]
    threads += [threading.Thread(target=_idle, args=(port, deadline, idle_open)) for _ in range(spec.get("idle", 0))]
    threads += [
        threading.Thread(target=_big, args=(port, deadline, spec.get("body_bytes", 10_000_000), outcomes, lock))
        for _ in range(spec.get("big", 0))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"slow_open": sum(slow_open), "idle_open": sum(idle_open), "big": dict(outcomes)}


if __name__ == "__main__":
    json.dump(attack(json.loads(Path(sys.argv[1]).read_text())), sys.stdout)
