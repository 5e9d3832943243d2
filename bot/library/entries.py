"""The library's entries: glossary categories and terms, and tip sheets, as editors write them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.text import normalize


@dataclass(frozen=True)
class Category:
    """A glossary category, such as *Trauma and resilience*."""

    id: str
    name: str


@dataclass(frozen=True)
class GlossaryEntry:
    """One term of the Glossary of Mental Health Terms."""

    id: str
    term: str
    category: str
    definition: str
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()  # ids of other entries
    sources: tuple[str, ...] = ()
    reviewed: dt.date | None = None
    # Everyday, Spanish and Portuguese words members search with: they find the entry but are
    # not shown as its names, and one may lead to several entries (then members choose).
    searched_as: tuple[str, ...] = ()
    more: str = ""  # detail beyond the short definition, shown on a "More" line

    @property
    def distinct_aliases(self) -> list[str]:
        """Aliases worth showing: one spelling of each, none that only restates the term.

        Editors list plural and hyphenated variants so members find the entry; readers
        need to see each name once.
        """
        seen = {normalize(self.term)}
        shown = []
        for alias in self.aliases:
            key = normalize(alias)
            if key not in seen:
                seen.add(key)
                shown.append(alias)
        return shown


@dataclass(frozen=True)
class TipSheet:
    """One tip sheet: front matter plus a Markdown body."""

    slug: str
    title: str
    summary: str
    body: str
    aliases: tuple[str, ...] = ()
    order: int = 0
    reviewed: dt.date | None = None


@dataclass(frozen=True)
class Library:
    """The glossary (its categories and entries) and the tip sheets, validated."""

    categories: tuple[Category, ...]
    glossary: tuple[GlossaryEntry, ...]
    tipsheets: tuple[TipSheet, ...]


def slugify(text: str) -> str:
    """A stable id from a term: ``Trauma-informed approach`` -> ``trauma-informed-approach``."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
