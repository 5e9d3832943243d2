"""A small linear model over words: how strongly a text's words lean one way.

The model reads a text's words three ways: each word, each pair of neighbouring words
(``not wake``), and the letters inside words (``" hop"``, ``"opel"``...: character
n-grams, so a misspelt or unseen form, ``hopless`` or ``hopelessness``, shares most of
its n-grams with one that was seen). Each way is a table of features with their rarity
(idf) and weight; the model scores a text the way scikit-learn's ``TfidfVectorizer``
would (words and pairs with ``sublinear_tf=True``, normalised), followed by
``LogisticRegression``, without needing either at run time. The letters are read word by
word: each distinct word adds its n-grams (each once a word) to the text's, and the block
is divided by the square root of its sum of count times idf squared, so that a word's
share is worked out once and remembered; the block is scaled by ``gram_scale``. The
tables, an intercept and a threshold are kept as JSON in the repository so the model runs
offline and can be read: ``tests/safety_corpus/train.py`` fits it and writes the file.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

from bot.memo import Memo

if TYPE_CHECKING:
    from bot.feature_table import FeatureTable, GramTable

MODEL_FIELDS = {
    *("about", "trained_on", "threshold", "calm_below", "intercept", "min_words", "sure_words", "sure_above"),
    *("words", "grams", "gram_sizes", "gram_scale"),
}
GAP = "|"  # a mark, a blanked word or a dropped sentence in the words read: no pair spans it
CACHED_WORDS = 50_000  # words whose letters' features are remembered; beyond this the memory starts over
_MADE_WHEN_USED = {"_word_grams"}  # WordModel's memo of words' n-grams, not pickled


class ModelError(ValueError):
    """A model file that cannot be read: a missing field, a weight that is not a number."""


def word_features(words: Sequence[str]) -> list[str]:
    """The word block's features of a text: its words, then each pair of neighbours (``a b``)
    that no gap parts and neither of which is a word family's tag (``{pills}``)."""
    plain = [w for w in words if w != GAP]
    return plain + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if _pairable(a) and _pairable(b)]


def letter_features(word: str, sizes: tuple[int, int]) -> tuple[str, ...]:
    """The character n-grams of one word, the word padded with a space each side
    (scikit-learn's ``char_wb``); none for gaps, family tags and negated words."""
    if not _pairable(word) or word.startswith("not_"):
        return ()
    padded, (low, high) = f" {word} ", sizes
    return tuple(padded[i : i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1))


class Weights(Mapping[str, tuple[float, float]]):
    """A table of terms read back as each feature's (idf, weight); a pair of words is named
    by its words joined by a space."""

    def __init__(self, terms: Mapping[str, complex]) -> None:
        self._terms = terms

    def __getitem__(self, feature: str) -> tuple[float, float]:
        term = self._terms[feature]
        idf = math.sqrt(term.imag)
        return idf, term.real / idf

    def __iter__(self) -> Iterator[str]:
        return iter(self._terms)

    def __len__(self) -> int:
        return len(self._terms)


def _pairable(word: str) -> bool:
    return word != GAP and not word.startswith("{")


