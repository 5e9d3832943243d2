"""Glossary search: exact, then typo-tolerant, then inside definitions.

The index is built once from the content. A lookup tries, in order:

1. the normalized query against every term and alias (case, punctuation, hyphens and
   plurals ignored), then the same with spaces removed (``traumainformed care``);
2. a typo match: Damerau-Levenshtein distance (a swapped pair counts as one edit) small
   for the query's length and unique among entries -> the answer;
3. a fuzzy match (rapidfuzz's WRatio, which also scores partial words) that is clearly
   ahead of the next entry -> the answer; otherwise up to five suggestions;
4. words of the query found in definitions -> suggestions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from bot.content import Category, GlossaryEntry
from bot.text import normalize

MAX_SUGGESTIONS = 5
SUGGEST_CUTOFF = 60.0  # WRatio below this is noise
CLEAR_WINNER = 90.0  # WRatio at or above this answers outright...
CLEAR_MARGIN = 6.0  # ...when the next entry trails by at least this much


class Outcome(StrEnum):
    """How a lookup ended."""

    HIT = "hit"  # one entry answers the query
    SUGGEST = "suggest"  # several candidates: "Did you mean"
    MISS = "miss"  # nothing close


@dataclass(frozen=True)
class Lookup:
    """The result of a glossary lookup. ``query`` is the normalized query."""

    query: str
    outcome: Outcome
    entry: GlossaryEntry | None = None
    suggestions: tuple[GlossaryEntry, ...] = field(default=())
    in_definitions: bool = False  # suggestions came from searching definitions


def allowed_edits(length: int) -> int:
    """How many typos a query of ``length`` characters may carry and still answer outright."""
    if length < 4:
        return 0
    if length < 8:
        return 1
    if length < 16:
        return 2
    return 3


class GlossaryIndex:
    """Search structure over glossary entries, built once and read by any thread."""

    def __init__(self, entries: Iterable[GlossaryEntry]):
        self.entries: tuple[GlossaryEntry, ...] = tuple(sorted(entries, key=lambda e: e.term.casefold()))
        self.by_id: dict[str, GlossaryEntry] = {e.id: e for e in self.entries}
        self._exact: dict[str, str] = {}
        self._compact: dict[str, str] = {}
        keys: list[str] = []
        owners: list[str] = []
        for entry in self.entries:
            for text in (entry.term, *entry.aliases):
                key = normalize(text)
                self._exact.setdefault(key, entry.id)
                self._compact.setdefault(key.replace(" ", ""), entry.id)
                keys.append(key)
                owners.append(entry.id)
        self._keys = keys
        self._owners = owners
        self._definitions = [(entry.id, set(normalize(entry.definition).split())) for entry in self.entries]

    def get(self, entry_id: str) -> GlossaryEntry | None:
        """The entry with this id, if any."""
        return self.by_id.get(entry_id)

    def in_category(self, category: str | None) -> list[GlossaryEntry]:
        """Entries of one category (all entries for ``None``), alphabetically."""
        return [e for e in self.entries if category is None or e.category == category]

    def lookup(self, query: str) -> Lookup:
        """Find the entry a member means by ``query``."""
        key = normalize(query)
        if not key:
            return Lookup(key, Outcome.MISS)
        entry_id = self._exact.get(key) or self._compact.get(key.replace(" ", ""))
        if entry_id:
            return Lookup(key, Outcome.HIT, self.by_id[entry_id])
        typo = self._typo_match(key)
        if typo:
            return Lookup(key, Outcome.HIT, self.by_id[typo])
        ranked = self._fuzzy_ranked(key)
        if ranked:
            (best, best_score), *rest = ranked
            runner_up = rest[0][1] if rest else 0.0
            if best_score >= CLEAR_WINNER and best_score - runner_up >= CLEAR_MARGIN:
                return Lookup(key, Outcome.HIT, self.by_id[best])
            return Lookup(key, Outcome.SUGGEST, suggestions=tuple(self.by_id[i] for i, _ in ranked))
        in_definitions = self._definition_matches(key)
        if in_definitions:
            return Lookup(key, Outcome.SUGGEST, suggestions=in_definitions, in_definitions=True)
        return Lookup(key, Outcome.MISS)

    def _typo_match(self, key: str) -> str | None:
        """The one entry within a few edits of ``key``, or None if none or several tie."""
        edits = allowed_edits(len(key))
        if not edits:
            return None
        matches = process.extract(
            key,
            self._keys,
            scorer=DamerauLevenshtein.distance,
            score_cutoff=edits,
            limit=20,
        )
        if not matches:
            return None
        fewest = min(distance for _, distance, _ in matches)
        closest = {self._owners[index] for _, distance, index in matches if distance == fewest}
        return closest.pop() if len(closest) == 1 else None

    def _fuzzy_ranked(self, key: str) -> list[tuple[str, float]]:
        """Entries scored against ``key``, best first, one score per entry."""
        matches = process.extract(
            key,
            self._keys,
            scorer=fuzz.WRatio,
            score_cutoff=SUGGEST_CUTOFF,
            limit=MAX_SUGGESTIONS * 4,
        )
        best: dict[str, float] = {}
        for _, score, index in matches:
            owner = self._owners[index]
            best[owner] = max(score, best.get(owner, 0.0))
        ranked = sorted(best.items(), key=lambda item: (-item[1], self.by_id[item[0]].term.casefold()))
        return ranked[:MAX_SUGGESTIONS]

    def _definition_matches(self, key: str) -> tuple[GlossaryEntry, ...]:
        words = {word for word in key.split() if len(word) > 2}
        if not words:
            return ()
        found = [self.by_id[entry_id] for entry_id, vocabulary in self._definitions if words <= vocabulary]
        return tuple(found[:MAX_SUGGESTIONS])


def match_category(categories: Iterable[Category], query: str) -> Category | None:
    """The category a member means by ``query`` (``school`` -> *School systems*), if clear."""
    key = normalize(query)
    if not key:
        return None
    candidates = list(categories)
    for category in candidates:
        if key in (normalize(category.id), normalize(category.name)):
            return category
    starts = [c for c in candidates if normalize(c.name).startswith(key) or normalize(c.id).startswith(key)]
    if len(starts) == 1:
        return starts[0]
    found = process.extractOne(key, [normalize(c.name) for c in candidates], scorer=fuzz.WRatio, score_cutoff=80)
    return candidates[found[2]] if found else None
