"""Figure 3, coordinator reports at scale (measured once the report CLI exists)."""

from __future__ import annotations

from bench.context import Bench
from bench.results import Row, unavailable

FIGURE = "3. Coordinator reports"


def run(bench: Bench) -> list[Row]:
    return [unavailable(FIGURE, "Full engagement report", "not yet")]
