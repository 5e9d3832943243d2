"""Synthetic data at scale, made in the bench (never shipped): glossary entries from the
real glossary's vocabulary, and queries of each kind a member types."""

from __future__ import annotations

import random

from bot.config import PROJECT_ROOT
from bot.library.entries import GlossaryEntry
from bot.runtime import load_content
from bot.text import normalize


def vocabulary() -> list[str]:
    """The words of the real glossary's definitions (four letters or more), sorted."""
    content = load_content(PROJECT_ROOT / "content")
    return sorted({word for entry in content.glossary for word in normalize(entry.definition).split() if len(word) > 3})


def glossary_entries(count: int, seed: int = 7) -> list[GlossaryEntry]:
    """``count`` entries, each a term of one to four words, two aliases and a definition."""
    rng = random.Random(seed)
    words = vocabulary()
    taken: set[str] = set()
    entries: list[GlossaryEntry] = []

    def phrase(low: int, high: int) -> str:
        while True:
            text = " ".join(rng.sample(words, rng.randint(low, high)))
            if normalize(text) not in taken:
                taken.add(normalize(text))
                return text

    while len(entries) < count:
        term = phrase(1, 4)
        aliases = (phrase(2, 3), "".join(word[0] for word in term.split()) + f"{len(entries)}x")
        definition = " ".join(rng.choices(words, k=rng.randint(15, 40))) + "."
        entries.append(GlossaryEntry(f"entry-{len(entries)}", term.capitalize(), "synthetic", definition, aliases))
    return entries


Query = tuple[str, str | None]  # what a member types, and the entry they mean (None: nothing)


def queries(entries: list[GlossaryEntry], count: int, seed: int = 11) -> dict[str, list[Query]]:
    """``count`` queries of each kind, by kind:

    - exact: a term as a member might type it (other case, a hyphen);
    - alias: an entry's other name;
    - typo: two letters swapped in a term of eight characters or more;
    - fuzzy: every word cut short, so no exact or near match exists and the fuzzy stage answers;
    - miss: nothing like any entry.
    """
    rng = random.Random(seed)
    long_terms = [entry for entry in entries if len(entry.term) >= 8]
    multiword = [entry for entry in entries if len(entry.term.split()) >= 2]

    def slip(text: str) -> str:
        at = rng.randrange(1, len(text) - 2)
        return text[:at] + text[at + 1] + text[at] + text[at + 2 :]

    def cut(text: str) -> str:
        return " ".join(word[: max(4, len(word) - 3)] for word in text.split())

    picks = {
        kind: [rng.choice(pool) for _ in range(count)]
        for kind, pool in (("exact", entries), ("alias", entries), ("typo", long_terms), ("fuzzy", multiword))
    }
    return {
        "exact": [(e.term.upper().replace(" ", "-", 1), e.id) for e in picks["exact"]],
        "alias": [(e.aliases[0], e.id) for e in picks["alias"]],
        "typo": [(slip(e.term), e.id) for e in picks["typo"]],
        "fuzzy": [(cut(e.term), e.id) for e in picks["fuzzy"]],
        "miss": [(f"zq{rng.randrange(10**6)}x vwk", None) for _ in range(count)],
    }
