"""Glossary search: exact, then typo-tolerant, then inside definitions.

The index is built once from the content. A lookup tries, in order:

1. the normalized query against every term and alias (case, punctuation, hyphens and
   plurals ignored), then the same with spaces removed (``traumainformed care``);
2. a typo match: Damerau-Levenshtein distance (a swapped pair counts as one edit) small
   for the query's length and unique among entries -> the answer;
3. a fuzzy match (rapidfuzz's WRatio, which also scores partial words) that is clearly
   ahead of the next entry -> the answer; otherwise up to five suggestions;
4. words of the query found in definitions -> suggestions.

It stays fast at ten thousand entries: the typo stage reads only names of nearby lengths
and measures the exact distance only where a fast bound allows a match
(:class:`NearSpellings`); the fuzzy stage scores every name of a glossary
up to ``FULL_SCAN_NAMES`` names, and in a larger one only the names that share a word
with the query, or a word that one of the query's words begins or nearly spells; words
are found in definitions through an index of them.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

from bot.library.entries import Category, GlossaryEntry
from bot.text import normalize

CRISIS_ENTRY = "988 Suicide & Crisis Lifeline"  # what a query about a crisis opens
MAX_SUGGESTIONS = 5
SUGGEST_CUTOFF = 60.0  # WRatio below this is noise
CLEAR_WINNER = 90.0  # WRatio at or above this answers outright...
CLEAR_MARGIN = 6.0  # ...when the next entry trails by at least this much
# Up to this many names (terms and aliases) the fuzzy stage scores them all; the HEART
# glossary has well under a thousand. Beyond, it scores the names with a word in common.
FULL_SCAN_NAMES = 2_000
MAX_CANDIDATES = 200  # names the fuzzy stage scores at most, those sharing most words first
MAX_PREFIXED = 50  # known words a query word may begin (``traum`` -> trauma, traumatic...)
# Members look up the same terms again and again: each query (up to this length) is searched once.
REMEMBERED_QUERIES = 4096
REMEMBERED_LENGTH = 100


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

    def __init__(self, entries: Iterable[GlossaryEntry], *, full_scan_names: int = FULL_SCAN_NAMES):
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
        self._full_scan = len(keys) <= full_scan_names
        self._names_with_word: dict[str, list[int]] = defaultdict(list)  # word -> positions in _keys
        for position, key in enumerate(keys):
            for word in set(key.split()):
                self._names_with_word[word].append(position)
        self._words = sorted(self._names_with_word)
        self._near_names = NearSpellings(keys)
        self._near_words = NearSpellings(self._words)
        # Members' queries share words; each word's neighbours are found once.
        self._similar_words = functools.lru_cache(maxsize=4096)(self._find_similar_words)
        self._defined_with_word: dict[str, set[int]] = defaultdict(set)  # word -> positions in entries
        for position, entry in enumerate(self.entries):
            for word in normalize(entry.definition).split():
                self._defined_with_word[word].add(position)
        # The entries never change while the bot runs, so neither does a query's answer.
        self._remembered = functools.lru_cache(maxsize=REMEMBERED_QUERIES)(self._search)

    def get(self, entry_id: str) -> GlossaryEntry | None:
        """The entry with this id, if any."""
        return self.by_id.get(entry_id)

    def in_category(self, category: str | None) -> list[GlossaryEntry]:
        """Entries of one category (all entries for ``None``), alphabetically."""
        return [e for e in self.entries if category is None or e.category == category]

    def lookup(self, query: str, *, crisis: bool = False) -> Lookup:
        """Find the entry a member means by ``query``.

        ``crisis`` says the query is about suicide, self-harm, an overdose or a crisis line
        (the safety net decides): unless it names an entry exactly, it opens the
        :data:`CRISIS_ENTRY`, never an unrelated entry.
        """
        key = normalize(query)
        if len(key) > REMEMBERED_LENGTH:
            return self._search(key, crisis)
        return self._remembered(key, crisis)

    def _search(self, key: str, crisis: bool) -> Lookup:
        """:meth:`lookup` for a normalized query."""
        if not key:
            return Lookup(key, Outcome.MISS)
        entry_id = self._exact.get(key) or self._compact.get(key.replace(" ", ""))
        if entry_id:
            return Lookup(key, Outcome.HIT, self.by_id[entry_id])
        crisis_id = self._exact.get(normalize(CRISIS_ENTRY))
        if crisis and crisis_id:
            return Lookup(key, Outcome.HIT, self.by_id[crisis_id])
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
        matches = self._near_names.within(key, edits, limit=20)
        if not matches:
            return None
        fewest = min(distance for _, distance, _ in matches)
        closest = {self._owners[index] for _, distance, index in matches if distance == fewest}
        return closest.pop() if len(closest) == 1 else None

    def _fuzzy_ranked(self, key: str) -> list[tuple[str, float]]:
        """Entries scored against ``key``, best first, one score per entry."""
        positions = None if self._full_scan else self._candidates(key)
        matches = process.extract(
            key,
            self._keys if positions is None else [self._keys[position] for position in positions],
            scorer=fuzz.WRatio,
            score_cutoff=SUGGEST_CUTOFF,
            limit=MAX_SUGGESTIONS * 4,
        )
        best: dict[str, float] = {}
        for _, score, index in matches:
            owner = self._owners[index if positions is None else positions[index]]
            best[owner] = max(score, best.get(owner, 0.0))
        ranked = sorted(best.items(), key=lambda item: (-item[1], self.by_id[item[0]].term.casefold()))
        return ranked[:MAX_SUGGESTIONS]

    def _candidates(self, key: str) -> list[int]:
        """Positions of the names worth scoring for ``key`` in a large glossary, in index order.

        A name qualifies by holding a word of the query, a word the query's word begins,
        or one within the query word's allowed typos; the names matching most words come first.
        """
        matched: Counter[int] = Counter()
        for word in set(key.split()):
            for known in self._similar_words(word):
                matched.update(self._names_with_word[known])
        if len(matched) > MAX_CANDIDATES:
            return sorted(position for position, _ in matched.most_common(MAX_CANDIDATES))
        return sorted(matched)

    def _find_similar_words(self, word: str) -> frozenset[str]:
        """Known words that ``word`` is, begins, or nearly spells."""
        found = {word} if word in self._names_with_word else set()
        if len(word) >= 3:
            start = bisect_left(self._words, word)
            for known in islice(self._words, start, start + MAX_PREFIXED):
                if not known.startswith(word):
                    break
                found.add(known)
        edits = allowed_edits(len(word))
        if edits:
            found.update(known for known, _, _ in self._near_words.within(word, edits))
        return frozenset(found)

    def _definition_matches(self, key: str) -> tuple[GlossaryEntry, ...]:
        words = {word for word in key.split() if len(word) > 2}
        if not words:
            return ()
        found = set.intersection(*(self._defined_with_word.get(word, set()) for word in words))
        return tuple(self.entries[position] for position in sorted(found)[:MAX_SUGGESTIONS])


class NearSpellings:
    """Strings grouped by length, to find the few within some edits of a text quickly.

    Two strings whose lengths differ by more than ``edits`` are more than ``edits`` edits
    apart, so only nearby lengths are read. Among those, plain Levenshtein distance (fast,
    and at most twice the Damerau-Levenshtein distance: it counts a swapped pair as two
    edits) keeps the candidates worth the exact measure, without losing any.
    """

    def __init__(self, strings: Sequence[str]):
        self._by_length: dict[int, tuple[list[str], list[int]]] = {}
        for position, text in enumerate(strings):
            same_length, positions = self._by_length.setdefault(len(text), ([], []))
            same_length.append(text)
            positions.append(position)

    def within(self, text: str, edits: int, limit: int | None = None) -> list[tuple[str, int, int]]:
        """``(string, distance, position)`` for the strings within ``edits`` Damerau-Levenshtein
        edits of ``text``, closest first (ties in their original order), at most ``limit``."""
        near: list[tuple[str, int]] = []
        for length in range(len(text) - edits, len(text) + edits + 1):
            same_length, positions = self._by_length.get(length, ((), ()))
            matches = process.extract(text, same_length, scorer=Levenshtein.distance, score_cutoff=2 * edits, limit=None)
            near += [(choice, positions[index]) for choice, _, index in matches]
        near.sort(key=lambda pair: pair[1])
        exact = process.extract(
            text, [choice for choice, _ in near], scorer=DamerauLevenshtein.distance, score_cutoff=edits, limit=limit
        )
        return [(choice, distance, near[index][1]) for choice, distance, index in exact]


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
