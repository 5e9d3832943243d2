"""Figure 3, coordinator reports at scale: 1,000,000 share-outs and 2,000,000 events.

The community is generated straight into SQLite through the features' own migrations
(:mod:`bench.community`). The report is computed in process, as ``/heart report`` does,
for the periods coordinators ask for; the floor is one indexed count of the period's
share-outs. The CLI is timed end to end (a new process), against the floor of a CLI
that only prints its version.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime

from bench.context import Bench
from bench.results import Bar, Row, unavailable
from bot.config import PROJECT_ROOT, Settings
from bot.engagement.periods import parse_period
from bot.engagement.kept import report_for
from bot.runtime import build_heart

FIGURE = "3. Coordinator reports"
PERIODS = ("last 30 days", "last month", "last 365 days")  # the default first


def run(bench: Bench) -> list[Row]:
    from bench.community import build

    plan = bench.plan
    community = build(bench.workdir / "community.db", shareouts=plan.shareouts, event_count=plan.events)
    bench.note(
        FIGURE,
        f"Generated {community.shareouts:,} share-outs, {community.events:,} events and "
        f"{community.occurrences:,} sessions over two years in {community.seconds:.0f} s, through the features' own "
        "migrations; the report is timed in process, as /heart report computes it, the CLI as a new process.",
    )
    settings = Settings(database_path=community.path, log_level="WARNING")
    heart = build_heart(settings)
    rows = []
    try:
        for period in PERIODS:
            timed, floor = [], []
            for _ in range(plan.report_repeats):
                timed.append(_seconds(lambda period=period: report_for(heart.store, heart.settings, heart.labels, period)))
                floor.append(_seconds(lambda period=period: _count(heart, period)))
            rows.append(
                Row(
                    FIGURE,
                    f"Full engagement report, {period}",
                    "s",
                    timed,
                    floor,
                    "indexed count",
                    Bar("<=", 0.5, text="<= 0.5 s"),
                )
            )
    finally:
        heart.close()
    rows += _cli_rows(bench, community.path)
    return rows


def _seconds(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _count(heart, text: str) -> int:
    period = parse_period(text, datetime.now(UTC), heart.settings.timezone, {})
    return heart.store.db.execute(
        "select count(*) from shareouts where created_at >= ? and created_at < ?", [period.start_ts, period.end_ts]
    ).fetchone()[0]


def _cli_rows(bench: Bench, database) -> list[Row]:
    report = [sys.executable, "-m", "bot", "report", "--db", str(database)]
    if subprocess.run([sys.executable, "-m", "bot", "report", "--help"], cwd=PROJECT_ROOT, capture_output=True).returncode:
        return [unavailable(FIGURE, "CLI report end to end", "`python -m bot report` does not exist yet")]
    timed, floor = [], []
    for _ in range(bench.plan.report_repeats):
        timed.append(_seconds(lambda: subprocess.run(report, cwd=PROJECT_ROOT, capture_output=True, check=True)))
        floor.append(
            _seconds(
                lambda: subprocess.run(
                    [sys.executable, "-m", "bot", "--version"], cwd=PROJECT_ROOT, capture_output=True, check=True
                )
            )
        )
    return [
        Row(
            FIGURE,
            "CLI `python -m bot report` (last 30 days), end to end",
            "s",
            timed,
            floor,
            "`python -m bot --version`",
            Bar("<=", 2.0, text="<= 2 s"),
        )
    ]
