"""The safety net: spotting crisis words in a share-out, and the resources offered when they appear.

The phrase list lives in ``content/crisis.yml`` so coordinators can review it. Matching
is deliberately plain, so anyone can predict it: text and phrases are folded the same
way (case, accents, apostrophes and punctuation ignored), idioms from the ignore list
("killing it", "dying to try") are blanked out first, and then any phrase found as
whole words is a match. A match never escalates anything by itself; it only shows the
member the resources below and offers to let a coordinator know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.text import normalize

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")


def fold(text: str) -> str:
    """Fold text for phrase matching: ``I can't go on!`` -> ``i cant go on``.

    Apostrophes are dropped (so ``cant`` and ``can't`` meet); everything else is
    :func:`bot.text.normalize`.
    """
    return normalize(_APOSTROPHES.sub("", text))


def _whole_words(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern finding any of ``phrases`` (already folded) as whole words of folded text."""
    alternatives = sorted({p for p in phrases if p}, key=len, reverse=True)
    if not alternatives:
        return None
    return re.compile(r"(?<!\S)(?:" + "|".join(re.escape(p) for p in alternatives) + r")(?!\S)")


@dataclass(frozen=True)
class CrisisPhrases:
    """The reviewed phrase list and its ignore list of idioms."""

    phrases: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    _phrases: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)
    _ignore: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_phrases", _whole_words(fold(p) for p in self.phrases))
        object.__setattr__(self, "_ignore", _whole_words(fold(p) for p in self.ignore))

    def matches(self, text: str) -> bool:
        """True when ``text`` holds a crisis phrase outside the ignored idioms."""
        if self._phrases is None:
            return False
        folded = fold(text)
        if self._ignore is not None:
            # A marker that is no word keeps "dying to try" from leaving "dying" behind.
            folded = self._ignore.sub("|", folded)
        return self._phrases.search(folded) is not None


@dataclass(frozen=True)
class Resource:
    """One place to turn to in a crisis: its name and how to reach it, as plain text."""

    name: str
    how: str


# United States crisis lines, worded as their operators describe them. Checked against
# 988lifeline.org and crisistextline.org; change only after checking there again.
NOT_A_CRISIS_SERVICE = (
    "heart-bot and this community are peer support, not a crisis service, and nobody watches share-outs as they arrive."
)
# The one-line reminder shown wherever the bot mentions crisis help in passing.
IN_A_CRISIS = (
    "heart-bot is peer support, not a crisis service. In a crisis, call or text 988 (or chat at 988lifeline.org), "
    "text HOME to 741741, or call 911 in immediate danger."
)
RESOURCES = (
    Resource("988 Suicide & Crisis Lifeline", "call or text 988, or chat at 988lifeline.org (24/7, free, confidential)"),
    Resource("Crisis Text Line", "text HOME to 741741 (24/7, free)"),
    Resource("911", "call 911 if you or someone else is in immediate danger"),
)
