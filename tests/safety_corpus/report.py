"""The safety net measured on its labelled corpus: recall and false alarms per category.

``python -m tests.safety_corpus.report [--rules-only]`` prints the tables that docs/SAFETY_NET.md quotes;
``tests/test_safety_corpus.py`` asserts on the same figures.
"""

from __future__ import annotations

import dataclasses
import functools
import sys

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.runtime import load_content
from bot.safety import Concern

CORPUS = Path(__file__).parent
PARTS = ("tuning", "heldout")  # heldout: never read while the rules were written


@dataclass(frozen=True)
class Case:
    """One labelled share-out."""

    part: str
    category: str
    alert: bool
    about: str  # self | other | none
    text: str


@dataclass(frozen=True)
class Tally:
    """How one category of one part fared."""

    category: str
    alert: bool
    cases: int
    right: int  # alerts heard, or quiet ones left quiet
    wrong_person: int  # alerts heard, but about the wrong person

    @property
    def rate(self) -> float:
        return self.right / self.cases if self.cases else 1.0


# libyaml's safe loader where PyYAML has it: the corpus's 1,600-odd files are read in about a
# second with it, and in sixteen with the pure-Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def cases(part: str) -> Iterator[Case]:
    """Every case of one part of the corpus, category by category."""
    yield from _read(part)


@functools.cache
def _read(part: str) -> tuple[Case, ...]:
    """One part's cases, read once a process (the corpus does not change while one runs)."""
    found = []
    for path in sorted((CORPUS / part).glob("*.yml")):
        data = yaml.load(path.read_text(), Loader=_LOADER)
        found += [Case(part, data["category"], data["alert"], case["about"], case["text"]) for case in data["cases"]]
    return tuple(found)


def tally(hears: Callable[[str], Concern | None], part: str) -> list[Tally]:
    """Each category's result on ``part``, its share-outs heard by ``hears`` (a safety net's)."""
    found: dict[str, list[int]] = {}
    kinds: dict[str, bool] = {}
    for case in cases(part):
        concern = hears(case.text)
        right = (concern is not None) == case.alert
        wrong_person = bool(case.alert and concern and concern.about.value != case.about)
        counts = found.setdefault(case.category, [0, 0, 0])
        counts[0] += 1
        counts[1] += right
        counts[2] += wrong_person
        kinds[case.category] = case.alert
    return [Tally(category, kinds[category], *found[category]) for category in sorted(found)]


def totals(tallies: list[Tally], alert: bool) -> tuple[int, int]:
    """(right, cases) over every alert (or quiet) category."""
    chosen = [t for t in tallies if t.alert is alert]
    return sum(t.right for t in chosen), sum(t.cases for t in chosen)


def table(tallies: list[Tally]) -> str:
    """A Markdown table of recall (alerts) and false alarms (quiet cases)."""
    lines = ["| category | cases | recall | false alarms | wrong person |", "| --- | ---: | ---: | ---: | ---: |"]
    for t in tallies:
        if t.alert:
            lines.append(f"| {t.category} | {t.cases} | {t.rate:.0%} ({t.right}) | | {t.wrong_person} |")
        else:
            lines.append(f"| {t.category} | {t.cases} | | {1 - t.rate:.0%} ({t.cases - t.right}) | |")
    heard, alerts = totals(tallies, True)
    quiet, calm = totals(tallies, False)
    lines.append(f"| **all** | {alerts + calm} | **{heard / alerts:.1%}** ({heard}/{alerts}) | **{1 - quiet / calm:.1%}** "
                 f"({calm - quiet}/{calm}) | {sum(t.wrong_person for t in tallies)} |")
    return "\n".join(lines)


def main() -> None:
    """Print both parts' tables; ``--rules-only`` leaves the word and whom models out."""
    net = load_content(Path("content")).shareout.crisis
    if "--rules-only" in sys.argv[1:]:
        net = dataclasses.replace(net, model=None, whom=None)
    for part in PARTS:
        print(f"\n### {part}\n\n{table(tally(net.hears, part))}")


if __name__ == "__main__":
    main()
