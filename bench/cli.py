"""``python -m bench``: run the benchmarks and write docs/BENCHMARKS.md."""

from __future__ import annotations

import dataclasses
import subprocess
import tempfile
import time
import traceback
from pathlib import Path

import click

from bench import machine, report
from bench.context import Bench, Plan
from bench.figures import availability, commands, connections, fanout, glossary_search, process, reports
from bench.load import LoadGenerator
from bench.results import Row, Verdict
from bot.config import PROJECT_ROOT
from bot.offline.localslack import LocalSlack

# In the order they run; --only picks some.
FIGURES = {
    "process": process,
    "commands": commands,
    "glossary": glossary_search,
    "reports": reports,
    "fanout": fanout,
    "connections": connections,
    "availability": availability,
}
DOCUMENT = PROJECT_ROOT / "docs" / "BENCHMARKS.md"
SCRATCH = PROJECT_ROOT / "bench" / "out" / "BENCHMARKS.md"


@click.command()
@click.option("--quick", is_flag=True, help="A smoke run of about a minute: every figure once, small and short.")
@click.option("--only", multiple=True, type=click.Choice(list(FIGURES)), help="Run only this figure (repeatable).")
@click.option("--runs", type=click.IntRange(1, 20), help="Runs per figure (default: 3, or 1 with --quick).")
@click.option(
    "--load-generator",
    "generator",
    type=click.Choice(["auto", "wrk", "python"]),
    default="auto",
    show_default=True,
    help="Throughput load: wrk when installed (auto), or the Python generator.",
)
@click.option(
    "--profile",
    is_flag=True,
    help="Also record a py-spy flame graph of the serving process during each command's first throughput run "
    "(bench/out/profiles/*.svg; needs permission to trace processes).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the report (default: docs/BENCHMARKS.md for a full run, bench/out/ otherwise).",
)
def main(quick: bool, only: tuple[str, ...], runs: int | None, generator: str, profile: bool, output: Path | None) -> None:
    """Measure heart-bot's speed and scale against floors, and write the report.

    Exits non-zero when a figure could not be measured or a check failed (a lost or
    doubled share-out, a failed request); a missed speed bar is reported, not fatal.
    """
    plan = Plan.smoke() if quick else Plan.full()
    if runs:
        plan = dataclasses.replace(plan, runs=runs)
    names = [name for name in FIGURES if not only or name in only]
    output = output or (SCRATCH if quick or only else DOCUMENT)
    began = time.monotonic()
    rows: list[Row] = []
    with LocalSlack() as slack, tempfile.TemporaryDirectory(prefix="heart-bench-") as scratch:
        bench = Bench(
            plan, slack, Path(scratch), LoadGenerator(generator), profiles=SCRATCH.parent / "profiles" if profile else None
        )
        for name in names:
            click.echo(f"bench: {name}...", err=True)
            started = time.monotonic()
            rows += _measure(bench, name)
            click.echo(f"bench: {name} took {time.monotonic() - started:.0f} s", err=True)
    rows.sort(key=lambda row: row.figure)  # stable: each figure's rows stay in order
    settings = {
        "Mode": "quick smoke run (small and short: not comparable)" if quick else "full",
        "Runs per figure": str(plan.runs),
        "Load generators": bench.load.name,
        "Commit": _commit(),
        "Took": f"{time.monotonic() - began:.0f} s",
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report.render(rows, machine=machine.describe(), settings=settings, notes=bench.notes))
    for row in rows:
        click.echo(
            f"{row.verdict.value:>18}  {row.figure[:2]} {row.name}: {report.number(row.median, row.unit)}"
            f"{'  (' + report.ratio(row.ratio) + ' floor)' if row.ratio else ''}{'  ' + row.failure if row.failure else ''}"
        )
    click.echo(f"bench: wrote {output}", err=True)
    if any(row.verdict is Verdict.FAILED for row in rows):
        raise SystemExit(1)


def _measure(bench: Bench, name: str) -> list[Row]:
    """Run one figure; a crash becomes a failed row (and a non-zero exit), not a lost report."""
    module = FIGURES[name]
    try:
        return module.run(bench)
    except Exception as error:  # the report must still be written, with the reason
        traceback.print_exc()
        return [Row(module.FIGURE, f"{name} (did not complete)", "", failure=f"{type(error).__name__}: {error}"[:300])]


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()
