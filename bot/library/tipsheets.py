"""Finding a tip sheet by slug, title or alias, forgivingly.

A query is only ever compared with the sheets already loaded in memory; it never
becomes a path, so ``../../etc/passwd`` is just a query that finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.library.entries import TipSheet
from bot.text import normalize

MATCH_CUTOFF = 75.0
CRISIS_KEY = "crisis"  # the alias of the sheet with the crisis steps


@dataclass(frozen=True)
class SheetSearch:
    """What a tip-sheet query found: one sheet, or the candidates when it is unclear."""

    query: str
    sheet: TipSheet | None
    candidates: tuple[TipSheet, ...] = ()


class TipSheetLibrary:
    """The tip sheets in display order, searchable."""

    def __init__(self, sheets: Iterable[TipSheet]):
        self.sheets: tuple[TipSheet, ...] = tuple(sheets)
        self.by_slug = {sheet.slug: sheet for sheet in self.sheets}
        self._keys: list[str] = []
        self._owners: list[str] = []
        for sheet in self.sheets:
            for text in (sheet.slug, sheet.title, *sheet.aliases):
                self._keys.append(normalize(text))
                self._owners.append(sheet.slug)

    def get(self, slug: str) -> TipSheet | None:
        """The sheet with this slug, if any."""
        return self.by_slug.get(slug)

    def find(self, query: str, *, crisis: bool = False) -> SheetSearch:
        """The sheet a member means by ``query`` (exact key first, then fuzzy).

        ``crisis`` says the query is about suicide, self-harm, an overdose or a crisis line:
        unless it names a sheet exactly, it opens the sheet with the crisis steps.
        """
        key = normalize(query)
        if not key:
            return SheetSearch(key, None)
        if crisis and key not in self._keys and CRISIS_KEY in self._keys:
            key = CRISIS_KEY
        if key in self._keys:
            return SheetSearch(key, self.by_slug[self._owners[self._keys.index(key)]])
        matches = process.extract(key, self._keys, scorer=fuzz.WRatio, score_cutoff=MATCH_CUTOFF, limit=None)
        best: dict[str, float] = {}
        for _, score, index in matches:
            best[self._owners[index]] = max(score, best.get(self._owners[index], 0.0))
        ranked = sorted(best, key=lambda slug: -best[slug])
        if len(ranked) == 1 or (len(ranked) > 1 and best[ranked[0]] - best[ranked[1]] >= 5):
            return SheetSearch(key, self.by_slug[ranked[0]])
        return SheetSearch(key, None, tuple(self.by_slug[slug] for slug in ranked))