@dataclass(frozen=True)
class WordModel:
    """Features with their terms; a text scores above ``threshold`` when its words lean in.

    Made from tables of (idf, weight) by :meth:`of`. Each feature's two products, idf *
    weight (its term of the dot product) and idf * idf (its term of the norm), are kept as
    one complex number, so that both add up at once: the words and pairs in a
    :class:`~bot.feature_table.FeatureTable`, which scores a text's hundreds of them in a few
    array operations; the letters' n-grams in a dict, read only for a word not seen before.
    """

    table: FeatureTable  # each word, and each pair of words as "first second", with its terms
    intercept: float
    threshold: float
    min_words: int = 1  # fewer of its words than this and the model stays silent: one word can't lean
    calm_below: float = 0.0  # below this probability (on min_words or more) it is sure a text is calm
    # On fewer than min_words of its words, but at least sure_words, the model speaks only at
    # sure_above or over: "wanna go to sleep and nevr wake up" is seven words it knows, and
    # sure. None: it stays silent on fewer than min_words.
    sure_words: int = 1
    sure_above: float | None = None
    trained_on: str = ""
    gram_terms: GramTable | None = None  # character n-gram -> its terms (None: no letters' block)
    gram_sizes: tuple[int, int] = (3, 5)
    gram_scale: float = 1.0  # the letters' block's weight beside the words' block

    @classmethod
    def of(
        cls, words: Mapping[str, Sequence[float]], grams: Mapping[str, Sequence[float]] | None = None, **settings: Any
    ) -> WordModel:
        """A model from its tables of (idf, weight): ``words`` by word or "word word", ``grams``
        by character n-gram; ``settings`` are the other fields."""
        # Imported here: numpy takes a tenth of a second to load, and a start builds no model.
        from bot.feature_table import FeatureTable, GramTable, terms_of

        return cls(table=FeatureTable.of(*terms_of(words)), gram_terms=GramTable.of(*terms_of(grams or {})), **settings)

    @property
    def words(self) -> Weights:
        """Each word and word pair's (idf, weight)."""
        return Weights(self.table)

    @property
    def grams(self) -> Weights:
        """Each character n-gram's (idf, weight)."""
        return Weights(self.gram_terms or {})

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the memo of words' n-grams (below), made again when first used."""
        return {name: value for name, value in self.__dict__.items() if name not in _MADE_WHEN_USED}

    @functools.cached_property
    def _word_grams(self) -> Memo[str, complex]:
        """The sum of each word's own n-grams' terms (each n-gram once a word), worked out
        once and remembered (up to a bound): a text's letters' block is the sum of its
        distinct words'."""
        terms, sizes = self.gram_terms, self.gram_sizes
        assert terms is not None  # a model without n-grams reads none

        def grams_of(word: str) -> complex:
            return terms.sum_of(letter_features(word, sizes))

        return Memo(grams_of, CACHED_WORDS)

    def probability(self, words: Sequence[str]) -> float:
        """The model's probability that a text with these ``words`` belongs to its class."""
        return _sigmoid(self.score(words)[1])

    def leans(self, words: Sequence[str]) -> bool:
        """True when the text's words lean in: see :meth:`speaks`."""
        return self.speaks(*self.score(words))

    def speaks(self, held: int, z: float) -> bool:
        """True when a text holding ``held`` of the model's words and scoring ``z`` (its log-odds)
        leans in: on at least ``min_words`` of them, at the threshold or over; on fewer (at
        least ``sure_words``), at ``sure_above`` or over."""
        if held >= self.min_words:
            return _sigmoid(z) >= self.threshold
        return self.sure_above is not None and held >= self.sure_words and _sigmoid(z) >= self.sure_above

    def sure_calm(self, words: Sequence[str]) -> bool:
        """True when the model is sure the text is calm: see :meth:`calms`."""
        return self.calms(*self.score(words))

    def calms(self, held: int, z: float) -> bool:
        """True when a text holding ``held`` of the model's words and scoring ``z`` (its log-odds)
        is sure to be calm: at least ``min_words`` of them, scoring under ``calm_below``."""
        return held >= self.min_words and _sigmoid(z) < self.calm_below

    def score(self, words: Sequence[str]) -> tuple[int, float]:
        """How many of ``words`` the model knows (each time they occur), and the text's score
        (its log-odds)."""
        held, dot, square = self.table.score(words)
        return held, self._log_odds(words, dot, square)

    def probabilities(self, texts: Sequence[Sequence[str]]) -> list[float]:
        """:meth:`probability` of each of ``texts`` (each a text's words), their words and pairs
        looked up in one pass (:meth:`~bot.feature_table.FeatureTable.scores`)."""
        _, dots, squares = self.table.scores(texts)
        return [_sigmoid(self._log_odds(words, dot, square)) for words, dot, square in zip(texts, dots, squares, strict=True)]

    def _log_odds(self, words: Sequence[str], dot: float, square: float) -> float:
        """A text's score from its words' and pairs' dot product and squared norm, with its letters' block."""
        z = self.intercept
        if square:
            z += dot / math.sqrt(square)
        # Each distinct word's n-grams count once however often the word occurs.
        total = sum(map(self._word_grams.__getitem__, set(words)), 0j) if self.gram_terms else 0j
        if total.imag:
            z += self.gram_scale * total.real / math.sqrt(total.imag)
        return z


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
    if not _table(words):
        raise ModelError("words must map each word to [idf, weight]")
    if not _table(grams):
        raise ModelError("grams must map each character n-gram to [idf, weight]")
    # Imported here, as WordModel.of imports it: numpy comes with it.
    from bot.feature_table import GRAM_LETTERS, packable

    if not all(map(packable, grams)):
        raise ModelError(f"each character n-gram must be 1 to {GRAM_LETTERS} ASCII characters (words are folded to ASCII)")
    threshold, intercept, min_words = data["threshold"], data["intercept"], data.get("min_words", 1)
    if not _number(intercept) or not _number(threshold) or not 0 < threshold < 1:
        raise ModelError("intercept must be a number and threshold a probability between 0 and 1")
    if not isinstance(min_words, int) or isinstance(min_words, bool) or min_words < 1:
        raise ModelError("min_words must be a whole number, 1 or more")
    calm_below = data.get("calm_below", 0.0)
    if not _number(calm_below) or not 0 <= calm_below < threshold:
        raise ModelError("calm_below must be a probability under the threshold (0 to never overrule the rules)")
    sure_words, sure_above = data.get("sure_words", 1), data.get("sure_above")
    if not _whole(sure_words) or not 1 <= sure_words <= min_words:
        raise ModelError("sure_words must be a whole number from 1 to min_words")
    if sure_above is not None and (not _number(sure_above) or not threshold <= sure_above < 1):
        raise ModelError("sure_above must be a probability from the threshold to under 1 (or absent: silent on fewer than min_words)")
    sizes, scale = data.get("gram_sizes", [3, 5]), data.get("gram_scale", 1.0)
    shaped = isinstance(sizes, list) and len(sizes) == 2 and all(map(_whole, sizes))
    if not (shaped and 1 <= sizes[0] <= sizes[1] <= GRAM_LETTERS):
        raise ModelError(f"gram_sizes must be [shortest, longest] character n-gram, whole numbers from 1 to {GRAM_LETTERS}")
    if not _number(scale):
        raise ModelError("gram_scale must be a number")
    return WordModel.of(
        words=words,
        intercept=float(intercept),
        threshold=float(threshold),
        min_words=min_words,
        calm_below=float(calm_below),
        sure_words=sure_words,
        sure_above=None if sure_above is None else float(sure_above),
        trained_on=str(data.get("trained_on", "")),
        grams=grams,
        gram_sizes=(sizes[0], sizes[1]),
        gram_scale=float(scale),
    )


def _table(table: Any) -> bool:
    """True for a table of features, each to a list of two finite numbers, [idf, weight]
    (checked a kind at a time, in C: a model holds a hundred thousand of them)."""
    if not isinstance(table, dict):
        return False
    rows = list(table.values())
    if not set(map(type, rows)) <= {list} or not set(map(len, rows)) <= {2}:
        return False
    numbers = list(chain.from_iterable(rows))
    return set(map(type, numbers)) <= {int, float} and all(map(math.isfinite, numbers))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
