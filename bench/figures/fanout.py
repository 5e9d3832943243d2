"""Figure 4, the reminder fan-out (measured once reminders exist)."""

from __future__ import annotations

from bench.context import Bench
from bench.results import Row, unavailable

FIGURE = "4. Reminder fan-out"


def run(bench: Bench) -> list[Row]:
    return [unavailable(FIGURE, "1,000 DM subscribers at 50 calls/s", "reminders have not landed")]
