"""Small text helpers shared by every feature: escaping for Slack and query normalization."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape(text: str) -> str:
    """Escape member text for Slack mrkdwn so it shows as typed and can ping no one.

    Slack reads ``<...>`` as a link, mention or ``<!channel>``; escaping ``&``, ``<`` and
    ``>`` is exactly what Slack asks of apps that echo text. Control and bidirectional
    override characters are dropped so echoed text cannot disguise itself.
    """
    text = _CONTROL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def normalize(text: str) -> str:
    """Fold a term or query to its lookup key.

    Case, accents, punctuation and hyphens are ignored, and a plural ``s`` is dropped
    from each word (``Trauma-Informed Cares`` and ``trauma informed care`` meet).
    """
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = _NON_WORD.sub(" ", folded).split()
    return " ".join(_singular(word) for word in words)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with an ellipsis if cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def counted(n: int, one: str, many: str | None = None) -> str:
    """``n`` things in words: "1 session", "2 sessions", "1,204 share-outs" (``many``: an odd plural)."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"
