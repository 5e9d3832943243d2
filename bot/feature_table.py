"""A word model's words and word pairs, packed in arrays and scored a whole text at a time.

Looking each of a text's few hundred words and pairs up in a dict of a hundred thousand
features cost the safety net more than anything else it did: a dict that size, its keys
and its values lie all over memory, and each lookup waited on it several times. Here
each word the table names has a number; a pair is the two numbers in one integer; the
pairs are sorted, so a text's pairs are found with one binary search of them all
(:func:`numpy.searchsorted`), and every term lies in one array. numpy is imported with
this module, which only a model's loading imports (a start does not wait for it).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain, repeat

import numpy as np

_SHIFT = 32  # a pair's key: its first word's number shifted this far, joined with its second's
# Features counted text by text (FeatureTable.scores): a feature's place, with its text's shifted above it.
_TEXT_SHIFT = 40
_FEATURE_MASK = (1 << _TEXT_SHIFT) - 1
GRAM_LETTERS = 8  # characters in a character n-gram at most: its table packs each in 64 bits


class FeatureTable(Mapping[str, complex]):
    """Words and pairs of words (``"a b"``) with their terms, as a model scores a text's.

    A term is a complex number: idf * weight (its part of the dot product) and idf * idf
    (its part of the norm), so both add up at once.
    """

    def __init__(self, words: Sequence[str], terms: np.ndarray, known: np.ndarray, pair_keys: np.ndarray) -> None:
        # Word number n is words[n - 1]; 0 stands for a gap, and for any word the table lacks.
        self.words = tuple(map(sys.intern, words))  # interned as the safety net's words are
        self._numbers = dict(zip(self.words, range(1, len(self.words) + 1), strict=True))
        self._terms = terms  # word n's term at n (0 where n is only part of pairs), then pair i's after the words'
        self._known = known  # the words that are features themselves
        self._searched = _searchable(pair_keys)  # sorted: first word's number << _SHIFT | second's
        self._pair_keys = self._searched[:-1]
        # Every word may begin or end a pair but a word family's tag ("{pills}"), as word_features() pairs them.
        self._pairable = np.array([False, *(not word.startswith("{") for word in self.words)], dtype=bool)

    @classmethod
    def of(cls, features: Sequence[str], terms: np.ndarray) -> FeatureTable:
        """A table of features (a word, or a pair of words joined by a space) with their ``terms``,
        in the same order; each word is numbered where it first appears."""
        numbers: dict[str, int] = {}
        firsts, seconds = [], []
        for feature in features:
            first, _, second = feature.partition(" ")
            firsts.append(numbers.setdefault(first, len(numbers) + 1))
            seconds.append(numbers.setdefault(second, len(numbers) + 1) if second else 0)
        first_numbers, second_numbers = np.array(firsts, dtype=np.int64), np.array(seconds, dtype=np.int64)
        pair = second_numbers > 0
        word_terms = np.zeros(len(numbers) + 1, dtype=complex)
        known = np.zeros(len(numbers) + 1, dtype=bool)
        word_terms[first_numbers[~pair]], known[first_numbers[~pair]] = terms[~pair], True
        keys = first_numbers[pair] << _SHIFT | second_numbers[pair]
        order = np.argsort(keys, kind="stable")
        return cls(list(numbers), np.concatenate((word_terms, terms[pair][order])), known, keys[order])

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickled as its arrays' bytes and its words in one string."""
        return _unpacked, ("\n".join(self.words), self._terms, self._known, self._pair_keys)

    def __len__(self) -> int:
        return int(self._known.sum()) + len(self._pair_keys)

    def __iter__(self) -> Iterator[str]:
        """Each feature: the words that are features, then each pair as ``"a b"``."""
        words = self.words
        yield from (words[n - 1] for n in np.flatnonzero(self._known).tolist())
        for key in self._pair_keys.tolist():
            yield f"{words[(key >> _SHIFT) - 1]} {words[(key & (1 << _SHIFT) - 1) - 1]}"

    def __getitem__(self, feature: str) -> complex:
        """One feature's term."""
        numbers = [self._numbers.get(word, 0) for word in feature.split(" ")]
        if len(numbers) == 1 and self._known[numbers[0]]:
            return complex(self._terms[numbers[0]])
        if len(numbers) == 2 and (at := self._pair_places.get(numbers[0] << _SHIFT | numbers[1])) is not None:
            return complex(self._terms[len(self.words) + 1 + at])
        raise KeyError(feature)

    @functools.cached_property
    def _pair_places(self) -> dict[int, int]:
        """Each pair's key, with its place: made the first time a pair is read by name (a test, a
        check), never by scoring a text."""
        return {key: at for at, key in enumerate(self._pair_keys.tolist())}

    def score(self, words: Sequence[str]) -> tuple[int, float, float]:
        """How many of ``words`` are features, and the text's dot product and squared norm:
        each word and each pair of neighbours (no gap or tag between them) that the table
        holds, weighed by sublinear tf (1 + log of how often it occurs)."""
        numbers = np.fromiter(map(self._numbers.get, words, repeat(0)), dtype=np.int64, count=len(words))
        words_held = numbers[self._known[numbers]]
        pairable = self._pairable[numbers]
        keys = (numbers[:-1] << _SHIFT | numbers[1:])[pairable[:-1] & pairable[1:]]
        found = _places(self._searched, keys) + (len(self.words) + 1)
        features = np.concatenate((words_held, found))
        if not len(features):
            return 0, 0.0, 0.0
        firsts, counts = _runs(features)
        terms, tf = self._terms[features[firsts]], 1.0 + np.log(counts)
        return len(words_held), float(tf @ terms.real), float((tf * tf) @ terms.imag)

    def scores(self, texts: Sequence[Sequence[str]]) -> tuple[list[int], list[float], list[float]]:
        """:meth:`score` of each of ``texts`` (the words held, the dot products and the squared
        norms, text by text), read in one pass: the texts' words are numbered together, and
        each feature is counted within its text by keying it with the text's place."""
        lengths = list(map(len, texts))
        words = list(chain.from_iterable(texts))
        numbers = np.fromiter(map(self._numbers.get, words, repeat(0)), dtype=np.int64, count=len(words))
        text_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        held = self._known[numbers]
        pairable = self._pairable[numbers]
        paired = pairable[:-1] & pairable[1:] & (text_of[:-1] == text_of[1:])  # no pair spans two texts
        keys = (numbers[:-1] << _SHIFT | numbers[1:])[paired]
        at = np.searchsorted(self._searched, keys)
        hit = self._searched[at] == keys
        features = np.concatenate((numbers[held], at[hit] + (len(self.words) + 1)))
        owners = np.concatenate((text_of[held], text_of[:-1][paired][hit]))
        keyed = owners << _TEXT_SHIFT | features
        firsts, counts = _runs(keyed)
        runs = keyed[firsts]
        terms, tf, owner = self._terms[runs & _FEATURE_MASK], 1.0 + np.log(counts), runs >> _TEXT_SHIFT
        size = len(texts)
        dots = np.bincount(owner, weights=tf * terms.real, minlength=size)
        squares = np.bincount(owner, weights=tf * tf * terms.imag, minlength=size)
        return np.bincount(text_of[held], minlength=size).tolist(), dots.tolist(), squares.tolist()


