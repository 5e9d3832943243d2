"""Finding a tip sheet, or one section of it, by slug, title, alias or heading, forgivingly.

``/tipsheet crisis`` opens the crisis steps themselves: a query that names a section's
heading (``norms``, ``privacy worries``) opens that section of its sheet.

A query is only ever compared with the sheets already loaded in memory; it never
becomes a path, so ``../../etc/passwd`` is just a query that finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.library.entries import TipSheet
from bot.library.mrkdwn import to_sections
from bot.library.query import meaning_words, name_stems, stem
from bot.text import normalize

MATCH_CUTOFF = 75.0
CRISIS_KEY = "crisis"  # the alias of the sheet with the crisis steps, and a word of their heading
UNSEARCHED_SECTIONS = {"learn more"}  # headings found in every sheet


@dataclass(frozen=True)
class SheetSearch:
    """What a tip-sheet query found: one sheet, or the candidates when it is unclear."""

    query: str
    sheet: TipSheet | None
    candidates: tuple[TipSheet, ...] = ()
    section: str | None = None  # the heading of the section asked for, if one was


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
        # (slug, heading, stems of the heading) for every section worth opening alone
        self._sections = [
            (sheet.slug, part.heading, frozenset(name_stems(part.heading)))
            for sheet in self.sheets
            for part in to_sections(sheet.body)
            if part.heading and normalize(part.heading) not in UNSEARCHED_SECTIONS
        ]

    def get(self, slug: str) -> TipSheet | None:
        """The sheet with this slug, if any."""
        return self.by_slug.get(slug)

    def find(self, query: str, *, crisis: bool = False) -> SheetSearch:
        """The sheet (or section) a member means by ``query``: a sheet's name first, then a
        section's heading, then a sheet's name spelt loosely.

        ``crisis`` says the query is about suicide, self-harm, an overdose or a crisis line:
        unless it names a sheet exactly, it opens the crisis steps.
        """
        key = normalize(query)
        if not key:
            return SheetSearch(key, None)
        if key == CRISIS_KEY or (crisis and key not in self._keys):
            steps = self._crisis_steps()
            if steps:
                return steps
        if key in self._keys:
            return SheetSearch(key, self.by_slug[self._owners[self._keys.index(key)]])
        section = self._section(key)
        if section:
            return section
        matches = process.extract(key, self._keys, scorer=fuzz.WRatio, score_cutoff=MATCH_CUTOFF, limit=None)
        best: dict[str, float] = {}
        for _, score, index in matches:
            best[self._owners[index]] = max(score, best.get(self._owners[index], 0.0))
        ranked = sorted(best, key=lambda slug: -best[slug])
        if len(ranked) == 1 or (len(ranked) > 1 and best[ranked[0]] - best[ranked[1]] >= 5):
            return SheetSearch(key, self.by_slug[ranked[0]])
        return SheetSearch(key, None, tuple(self.by_slug[slug] for slug in ranked))

    def _crisis_steps(self) -> SheetSearch | None:
        """The section with the crisis steps, in the sheet that carries the crisis alias."""
        if CRISIS_KEY not in self._keys:
            return None
        slug = self._owners[self._keys.index(CRISIS_KEY)]
        heading = next((h for s, h, stems in self._sections if s == slug and stem(CRISIS_KEY) in stems), None)
        return SheetSearch(CRISIS_KEY, self.by_slug[slug], section=heading)

    def _section(self, key: str) -> SheetSearch | None:
        """The one section whose heading holds every meaningful word of ``key``."""
        wanted = frozenset(name_stems(" ".join(meaning_words(key))))
        if not wanted:
            return None
        found = [(slug, heading) for slug, heading, stems in self._sections if wanted <= stems]
        if len(found) != 1:
            return None
        slug, heading = found[0]
        return SheetSearch(key, self.by_slug[slug], section=heading)
