"""Measure the glossary on the probe, per category and overall.

Run ``python -m tests.glossary_probe.report`` (``--content DIR`` for other content,
``--show wrong,missed`` to list those queries). Each query is looked up exactly as
``/glossary`` does, the safety net deciding whether it is about a crisis, and judged:

- *as meant*: answered outright with the meant entry (both entries of a comparison; for a
  word that means several entries, a choice offering all of them; for a term the glossary
  doesn't have, an honest "not yet");
- *suggested*: the meant entry only among the suggestions (or, for a term the glossary
  doesn't have, an honest "not sure" with suggestions);
- *wrong*: answered outright with another entry (or a guess for a word of several meanings);
- *missed*: neither.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.library.glossary import GlossaryIndex, Lookup, Outcome
from bot.runtime import load_content
from bot.safety import SafetyNet

HERE = Path(__file__).parent
PARTS = {"tuning": HERE / "tuning.tsv", "heldout": HERE / "heldout.tsv"}
NOT_IN_GLOSSARY = "-"
VERDICTS = ("as meant", "suggested", "wrong", "missed")


@dataclass(frozen=True)
class Probe:
    """One probe query: its category, the text, and the entry ids meant (empty: none)."""

    category: str
    query: str
    meant: frozenset[str]


@dataclass(frozen=True)
class Judged:
    """A probe query, what the glossary did with it, and the verdict."""

    probe: Probe
    lookup: Lookup
    verdict: str

    def describe(self) -> str:
        """One line for a listing: the query, what was meant and what came back."""
        found = self.lookup
        shown = ", ".join(e.id for e in found.answered or found.suggestions) or "-"
        meant = "|".join(sorted(self.probe.meant)) or NOT_IN_GLOSSARY
        return f"[{self.probe.category}] {self.probe.query!r}: meant {meant}; {found.outcome} {shown} ({found.confidence:.2f})"


def load(path: Path) -> list[Probe]:
    """The probe queries in a TSV file (``category``, ``query``, ``meant``; ``#`` lines are comments)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.reader(handle, delimiter="\t") if row and not row[0].startswith("#")]
    return [
        Probe(category, query, frozenset() if meant == NOT_IN_GLOSSARY else frozenset(meant.split("|")))
        for category, query, meant in rows
    ]


def judge(probe: Probe, lookup: Lookup) -> str:
    """The verdict on one lookup (see the module's docstring)."""
    answered = {e.id for e in lookup.answered}
    offered = {e.id for e in lookup.suggestions}
    if not probe.meant:
        return {Outcome.MISS: "as meant", Outcome.HIT: "wrong"}.get(lookup.outcome, "suggested")
    if lookup.outcome is Outcome.HIT:
        return "as meant" if probe.meant <= answered else "wrong"
    if len(probe.meant) > 1 and probe.meant <= offered:
        return "as meant"  # a word of several meanings, answered with a choice
    return "suggested" if probe.meant & offered else "missed"


def run(probes: Iterable[Probe], index: GlossaryIndex, net: SafetyNet) -> list[Judged]:
    """Look every probe query up as /glossary does and judge it."""
    judged = []
    for probe in probes:
        lookup = index.lookup(probe.query, crisis=net.is_crisis_topic(probe.query))
        judged.append(Judged(probe, lookup, judge(probe, lookup)))
    return judged


def shares(judged: Iterable[Judged]) -> dict[str, tuple[int, Counter[str]]]:
    """Per category (and ``overall``): the number of queries and the count of each verdict."""
    table: dict[str, Counter[str]] = {}
    for item in judged:
        for name in (item.probe.category, "overall"):
            table.setdefault(name, Counter())[item.verdict] += 1
    return {name: (sum(counts.values()), counts) for name, counts in table.items()}


def render(title: str, judged: list[Judged]) -> str:
    """A plain-text table of the shares, one row per category and one overall."""
    lines = [f"{title} ({len(judged)} queries)", f"{'category':<12}{'n':>5}" + "".join(f"{v:>12}" for v in VERDICTS)]
    table = shares(judged)
    for name in sorted(table, key=lambda n: (n == "overall", n)):
        total, counts = table[name]
        lines.append(f"{name:<12}{total:>5}" + "".join(f"{counts[v] / total:>12.1%}" for v in VERDICTS))
    return "\n".join(lines)


def measure(content: Path | None = None) -> dict[str, list[Judged]]:
    """Each part of the probe, judged against the content in ``content`` (default: content/)."""
    loaded = load_content(content or HERE.parents[1] / "content")
    index = GlossaryIndex(loaded.glossary)
    net = loaded.shareout.crisis
    return {part: run(load(path), index, net) for part, path in PARTS.items()}


def main() -> None:
    """Print the shares for the tuning and the held-out part."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, help="content folder (default: content/)")
    parser.add_argument("--show", default="", help="verdicts to list query by query, e.g. wrong,missed")
    parser.add_argument("--part", choices=sorted(PARTS), action="append", help="only this part (repeatable)")
    args = parser.parse_args()
    show = {v.strip() for v in args.show.split(",") if v.strip()}
    for part, judged in measure(args.content).items():
        if args.part and part not in args.part:
            continue
        print(render(f"Glossary probe, {part} part", judged))
        for item in judged:
            if item.verdict in show:
                print("  " + item.describe())
        print()


if __name__ == "__main__":
    main()
