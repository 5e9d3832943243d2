"""Ranking glossary entries by what a query's words mean, and how sure the ranking is.

Each entry's names (term, aliases, the lay words editors list in ``also_searched_as``),
definition and related terms are stemmed and held in an in-memory SQLite FTS5 table
(through sqlite-utils), which finds the entries sharing a stem with the query and orders
them by BM25, names weighing most. For the few best, :class:`Ranked` then says how much
of the query each one covers: every query word weighs by its rarity (IDF), counts fully
when it is in one of the entry's names and half when only its definition or related
terms hold it, and a word the glossary has never seen counts against every entry. That
share, from 0 to 1, is the confidence the glossary acts on: an entry that covers what
the member asked answers; one that covers half of it is only a suggestion; below that
the glossary says it doesn't have it.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import sqlite_utils

from bot.library.query import GLUE, name_stems, stem
from bot.text import normalize

CANDIDATES = 20  # entries BM25 hands over for the coverage measure
DEFINITION_CREDIT = 0.5  # a query word found only in the definition or related terms
NEAR_CREDIT = 0.7  # a query word that is a near spelling or a longer form of a known word
MAX_NEAR = 4  # near words tried for one query word
# BM25 weights of the FTS columns: names, then definition and related terms.
BM25_WEIGHTS = (10.0, 1.0)


@dataclass(frozen=True)
class Ranked:
    """One entry's standing for a query: ``position`` in the index's entries, ``coverage``
    (0-1, the share of the query's weight the entry holds), ``fit`` (0-1, how much of the
    entry's closest name the query covers: "secondary stress" fits *Secondary traumatic
    stress* less than *Toxic stress* fits "toxic stress") and ``bm25`` (higher is better)."""

    position: int
    coverage: float
    fit: float
    bm25: float

    @property
    def order(self) -> tuple[float, float, float]:
        """Sort key: best first."""
        return (-round(self.coverage, 6), -round(self.fit, 6), -self.bm25)


class MeaningIndex:
    """Stemmed entries in SQLite FTS5, ranked by BM25 and measured by coverage.

    ``names`` gives each entry's names (term, aliases, lay words), ``texts`` its definition
    and related terms. Read by any thread: the connection is shared under a lock (a search
    takes well under a millisecond).
    """

    def __init__(
        self,
        names: Sequence[Sequence[str]],
        texts: Sequence[str],
        similar_words: Callable[[str], Iterable[str]],
    ):
        self._name_stems: list[list[tuple[str, ...]]] = [[name_stems(n) for n in entry] for entry in names]
        self._name_sets = [frozenset(s for name in entry for s in name) for entry in self._name_stems]
        self._text_sets = [frozenset(_stems(text)) for text in texts]
        df: Counter[str] = Counter()
        for name_set, text_set in zip(self._name_sets, self._text_sets, strict=True):
            df.update(name_set | text_set)
        total = max(len(texts), 1)
        self._idf = {word: math.log((total + 1) / (count + 0.5)) for word, count in df.items()}
        self._unknown_idf = math.log((total + 1) / 0.5)
        self._similar_words = similar_words
        self._lock = threading.Lock()
        self._db = sqlite_utils.Database(sqlite3.connect(":memory:", check_same_thread=False))
        self._db["entries"].insert_all(
            (
                {
                    "position": position,
                    "names": " ".join(self._name_sets[position]),
                    "definition": " ".join(self._text_sets[position]),
                }
                for position in range(len(texts))
            ),
            pk="position",
            columns={"position": int, "names": str, "definition": str},
        )
        self._db["entries"].enable_fts(["names", "definition"], tokenize="unicode61 remove_diacritics 2")
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        self._db.execute(f"insert into entries_fts(entries_fts, rank) values ('rank', 'bm25({weights})')")
        fts = self._db["entries"].detect_fts()
        # The FTS table alone, ordered by its rank: FTS5 keeps only the best CANDIDATES as it
        # goes, where a join to the entries table would read every match first.
        self._search_sql = f"select rowid, rank from [{fts}] where [{fts}] match :query order by rank limit {CANDIDATES}"

    def knows_word(self, word: str) -> bool:
        """True if any entry's names, definition or related terms hold this (normalized) word's stem."""
        return stem(word) in self._idf

    def alternatives(self, word: str) -> dict[str, float]:
        """The stems a query word may stand for, with the credit each earns.

        A known stem stands for itself. Otherwise: a known stem that begins it
        one letter shorter (``traumat``, of ``traumatized``, -> ``trauma``) and the stems of known words it nearly spells or
        begins (``resilliance``, ``psycholog``), each at :data:`NEAR_CREDIT`.
        """
        own = stem(word)
        if own in self._idf:
            return {own: 1.0}
        found: dict[str, float] = {}
        if len(own) > 5 and own[:-1] in self._idf:
            found[own[:-1]] = NEAR_CREDIT
        for known in self._similar_words(word):
            if len(found) >= MAX_NEAR:
                break
            known_stem = stem(known)
            if known_stem in self._idf:
                found.setdefault(known_stem, NEAR_CREDIT)
        return found

    def rank(self, words: Sequence[str]) -> list[Ranked]:
        """Entries sharing a stem with ``words`` (normalized query words), best first."""
        wanted = [(self._weight(alts), alts) for alts in (self.alternatives(word) for word in words)]
        stems = {s for _, alts in wanted for s in alts}
        if not stems:
            return []
        anywhere = " OR ".join(f'"{s}"' for s in sorted(stems))
        with self._lock:
            # Entries naming a query word first: their lists are short, and an entry that
            # holds the words only in its definition can't outrank them. Definitions are
            # searched when no name holds any of the words.
            rows = self._db.execute(self._search_sql, {"query": f"names : ({anywhere})"}).fetchall()
            if not rows:
                rows = self._db.execute(self._search_sql, {"query": anywhere}).fetchall()
        total = sum(weight for weight, _ in wanted) or 1.0
        query_stems = {s for _, alts in wanted for s in alts}
        ranked = []
        for position, rank in rows:
            covered = 0.0
            for weight, alts in wanted:
                credit = 0.0
                for word_stem, near in alts.items():
                    if word_stem in self._name_sets[position]:
                        credit = max(credit, near)
                    elif word_stem in self._text_sets[position]:
                        credit = max(credit, near * DEFINITION_CREDIT)
                covered += weight * credit
            fit = max(
                (len(query_stems.intersection(name)) / len(name) for name in self._name_stems[position] if name),
                default=0.0,
            )
            ranked.append(Ranked(position, covered / total, fit, -rank))
        return sorted(ranked, key=lambda r: r.order)

    def _weight(self, alternatives: dict[str, float]) -> float:
        """How much a query word weighs: its rarest stand-in's IDF, or the most for an unknown word."""
        if not alternatives:
            return self._unknown_idf
        return max(self._idf[s] for s in alternatives)


def _stems(text: str) -> list[str]:
    return [stem(word) for word in normalize(text).split() if word not in GLUE]
