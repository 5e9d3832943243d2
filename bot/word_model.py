"""A small linear model over words: how strongly a text's words lean one way.

The model is a table of words, each with its rarity (idf) and its weight, plus an
intercept and a threshold, kept as JSON in the repository so it runs offline and can be
read. It scores a text the way scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``
followed by ``LogisticRegression`` would, without needing either at run time:
``tests/safety_corpus/train.py`` fits it and writes the file.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MODEL_FIELDS = {"about", "trained_on", "threshold", "intercept", "min_words", "words"}


class ModelError(ValueError):
    """A model file that cannot be read: a missing field, a weight that is not a number."""


@dataclass(frozen=True)
class WordModel:
    """Words with their idf and weight; a text scores above ``threshold`` when its words lean in."""

    words: Mapping[str, tuple[float, float]]  # word -> (idf, weight)
    intercept: float
    threshold: float
    min_words: int = 1  # fewer of its words than this and the model stays silent: one word can't lean
    trained_on: str = ""

    def probability(self, words: Sequence[str]) -> float:
        """The model's probability that a text with these ``words`` belongs to its class."""
        counts = Counter(w for w in words if w in self.words)
        if not counts:
            return _sigmoid(self.intercept)
        values = {w: (1 + math.log(n)) * self.words[w][0] for w, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values()))
        return _sigmoid(self.intercept + sum(v * self.words[w][1] for w, v in values.items()) / norm)

    def leans(self, words: Sequence[str]) -> bool:
        """True when the text holds at least ``min_words`` of the model's words and they reach the threshold."""
        return sum(w in self.words for w in words) >= self.min_words and self.probability(words) >= self.threshold


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
    words = data["words"]
    if not isinstance(words, dict) or not all(_pair(v) for v in words.values()):
        raise ModelError("words must map each word to [idf, weight]")
    threshold, intercept, min_words = data["threshold"], data["intercept"], data.get("min_words", 1)
    if not _number(intercept) or not _number(threshold) or not 0 < threshold < 1:
        raise ModelError("intercept must be a number and threshold a probability between 0 and 1")
    if not isinstance(min_words, int) or isinstance(min_words, bool) or min_words < 1:
        raise ModelError("min_words must be a whole number, 1 or more")
    return WordModel(
        words={w: (float(v[0]), float(v[1])) for w, v in words.items()},
        intercept=float(intercept),
        threshold=float(threshold),
        min_words=min_words,
        trained_on=str(data.get("trained_on", "")),
    )


def _pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(_number(v) for v in value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
