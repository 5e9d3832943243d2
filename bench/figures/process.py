"""Figure 5, the process: start-up to healthy, heart-bot against the bare Bolt app (the fast floor).

Each start is a new process on a new database, timed from launch until ``/healthz``
answers 200 (polled every 50 ms). Resident memory is measured with the slash-command
load (figure 1), before and after it.
"""

from __future__ import annotations

from bench.context import FAST_FLOOR_APP, Bench, started_in
from bench.results import Bar, Row

FIGURE = "5. Process"


def run(bench: Bench) -> list[Row]:
    heart, floor = [], []
    for number in range(bench.plan.startups):
        for samples, is_floor in ((floor, True), (heart, False)):
            name = f"start-{'floor' if is_floor else 'heart'}-{number}"
            server = bench.server(name, program=FAST_FLOOR_APP if is_floor else None)
            try:
                samples.append(started_in(server))
            finally:
                server.stop()
    bench.note(
        FIGURE,
        f"Start-up: {bench.plan.startups} starts each, new process and new database every time; "
        "memory: the whole process (heart-bot runs as one), before and after figure 1's load.",
    )
    return [Row(FIGURE, "Start-up to healthy", "s", heart, floor, "bare Bolt", Bar("<=", 0.6, text="<= 0.6 s"))]
