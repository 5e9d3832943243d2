"""What a benchmark measures: rows of samples, each with its floor and its bar."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    """How a row compares with its bar."""

    PASS = "PASS"
    MISS = "MISS"
    NONE = "—"  # no bar: the figure is shown for context
    UNAVAILABLE = "not available yet"
    FAILED = "FAILED"  # the run itself went wrong (a check failed)


@dataclass(frozen=True)
class Bar:
    """A bar a row must meet: on its value (``of="value"``) or on its ratio to the floor."""

    op: str  # "<=" or ">="
    limit: float
    of: str = "value"  # "value" or "ratio"
    text: str = ""  # how the bar reads in the table, e.g. ">= 0.85x floor"

    def met(self, value: float, ratio: float | None) -> bool:
        """True when ``value`` (or ``ratio``) is on the right side of the limit."""
        subject = ratio if self.of == "ratio" else value
        if subject is None:
            return False
        return subject <= self.limit if self.op == "<=" else subject >= self.limit

    def __str__(self) -> str:
        return self.text or f"{self.op} {self.limit:g}"


@dataclass
class Row:
    """One figure: several samples of one quantity, and optionally a floor and a bar.

    ``samples`` holds one value per run; the table shows their median, min and max.
    ``floor`` holds the floor's samples from the same run (its median is the divisor), unless
    ``ratios`` holds each sample's ratio to the floor run measured just before it (adjacent
    pairs, so that the machine's drift falls on both): then the ratio is their median.
    """

    figure: str  # the section, e.g. "1. Slash commands"
    name: str
    unit: str
    samples: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    floor_name: str = ""
    bar: Bar | None = None
    note: str = ""
    unavailable: str = ""  # why the figure cannot be measured yet
    failure: str = ""  # a check that failed while measuring (e.g. a lost share-out)
    ratios: list[float] = field(default_factory=list)  # per adjacent pair, when measured so

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def floor_median(self) -> float | None:
        return statistics.median(self.floor) if self.floor else None

    @property
    def ratio(self) -> float | None:
        """The median of the adjacent pairs' ratios, or else the median over the floor's median."""
        if self.ratios:
            return statistics.median(self.ratios)
        value, floor = self.median, self.floor_median
        if value is None or not floor:
            return None
        return value / floor

    @property
    def verdict(self) -> Verdict:
        if self.unavailable:
            return Verdict.UNAVAILABLE
        if self.failure:
            return Verdict.FAILED
        if self.bar is None or self.median is None:
            return Verdict.NONE
        return Verdict.PASS if self.bar.met(self.median, self.ratio) else Verdict.MISS


def unavailable(figure: str, name: str, why: str) -> Row:
    """A row for a figure whose feature has not landed yet."""
    return Row(figure, name, "", unavailable=why)
