"""A small linear model over words: how strongly a text's words lean one way.

The model reads a text's words three ways: each word, each pair of neighbouring words
(``not wake``), and the letters inside words (``" hop"``, ``"opel"``...: character
n-grams, so a misspelt or unseen form, ``hopless`` or ``hopelessness``, shares most of
its n-grams with one that was seen). Each way is a table of features with their rarity
(idf) and weight; the model scores a text the way scikit-learn's ``TfidfVectorizer``
would (words and pairs with ``sublinear_tf=True``, letters with ``binary=True``, each
block normalised on its own, the letters' block scaled by ``gram_scale``) followed by
``LogisticRegression``, without needing either at run time. The tables, an intercept and
a threshold are kept as JSON in the repository so the model runs offline and can be
read: ``tests/safety_corpus/train.py`` fits it and writes the file.
"""

from __future__ import annotations

import functools
import math
import operator
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.memo import Memo

MODEL_FIELDS = {"about", "trained_on", "threshold", "intercept", "min_words", "words", "grams", "gram_sizes", "gram_scale"}
GAP = "|"  # a mark, a blanked word or a dropped sentence in the words read: no pair spans it
CACHED_WORDS = 50_000  # words whose letters' features are remembered; beyond this the memory starts over


class ModelError(ValueError):
    """A model file that cannot be read: a missing field, a weight that is not a number."""


def word_features(words: Sequence[str]) -> list[str]:
    """The word block's features of a text: its words, then each pair of neighbours (``a b``)
    that no gap parts and neither of which is a word family's tag (``{pills}``)."""
    plain = [w for w in words if w != GAP]
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:]) if _pairable(a) and _pairable(b)]
    return plain + pairs


def letter_features(word: str, sizes: tuple[int, int]) -> tuple[str, ...]:
    """The character n-grams of one word, the word padded with a space each side
    (scikit-learn's ``char_wb``); none for gaps, family tags and negated words."""
    if not _pairable(word) or word.startswith("not_"):
        return ()
    padded, (low, high) = f" {word} ", sizes
    return tuple(padded[i : i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1))


def _pairable(word: str) -> bool:
    return word != GAP and not word.startswith("{")


@dataclass(frozen=True)
class WordModel:
    """Features with their idf and weight; a text scores above ``threshold`` when its words lean in."""

    words: Mapping[str, tuple[float, float]]  # word or "word word" -> (idf, weight)
    intercept: float
    threshold: float
    min_words: int = 1  # fewer of its words than this and the model stays silent: one word can't lean
    trained_on: str = ""
    grams: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # character n-gram -> (idf, weight)
    gram_sizes: tuple[int, int] = (3, 5)
    gram_scale: float = 1.0  # the letters' block's weight beside the words' block
    _idf: dict[str | tuple[str, str], float] = field(init=False, repr=False, compare=False)  # a word, or a pair as (first, second)
    _weight: dict[str | tuple[str, str], float] = field(init=False, repr=False, compare=False)
    _pairs: frozenset[tuple[str, str]] = field(init=False, repr=False, compare=False)  # the word pairs the table holds
    _gram_lean: list[float] = field(init=False, repr=False, compare=False)  # by n-gram number: idf * weight
    _gram_square: list[float] = field(init=False, repr=False, compare=False)  # by n-gram number: idf * idf

    def __post_init__(self) -> None:
        # Pairs are keyed (first, second), so a text's neighbours are looked up as zip() gives them.
        keys = {feature: tuple(feature.split(" ")) if " " in feature else feature for feature in self.words}
        object.__setattr__(self, "_idf", {keys[f]: idf for f, (idf, _) in self.words.items()})
        object.__setattr__(self, "_weight", {keys[f]: weight for f, (_, weight) in self.words.items()})
        object.__setattr__(self, "_pairs", frozenset(key for key in keys.values() if isinstance(key, tuple)))
        object.__setattr__(self, "_gram_lean", [idf * weight for idf, weight in self.grams.values()])
        object.__setattr__(self, "_gram_square", [idf * idf for idf, _ in self.grams.values()])

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the remembered words' n-grams (see :attr:`_word_grams`)."""
        return {name: value for name, value in self.__dict__.items() if name != "_word_grams"}

    @functools.cached_property
    def _word_grams(self) -> Memo[str, tuple[int, ...]]:
        """Each word's own n-grams, by number, worked out once and remembered (up to a bound)."""
        numbers = {gram: n for n, gram in enumerate(self.grams)}
        sizes = self.gram_sizes

        def grams_of(word: str) -> tuple[int, ...]:
            return tuple(numbers[g] for g in letter_features(word, sizes) if g in numbers)

        return Memo(grams_of, CACHED_WORDS)

    def probability(self, words: Sequence[str]) -> float:
        """The model's probability that a text with these ``words`` belongs to its class."""
        # A pair is counted only when the table holds it (most neighbours make no pair of it);
        # the pairs word_features leaves out are never in the table. Each step below runs
        # inside map/filter/sum, not a Python loop: a share-out has hundreds of words.
        counts = Counter(words)
        counts.update(filter(self._pairs.__contains__, zip(words, words[1:])))
        held = list(filter(self._idf.__contains__, counts))
        # Sublinear tf-idf: (1 + log n) * idf; most features occur once, where it is idf itself.
        idfs, ns = map(self._idf.__getitem__, held), map(counts.__getitem__, held)
        values = [idf if n == 1 else (1 + math.log(n)) * idf for idf, n in zip(idfs, ns)]
        z = self.intercept
        square = sum(map(operator.mul, values, values))
        if square:
            z += sum(map(operator.mul, values, map(self._weight.__getitem__, held))) / math.sqrt(square)
        grams = self._grams_of(words)
        if grams:  # each n-gram counts once however often it occurs: a sum of ready products
            norm = math.sqrt(sum(map(self._gram_square.__getitem__, grams)))
            z += self.gram_scale * sum(map(self._gram_lean.__getitem__, grams)) / norm
        return _sigmoid(z)

    def leans(self, words: Sequence[str]) -> bool:
        """True when the text holds at least ``min_words`` of the model's words and they reach the threshold."""
        held = sum(map(self.words.__contains__, words))  # map, not a generator: a share-out has hundreds of words
        return held >= self.min_words and self.probability(words) >= self.threshold

    def _grams_of(self, words: Iterable[str]) -> set[int]:
        """The numbers of the model's own character n-grams in ``words``, each counted once."""
        # Each distinct word is read once; its n-grams come from the memo.
        return set().union(*map(self._word_grams.__getitem__, set(words)))


