"""Remembered answers of a pure function of one key, read at the speed of a dict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict[K, V], Generic[K, V]):
    """A dict that fills itself: ``memo[key]`` is ``compute(key)``, worked out the first time
    a key is asked for and remembered.

    Unlike ``functools.lru_cache``, a remembered answer is a plain dict lookup, so
    ``map(memo.__getitem__, keys)`` reads the hundreds of words of a share-out without a
    Python call for each. When it holds ``limit`` answers it starts over: the answers in
    use come back at once, and memory stays bounded whatever members type.
    """

    def __init__(self, compute: Callable[[K], V], limit: int) -> None:
        super().__init__()
        self.compute = compute
        self.limit = limit

    def __missing__(self, key: K) -> V:
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.compute(key)
        return value
