"""Many regular expressions searched in one pass over a text, with Hyperscan.

The safety net listens for some two thousand patterns in every share-out. Trying them one
by one, even only those whose words a text holds, cost more than anything else it does;
Hyperscan compiles them all into one automaton that reads a text once and tells which of
them match and where their matches end.

Compiling that automaton takes seconds for the rules, so a compiled set is kept in the
cache folder (:mod:`bot.cache`) under a key of its expressions and the library that compiled
it, as content is: a start, a test run or ``python -m bot check`` compiles a set once per
machine (small sets, quick to compile, are not kept). A process keeps the few sets it used
last, and searches a set that is all in one of them (the rules with one left out) with it.
"""

from __future__ import annotations

import logging
import platform
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Sequence

import hyperscan

from bot import cache

log = logging.getLogger(__name__)

WORTH_KEEPING = 0.05  # seconds: a set that takes longer than this to compile is kept in the cache folder


class PatternSet:
    """Regular expressions (Hyperscan's syntax, a subset of Python's without look-arounds)
    searched together: :meth:`ends` tells, for each expression that matches a text, where
    its matches end. A match found is never missed, so a caller that needs the matches
    themselves searches only around those ends with Python's own expression."""

    def __init__(self, expressions: Sequence[str], name: str) -> None:
        self.expressions = tuple(expressions)
        self._database, self._places = _database(self.expressions, name) if self.expressions else (None, None)
        self._scratch = threading.local()  # Hyperscan's scratch space: one per thread that searches

    def ends(self, text: str) -> dict[int, list[int]]:
        """Each expression (by its place) that matches ``text``, with the offsets where its
        matches end, in order. ``text`` must be ASCII (offsets count bytes)."""
        found: dict[int, list[int]] = defaultdict(list)
        if self._database is not None:
            self._database.scan(text.encode("ascii"), match_event_handler=_found, context=found, scratch=self._thread_scratch())
        if self._places is None:
            return found
        return {place: ends for searched, ends in found.items() for place in self._places[searched]}

    def _thread_scratch(self) -> hyperscan.Scratch:
        scratch = getattr(self._scratch, "space", None)
        if scratch is None:
            scratch = self._scratch.space = hyperscan.Scratch(self._database)
        return scratch


def _found(expression: int, start: int, end: int, flags: int, found: dict[int, list[int]]) -> None:
    found[expression].append(end)


KEPT_SETS = 4  # compiled sets a process keeps: a database of the rules is megabytes
_kept: OrderedDict[str, tuple[tuple[str, ...], hyperscan.Database]] = OrderedDict()  # by key, the most recently used last
_keeping = threading.Lock()


def _database(expressions: tuple[str, ...], name: str) -> tuple[hyperscan.Database, list[list[int]] | None]:
    """The compiled set to search for ``expressions``: the one this process compiled or read
    for them last time; one it has for more expressions than these (a set of rules with one
    left out), with, for each of its expressions, the places of ``expressions`` that are it;
    else the one in the cache folder when it was compiled before on this machine; else compiled."""
    version = cache.key(hyperscan.__version__, platform.machine(), *expressions)
    with _keeping:
        if version in _kept:
            _kept.move_to_end(version)
            return _kept[version][1], None
        for kept, database in reversed(_kept.values()):
            if (places := _places_within(expressions, kept)) is not None:
                return database, places
    database = _read_or_compile(version, name, expressions)
    with _keeping:
        _kept[version] = (expressions, database)
        while len(_kept) > KEPT_SETS:
            _kept.popitem(last=False)
    return database, None


def _places_within(wanted: tuple[str, ...], kept: tuple[str, ...]) -> list[list[int]] | None:
    """For each of the ``kept`` expressions, the places of ``wanted`` that are it; None when
    one of ``wanted`` is not among them."""
    places: dict[str, list[int]] = defaultdict(list)
    for place, expression in enumerate(wanted):
        places[expression].append(place)
    if not places.keys() <= set(kept):
        return None
    return [places.get(expression, []) for expression in kept]


def _read_or_compile(version: str, name: str, expressions: tuple[str, ...]) -> hyperscan.Database:
    if (kept := cache.read(name, version)) is not None:
        try:
            database = hyperscan.loadb(kept, hyperscan.HS_MODE_BLOCK)
            # A set is compiled for the CPU it was compiled on (an image's builder, say), and a
            # CPU without its instructions refuses to search with it: tried once here.
            database.scan(b" ", match_event_handler=_found, context=defaultdict(list), scratch=hyperscan.Scratch(database))
            return database
        except hyperscan.error as error:  # cut short, or compiled for another CPU: compiled again
            log.debug("cached pattern set %s unreadable (%s): compiling it", name, error)
    started = time.perf_counter()
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    encoded = [expression.encode("ascii") for expression in expressions]
    database.compile(expressions=encoded, ids=list(range(len(encoded))), elements=len(encoded))
    if time.perf_counter() - started > WORTH_KEEPING:
        cache.write(name, version, hyperscan.dumpb(database))
    return database
