"""What a member asks the glossary, read the way they mean it.

Members type questions (``what does IEP stand for``), comparisons (``burnout vs compassion
fatigue``), other word forms (``planning for safety``) and Spanish or Portuguese
(``qué es el duelo``). :func:`understand` turns a query into the words that carry its
meaning; :func:`stem` folds each word to its stem so word forms meet.

Everything here works on :func:`bot.text.normalize`'d text: lower case, no accents or
punctuation, a plural ``s`` already dropped (so ``does`` arrives as ``doe``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from bot.text import normalize

# Words that glue a name together and carry no meaning of their own, in English, Spanish
# and Portuguese. Names keep every other word, so "Tier I" and "Tier II" stay apart.
GLUE = frozenset(
    "a an the of for and or in on at to with by from as into de del la el lo los la en y e o para por "
    "con un una al da do das dos no na nos nas um uma com".split()
)
# Words that only frame a question or a request: left out when weighing what a query means.
FRAMING = GLUE | frozenset(
    """
    what wat whats wht who whos whom which when where why how is are wa were be been being am doe do did done
    does ha have had can could should would will shall may might must s it it that thi these those there their
    they them i me my mine we u our you your yours he she him her hi his its one someone something anything
    about tell explain describe define definition meaning mean stand means stands called call exactly really
    please pls thank thanks hey hello ok okay so just some any more most need want know like get got
    info information question quick help look up term word
    que qu es son significa quien quienes cual cuale como sobre mas sao ser esta estan isso essa esse eu
    mi mis tu su sus se le les lo yo nos
    """.split()
)
# Leading words of a question, dropped before a query is matched against names.
_LEAD = re.compile(
    r"^(?:(?:hi|hey|hello|ok|okay|so|um|quick question|question|please|pls|can you|could you|can u)\s+)*"
    r"(?:(?:what|wat|whats|wht)(?:\s+(?:s|is|are|doe|do|did|wa|were|exactly is))?"
    r"|who(?:\s+(?:is|are|s|ha to|need to|must))?|whos"
    r"|define|definition(?:\s+of)?|meaning(?:\s+of)?|explain|describe"
    r"|tell me(?:\s+more)?(?:\s+about)?|info(?:rmation)?\s+(?:on|about)|more about"
    r"|que\s+(?:es|son|significa|quiere decir|e|sao)|o\s+que\s+(?:e|sao|significa)|quien\s+(?:es|son)|que)"
    r"\s+(?:(?:a|an|the|el|la|los|las|un|una|o|os|um|uma)\s+)?"
)
_TRAIL = re.compile(r"\s+(?:stand\s+for|stand|mean|used\s+for|do|doe|about|again|exactly|please|pls|in plain word)$")
_COMPARE = (
    re.compile(r"^(?:what\s+(?:s|is)\s+|whats\s+)?(?:the\s+)?difference\s+between\s+(?:a\s+|an\s+|the\s+)?(.+?)\s+and\s+(?:a\s+|an\s+|the\s+)?(.+)$"),
    re.compile(r"^how\s+(?:is|are|doe|do)\s+(?:a\s+|an\s+|the\s+)?(.+?)\s+different\s+from\s+(?:a\s+|an\s+|the\s+)?(.+)$"),
    re.compile(r"^(?:diferencia\s+entre|diferenca\s+entre)\s+(.+?)\s+(?:y|e)\s+(.+)$"),
    re.compile(r"^(.+?)\s+(?:v|vs|versus|compared\s+to|compared\s+with)\s+(.+)$"),
)


@functools.cache
def _english() -> Any:
    """The English stemmer, made when first needed: importing snowballstemmer loads every
    language's stemmer, and a start from cached content stems nothing."""
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@dataclass(frozen=True)
class Understood:
    """A query as the glossary reads it.

    ``key`` is the normalized query, ``core`` the same without question wording
    (``what is a 504 plan`` -> ``504 plan``), and ``parts`` the two things a comparison
    asks about (``difference between screening and assessment``), else empty.
    """

    key: str
    core: str
    parts: tuple[str, ...] = ()


def understand(query: str) -> Understood:
    """Read ``query``: its normalized key, its core without question wording, and a comparison's parts."""
    key = normalize(query)
    core = strip_question(key)
    for pattern in _COMPARE:
        found = pattern.match(core) or pattern.match(key)
        if found:
            parts = tuple(strip_question(part) for part in found.groups())
            if all(parts):
                return Understood(key, core, parts)
    return Understood(key, core)


def strip_question(key: str) -> str:
    """``key`` without the wording that only frames a question (leading and trailing)."""
    core = _LEAD.sub("", key, count=1)
    core = _TRAIL.sub("", core)
    return core if core.strip() else key


def stem(word: str) -> str:
    """The stem of a normalized word (``planning`` -> ``plan``, ``depressed`` -> ``depress``)."""
    return _stem(word)


@functools.lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    # Digits and very short words (acronyms, "ii") are their own stems.
    if len(word) <= 3 or not word.isalpha():
        return word
    return _english().stemWord(word)


def name_stems(text: str) -> tuple[str, ...]:
    """The stems of a name's meaningful words, in order (glue words left out)."""
    return tuple(stem(word) for word in normalize(text).split() if word not in GLUE)


def meaning_words(key: str) -> list[str]:
    """The words of a normalized query that carry its meaning (framing words left out)."""
    words = [word for word in key.split() if word not in FRAMING]
    return words or [word for word in key.split() if word not in GLUE]
