"""The reliability ledger: every fault, bad input class and attack the tests try, with how many
cases and the outcome they prove, declared beside the test that proves it.

A test names what it proves with :func:`proves`; ``docs/RELIABILITY.md`` is rendered from
those declarations (:func:`render`), and ``test_report.py`` fails when the committed file
differs, so the table cannot drift from the tests. A declared case count is checked by
the test itself (see :func:`ran`), so it cannot overstate what ran either.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
REPORT = ROOT / "docs" / "RELIABILITY.md"

AREAS = ("Fault", "Bad input", "Attack")


@dataclass(frozen=True)
class Row:
    """One line of the report: what was tried, how many cases, what was shown to hold."""

    area: str  # one of AREAS
    tried: str
    cases: int
    outcome: str
    test: str  # module.py::test_name
    line: int = 0  # where the test is, to list rows in the order of the files
    fixed: str = ""  # what the test found wrong in heart-bot, fixed since

    def markdown(self) -> str:
        cells = (_code(self.tried), f"{self.cases:,}", _code(self.outcome), f"`{self.test}`")
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _code(text: str) -> str:
    """Show Slack's control sequences (``<!channel>``) and escapes (``&lt;``) as code, not as HTML."""
    return re.sub(r"(<[^<>]+>|&lt;\S+?&gt;)", r"`\1`", text)


ROWS: list[Row] = []
F = TypeVar("F", bound=Callable[..., object])


def proves(area: str, tried: str, cases: int, outcome: str, *, fixed: str = "") -> Callable[[F], F]:
    """Declare that the decorated test tries ``tried`` in ``cases`` cases and shows ``outcome``
    (and, in ``fixed``, what it found wrong in heart-bot before it was fixed)."""
    if area not in AREAS:
        raise ValueError(f"area must be one of {AREAS}, not {area!r}")
    if cases < 1:
        raise ValueError("a row needs at least one case")

    def declare(test: F) -> F:
        module = test.__module__.rsplit(".", 1)[-1]
        ROWS.append(Row(area, tried, cases, outcome, f"{module}.py::{test.__name__}", test.__code__.co_firstlineno, fixed))
        return test

    return declare


def ran(counted: int, declared: int, what: str) -> None:
    """Fail unless at least the declared number of cases really ran."""
    assert counted >= declared, f"{what}: the report declares {declared:,} cases but only {counted:,} ran"


def reliability_modules() -> list[str]:
    """The reliability test modules, by import name."""
    return sorted(f"tests.reliability.{path.stem}" for path in HERE.glob("test_*.py"))


def collect() -> list[Row]:
    """Import every reliability test module and return the rows they declare, in a stable order."""
    for name in reliability_modules():
        importlib.import_module(name)
    unique = {(row.area, row.test, row.tried): row for row in ROWS}
    return sorted(unique.values(), key=lambda row: (AREAS.index(row.area), row.test.split("::")[0], row.line, row.tried))


INTRO = """\
# Reliability and security: what heart-bot survives

Every row below is a test in `tests/reliability/` that anyone can rerun with the README's test
command (`python -m pytest -n 2`). The tests start the real bot as the Procfile does, talk to it
over HTTP with requests signed as Slack signs them, and stand a local Slack Web API
(`bot/offline/localslack.py`) in for Slack, scripted to fail. This file is generated from the tests'
own declarations: `tests/reliability/test_report.py` fails if it differs from them, and
`HEART_WRITE_RELIABILITY=1 python -m pytest tests/reliability/test_report.py` rewrites it.
A declared number of cases is also checked by the test that declares it.
"""

HEADINGS = {
    "Fault": "## Faults",
    "Bad input": "## Bad input",
    "Attack": "## Attacks",
}


def render(rows: list[Row]) -> str:
    """The whole report as Markdown."""
    parts = [INTRO]
    for area in AREAS:
        mine = [row for row in rows if row.area == area]
        total = sum(row.cases for row in mine)
        parts.append(f"{HEADINGS[area]} ({len(mine)} kinds, {total:,} cases)\n")
        parts.append("| Tried | Cases | Outcome (asserted) | Test |\n| --- | ---: | --- | --- |")
        parts.extend(row.markdown() for row in mine)
        parts.append("")
    parts.append(f"Total: {len(rows)} kinds, {sum(row.cases for row in rows):,} cases.\n")
    found = [row for row in rows if row.fixed]
    if found:
        parts.append("## What the tests found, fixed since\n")
        parts.extend(f"- {_code(row.fixed)} (`{row.test}`)" for row in found)
        parts.append("")
    return "\n".join(parts)
