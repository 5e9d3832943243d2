"""Waiting in tests for what the bot does in the background, and reading what it sent."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any


def eventually(probe: Callable[[], Any], timeout: float = 20.0, what: str = "it") -> Any:
    """Poll ``probe`` until it returns something truthy, and return that (events are written in the
    background); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f}s for {what}")
        time.sleep(0.05)


def text_of(payload: object) -> str:
    """A payload as JSON text (characters as they are), to look for words in."""
    return json.dumps(payload, ensure_ascii=False)