def read_word_model(data: Any) -> WordModel:
    """A model from its parsed JSON.

    :raises ModelError: when a field is missing or not a number.
    """
    if not isinstance(data, dict):
        raise ModelError("must be a JSON object with threshold, intercept and words")
    if missing := {"threshold", "intercept", "words"} - set(data):
        raise ModelError(f"is missing {', '.join(sorted(missing))}")
    if unknown := set(data) - MODEL_FIELDS:
        raise ModelError(f"has unknown field(s) {', '.join(sorted(unknown))}")
    words, grams = data["words"], data.get("grams", {})
    if not isinstance(words, dict) or not all(_pair(v) for v in words.values()):
        raise ModelError("words must map each word to [idf, weight]")
    if not isinstance(grams, dict) or not all(_pair(v) for v in grams.values()):
        raise ModelError("grams must map each character n-gram to [idf, weight]")
    threshold, intercept, min_words = data["threshold"], data["intercept"], data.get("min_words", 1)
    if not _number(intercept) or not _number(threshold) or not 0 < threshold < 1:
        raise ModelError("intercept must be a number and threshold a probability between 0 and 1")
    if not isinstance(min_words, int) or isinstance(min_words, bool) or min_words < 1:
        raise ModelError("min_words must be a whole number, 1 or more")
    sizes, scale = data.get("gram_sizes", [3, 5]), data.get("gram_scale", 1.0)
    if not (isinstance(sizes, list) and len(sizes) == 2 and all(_whole(s) for s in sizes) and 1 <= sizes[0] <= sizes[1]):
        raise ModelError("gram_sizes must be [shortest, longest] character n-gram, whole numbers from 1")
    if not _number(scale):
        raise ModelError("gram_scale must be a number")
    return WordModel(
        words={w: (float(v[0]), float(v[1])) for w, v in words.items()},
        intercept=float(intercept),
        threshold=float(threshold),
        min_words=min_words,
        trained_on=str(data.get("trained_on", "")),
        grams={g: (float(v[0]), float(v[1])) for g, v in grams.items()},
        gram_sizes=(sizes[0], sizes[1]),
        gram_scale=float(scale),
    )


def _pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(_number(v) for v in value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
