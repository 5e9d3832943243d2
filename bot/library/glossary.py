"""Glossary search: names first, then what the query means, and an honest "not yet".

The index is built once from the content. A lookup tries, in order:

1. the normalized query against every term and alias (case, punctuation, hyphens and
   plurals ignored), then the same with spaces removed (``traumainformed care``), then
   the lay words editors list in ``also_searched_as`` (one that several entries list,
   such as ``ed``, offers a short choice);
2. the same with question wording taken off (``what does IEP stand for`` -> ``iep``), and
   with word order and word forms ignored (``planning for safety``, ``screened for suicide
   risk``): the stems of the query's words against the stems of every name;
3. a query that is one short word (an acronym, mostly) stops here: ``ASD`` answered with
   the nearest acronym would be confidently wrong;
4. a typo match, when a word of the query is in no name: Damerau-Levenshtein distance (a
   swapped pair counts as one edit) small for the query's length and unique among
   entries -> the answer;
5. a comparison (``difference between screening and assessment``) answers with both;
6. what the words mean (:mod:`bot.library.ranking`): SQLite FTS5 finds and BM25 orders
   the entries sharing a stem with the query in their names, lay words, definitions or
   related terms; the share of the query an entry covers is its confidence. A clear
   leader above :data:`ANSWER_AT` answers; entries above :data:`SUGGEST_AT` are offered as
   suggestions (for a query with a word the glossary has never seen and nothing above that,
   the names rapidfuzz spells nearly alike); below that the glossary says it doesn't have it yet.

A query about a crisis (the safety net decides) opens the :data:`CRISIS_ENTRY` unless it
names an entry, or is answered confidently by the crisis entry's related terms.

It stays fast at ten thousand entries: the typo stage reads only names of nearby lengths
and measures the exact distance only where a fast bound allows a match
(:class:`NearSpellings`); the fuzzy stage scores every name of a glossary up to
``FULL_SCAN_NAMES`` names, and in a larger one only the names that share a word with the
query, or a word that one of the query's words begins or nearly spells; FTS5 hands the
ranking at most :data:`~bot.library.ranking.CANDIDATES` entries.
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
from bot.library.query import Understood, meaning_words, name_stems, understand
from bot.library.ranking import DEFINITION_CREDIT, MeaningIndex, Ranked
from bot.text import normalize

CRISIS_ENTRY = "988 Suicide & Crisis Lifeline"  # what a query about a crisis opens
MAX_SUGGESTIONS = 5
ANSWER_AT = 0.75  # an entry covering this share of the query's meaning may answer outright...
ANSWER_MARGIN = 0.12  # ...when the next entry covers at least this much less
FIT_MARGIN = 0.3  # ...or covers as much, but the query fits one of its names this much better
LEAD_AT, LEAD_MARGIN, LEAD_FIT = 0.65, 0.2, 0.67  # ...or covers this much, this far ahead, fitting a name
SUGGEST_AT = 0.5  # below this share an entry is not worth suggesting...
SUGGEST_SPREAD = 0.25  # ...nor when it trails the best by more than this
# rapidfuzz's ratio (whole strings, no partial matches) of a name worth suggesting for a
# query with a word the glossary has never seen (a typo the stages above missed).
FUZZY_SUGGEST_AT = 75.0
SHORT_WORD = 4  # a one-word query this short answers only on an exact name (or one dropped letter)
SHORT_SUGGEST_AT = 75.0  # ratio of a name worth suggesting for a short word
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

    HIT = "hit"  # one entry answers the query (two for a comparison)
    CHOICE = "choice"  # the words name several entries ("ed"): the member picks one
    SUGGEST = "suggest"  # not sure: "Did you mean", with low confidence
    MISS = "miss"  # the glossary doesn't have it (yet)


@dataclass(frozen=True)
class Lookup:
    """The result of a glossary lookup. ``query`` is the normalized query.

    ``confidence`` is the share of the query the answer (or the best suggestion) covers,
    1.0 for a name; ``compared`` holds the other entries of a comparison, answered with
    ``entry``.
    """

    query: str
    outcome: Outcome
    entry: GlossaryEntry | None = None
    suggestions: tuple[GlossaryEntry, ...] = field(default=())
    in_definitions: bool = False  # suggestions came from searching definitions
    compared: tuple[GlossaryEntry, ...] = field(default=())
    confidence: float = 0.0

    @property
    def answered(self) -> tuple[GlossaryEntry, ...]:
        """The entries given outright: the answer and any it is compared with."""
        return (self.entry, *self.compared) if self.outcome is Outcome.HIT and self.entry else ()


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
        # Lay words and word-order-free stems may lead to several entries, in glossary order.
        self._searched: dict[str, list[str]] = defaultdict(list)
        self._by_stems: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for entry in self.entries:
            for text in entry.searched_as:
                _add_once(self._searched[normalize(text)], entry.id)
            for text in (entry.term, *entry.aliases, *entry.searched_as):
                signature = _signature([text])
                if signature:
                    _add_once(self._by_stems[signature], entry.id)
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
        # The entries never change while the bot runs, so neither does a query's answer.
        self._remembered = functools.lru_cache(maxsize=REMEMBERED_QUERIES)(self._answer)
        self._meaning = MeaningIndex(
            [(e.term, *e.aliases, *e.searched_as) for e in self.entries],
            [" ".join((e.definition, *(self.by_id[r].term for r in e.related if r in self.by_id))) for e in self.entries],
            self._similar_words,
        )
        crisis = self.by_id.get(self._exact.get(normalize(CRISIS_ENTRY), ""))
        self._crisis = crisis
        # A crisis query answered confidently by one of these is not sent to the crisis entry.
        self._crisis_related = frozenset((crisis.id, *crisis.related)) if crisis else frozenset()

    def get(self, entry_id: str) -> GlossaryEntry | None:
        """The entry with this id, if any."""
        return self.by_id.get(entry_id)

    def in_category(self, category: str | None) -> list[GlossaryEntry]:
        """Entries of one category (all entries for ``None``), alphabetically."""
        return [e for e in self.entries if category is None or e.category == category]

    def lookup(self, query: str, *, crisis: bool = False) -> Lookup:
        """Find the entry a member means by ``query``.

        ``crisis`` says the query is about suicide, self-harm, an overdose or a crisis line
        (the safety net decides): unless it names an entry (question wording aside), or an
        entry related to the crisis entry answers it outright, it opens the
        :data:`CRISIS_ENTRY`, never an unrelated entry.
        """
        if len(query) > REMEMBERED_LENGTH:
            return self._answer(query, crisis)
        return self._remembered(query, crisis)

    def _answer(self, query: str, crisis: bool) -> Lookup:
        """:meth:`lookup`, searched."""
        key = normalize(query)
        if not key:
            return Lookup(key, Outcome.MISS)
        named = self._named(key)
        if named:
            return Lookup(key, Outcome.HIT, self.by_id[named], confidence=1.0)
        asked = understand(query)
        named = self._named(asked.core)
        if named:
            return Lookup(key, Outcome.HIT, self.by_id[named], confidence=1.0)
        found = self._search(asked)
        if crisis and self._crisis and not (found.outcome is Outcome.HIT and found.entry.id in self._crisis_related):
            return Lookup(key, Outcome.HIT, self._crisis, confidence=1.0)
        return found

    def _named(self, key: str) -> str | None:
        """The entry whose term or alias ``key`` is, spaces aside."""
        return self._exact.get(key) or self._compact.get(key.replace(" ", ""))

    def _search(self, asked: Understood) -> Lookup:
        """Everything after the names: lay words, word forms, typos, comparisons, meaning."""
        key, core = asked.key, asked.core
        for text in dict.fromkeys((key, core)):
            ids = self._searched.get(text)
            if ids:
                return self._one_or_choice(key, ids)
        named = self._by_stems.get(_signature(core.split()))
        if named:
            return self._one_or_choice(key, named)
        if len(core.split()) == 1 and len(core) <= SHORT_WORD:
            return self._short_word(key, core)
        typo = self._typo_match(core)
        if typo and all(word in self._names_with_word for word in core.split()):
            # Every word is a word of some name: the query may mean something else entirely
            # ("tier 2 support" is no misspelt "tiered supports"); a clear reading of its
            # meaning wins.
            ranked = self._meaning.rank(meaning_words(core))
            if ranked and self._clear_leader(ranked) and self.entries[ranked[0].position].id != typo:
                typo = None
        if typo:
            return Lookup(key, Outcome.HIT, self.by_id[typo], confidence=1.0)
        named = self._by_stems.get(_signature(meaning_words(core)))
        if named:
            return self._one_or_choice(key, named)
        if asked.parts:
            compared = self._compare(asked.parts)
            if compared:
                return Lookup(key, Outcome.HIT, compared[0], compared=compared[1:], confidence=1.0)
        return self._by_meaning(key, core)

    def _short_word(self, key: str, word: str) -> Lookup:
        """A short word that names nothing (an acronym, mostly) is not answered with another
        acronym (``ASCA`` is not ``BSCA``): only with the one name it is a slip of the
        fingers away from, a dropped letter or two swapped (``HART`` -> *HEART*). Otherwise
        names one edit away, or holding it, are suggestions."""
        near = self._near_names.within(word, 1, limit=MAX_SUGGESTIONS * 4) if len(word) == SHORT_WORD else []
        slips = {self._owners[index] for name, _, index in near if _is_slip(word, name)}
        if len(slips) == 1:
            return Lookup(key, Outcome.HIT, self.by_id[slips.pop()], confidence=1.0)
        offered = dict.fromkeys(self._owners[index] for _, _, index in near)
        for entry_id, _ in self._fuzzy_ranked(word, cutoff=SHORT_SUGGEST_AT):
            offered.setdefault(entry_id)
        if not offered:
            return Lookup(key, Outcome.MISS)
        suggestions = tuple(self.by_id[i] for i in islice(offered, MAX_SUGGESTIONS))
        return Lookup(key, Outcome.SUGGEST, suggestions=suggestions, confidence=0.5)

    def _one_or_choice(self, key: str, ids: Sequence[str]) -> Lookup:
        if len(ids) == 1:
            return Lookup(key, Outcome.HIT, self.by_id[ids[0]], confidence=1.0)
        choices = tuple(self.by_id[i] for i in ids[:MAX_SUGGESTIONS])
        return Lookup(key, Outcome.CHOICE, suggestions=choices, confidence=1.0)

    def _compare(self, parts: Sequence[str]) -> tuple[GlossaryEntry, ...]:
        """The entries each part of a comparison answers outright, when every part has one."""
        found: list[GlossaryEntry] = []
        for part in parts:
            lookup = self.lookup(part)
            if lookup.outcome is not Outcome.HIT or lookup.entry in found or lookup.compared:
                return ()
            found.append(lookup.entry)
        return tuple(found)

    def _by_meaning(self, key: str, core: str) -> Lookup:
        """Rank entries by what the query's words mean; answer, suggest or admit a miss."""
        ranked = self._meaning.rank(meaning_words(core))
        if ranked and self._clear_leader(ranked):
            return Lookup(key, Outcome.HIT, self.entries[ranked[0].position], confidence=ranked[0].coverage)
        floor = max(SUGGEST_AT, ranked[0].coverage - SUGGEST_SPREAD) if ranked else SUGGEST_AT
        worth = [r for r in ranked[:MAX_SUGGESTIONS] if r.coverage >= floor]
        suggested: dict[str, float] = {self.entries[r.position].id: r.coverage for r in worth}
        if not suggested and any(not self._meaning.knows_word(word) for word in core.split()):
            # A word the glossary has never seen, and nothing its meaning finds: a typo the
            # stages above missed, perhaps ("C-SRSS"); names spelt nearly alike may help.
            suggested = {entry_id: score / 100 for entry_id, score in self._fuzzy_ranked(core)}
        if not suggested:
            return Lookup(key, Outcome.MISS, confidence=ranked[0].coverage if ranked else 0.0)
        in_definitions = bool(worth) and worth[0].coverage <= DEFINITION_CREDIT and worth[0].fit == 0
        return Lookup(
            key,
            Outcome.SUGGEST,
            suggestions=tuple(self.by_id[i] for i in suggested),
            in_definitions=in_definitions,
            confidence=max(suggested.values()),
        )

    @staticmethod
    def _clear_leader(ranked: list[Ranked]) -> bool:
        """True if the best entry covers enough of the query, and clearly more than the next:
        most of it (:data:`ANSWER_AT`), or a good part of it (:data:`LEAD_AT`) far ahead
        (:data:`LEAD_MARGIN`) with the query naming most of one of its names (:data:`LEAD_FIT`)."""
        best = ranked[0]
        runner_up = ranked[1].coverage if len(ranked) > 1 else 0.0
        gap = best.coverage - runner_up
        if best.coverage >= ANSWER_AT and gap >= ANSWER_MARGIN:
            return True
        if best.coverage >= ANSWER_AT and gap >= 0 and len(ranked) > 1 and best.fit - ranked[1].fit >= FIT_MARGIN:
            return True
        return best.coverage >= LEAD_AT and gap >= LEAD_MARGIN and best.fit >= LEAD_FIT

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

    def _fuzzy_ranked(self, key: str, cutoff: float = FUZZY_SUGGEST_AT) -> list[tuple[str, float]]:
        """Entries whose names rapidfuzz finds close to ``key``, best first, one score per entry."""
        positions = None if self._full_scan else self._candidates(key)
        matches = process.extract(
            key,
            self._keys if positions is None else [self._keys[position] for position in positions],
            scorer=fuzz.ratio,
            score_cutoff=cutoff,
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


def _is_slip(word: str, name: str) -> bool:
    """True if ``word`` is ``name`` with one letter dropped or two neighbours swapped
    (the two share a length and differ in two places, not one)."""
    if len(name) == len(word) + 1:
        return True
    return len(name) == len(word) and Levenshtein.distance(word, name) == 2


def _signature(words: Iterable[str]) -> tuple[str, ...]:
    """Stems of a name or query, in sorted order: word order and word forms aside."""
    return tuple(sorted(name_stems(" ".join(words))))


def _add_once(ids: list[str], entry_id: str) -> None:
    if entry_id not in ids:
        ids.append(entry_id)


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