def _runs(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct value of ``features`` (sorted here, in place) as the place of its first
    occurrence and how often it occurs: np.unique's work, without the checks that cost it more
    than this (sorted, a run of one value ends where the value changes)."""
    features.sort()
    edges = np.empty(len(features) + 1, dtype=bool)
    edges[0] = edges[-1] = True
    np.not_equal(features[1:], features[:-1], out=edges[1:-1])
    bounds = np.flatnonzero(edges)
    return bounds[:-1], bounds[1:] - bounds[:-1]


def _unpacked(words: str, terms: np.ndarray, known: np.ndarray, pair_keys: np.ndarray) -> FeatureTable:
    """A table pickled by :meth:`FeatureTable.__reduce__`."""
    return FeatureTable(words.split("\n") if words else [], terms, known, pair_keys)


class GramTable(Mapping[str, complex]):
    """A word's letters' n-grams (``" hop"``, ``"opel"``...) with their terms, packed: each
    n-gram's letters, ASCII and at most eight of them, as one integer, the integers sorted, and
    the terms in one array in the same order. Held in a dict, the tables' 50,000 n-grams took
    over 6 MB (a string and a complex number each, and the dict); packed, 1.2 MB."""

    def __init__(self, keys: np.ndarray, terms: np.ndarray) -> None:
        self._searched = _searchable(keys)
        self._keys = self._searched[:-1]
        self._terms = terms  # in the keys' order

    @classmethod
    def of(cls, grams: Sequence[str], terms: np.ndarray) -> GramTable:
        """A table of n-grams with their ``terms``, in the same order.

        :raises ValueError: for an n-gram that is not ASCII or longer than eight letters.
        """
        keys = np.array([gram_key(gram) for gram in grams], dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], np.asarray(terms, dtype=complex)[order])

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickled as its arrays' bytes."""
        return GramTable, (self._keys, self._terms)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        for key in self._keys.tolist():
            yield key.to_bytes(GRAM_LETTERS, "big").lstrip(b"\0").decode("ascii")

    def __getitem__(self, gram: str) -> complex:
        try:
            key = gram_key(gram)
        except ValueError:
            raise KeyError(gram) from None
        found = _places(self._searched, np.array([key], dtype=np.int64))
        if not len(found):
            raise KeyError(gram)
        return complex(self._terms[found[0]])

    def sum_of(self, grams: Iterable[str]) -> complex:
        """The sum of the terms of those of ``grams`` the table holds, each counted once."""
        # Keyed as gram_key() keys them (one it would refuse, the table can't hold), without raising.
        keyed = {int.from_bytes(gram.encode(), "big") for gram in grams if packable(gram)}
        keys = np.array(list(keyed), dtype=np.int64)
        return complex(self._terms[_places(self._searched, keys)].sum())


def terms_of(weights: Mapping[str, Sequence[float]]) -> tuple[list[str], np.ndarray]:
    """A table of (idf, weight) by feature as a model reads it: its features, the lowest idf
    (the commonest feature) first, and each one's terms, idf * weight and idf * idf, as one
    complex number."""
    features = list(weights)
    if not features:
        return [], np.zeros(0, dtype=complex)
    idf, weight = np.array(list(weights.values()), dtype=float).T
    order = np.argsort(idf, kind="stable")
    terms = idf * weight + 1j * (idf * idf)
    return [features[at] for at in order.tolist()], terms[order]


def gram_key(gram: str) -> int:
    """An n-gram's letters as one integer: its ASCII bytes, read as a number (no n-gram holds a
    NUL byte, so no two have the same).

    :raises ValueError: for an n-gram that is not ASCII or longer than eight letters.
    """
    if not packable(gram):
        raise ValueError(f"an n-gram must be one to eight ASCII letters: {gram!r}")
    return int.from_bytes(gram.encode(), "big")


def packable(gram: str) -> bool:
    """True when :func:`gram_key` can key ``gram``: 1 to :data:`GRAM_LETTERS` ASCII characters, no NUL."""
    return 0 < len(gram) <= GRAM_LETTERS and gram.isascii() and "\0" not in gram


def _searchable(keys: np.ndarray) -> np.ndarray:
    """Sorted ``keys`` and, after them, one larger than any: where a key would go is then always
    a place in the array, whether the key is there or not. (The keys are the view without it:
    one copy of them, not two.)"""
    return np.append(keys, np.iinfo(np.int64).max)


def _places(searched: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The places in ``searched`` (made by :func:`_searchable`) of those of ``keys`` it holds."""
    at = np.searchsorted(searched, keys)
    return at[searched[at] == keys]
