"""Files worth computing once per machine rather than at every start, kept in a cache folder.

Each file is named by what it holds and a key: a hash of everything it was computed from
(the code that computed it, the files it read, the libraries' versions), so a changed input
is computed afresh and a stale file is never read. Nothing but speed depends on the cache: a
folder that can't be read or written (a read-only disk) is as if it were empty.

The folder is ``HEART_CACHE_DIR``, else ``$XDG_CACHE_HOME/heart-bot``, else
``~/.cache/heart-bot``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
import threading
from pathlib import Path
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

KEPT_VERSIONS = 4  # of each name, the most recently used: room for a few releases or checkouts side by side


def folder() -> Path:
    """Where cached files are kept."""
    if explicit := os.environ.get("HEART_CACHE_DIR", "").strip():
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "heart-bot"


def key(*parts: str | bytes) -> str:
    """A short hash of ``parts`` (each length-prefixed, so ``("ab", "c")`` and ``("a", "bc")`` differ)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()[:32]


def read(name: str, version: str) -> bytes | None:
    """The bytes cached as ``name`` for ``version`` (a :func:`key`), or None."""
    path = folder() / f"{name}-{version}"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        os.utime(path)  # used now: the last of the versions to be removed
    except OSError:
        pass
    return data


def write(name: str, version: str, data: bytes) -> None:
    """Keep ``data`` as ``name`` for ``version``, with the :data:`KEPT_VERSIONS` - 1 other versions
    of ``name`` used most recently (the others are removed).

    Written to a temporary file and renamed, so a reader (another process starting at the same
    moment) sees the whole file or none of it.
    """
    where = folder()
    try:
        where.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=where, prefix=f".{name}-")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, where / f"{name}-{version}")
        versions = [path for path in where.glob(f"{name}-*") if len(path.name) == len(name) + 1 + len(version)]
        versions.sort(key=lambda path: path.stat().st_mtime, reverse=True)
        for older in versions[KEPT_VERSIONS:]:
            older.unlink(missing_ok=True)
    except OSError as error:  # a read-only or full disk: computed again next time
        log.debug("could not cache %s in %s: %s", name, where, error)


class Unpickled(Generic[T]):
    """A value that a cached file holds still pickled until it is first asked for.

    For a value that costs more to unpickle than a start should wait for (the safety net
    rebuilds its indexes): the file is read whole, and the value is unpickled by whichever
    thread asks first, once (the others wait for it). Pickled again, it keeps the bytes it was
    given, or pickles its value once unpickled.
    """

    def __init__(self, value: T | None = None, *, pickled: bytes | None = None):
        if (value is None) == (pickled is None):
            raise ValueError("give either a value or its pickled bytes")
        self._value = value
        self._pickled = pickled
        self._lock = threading.Lock()

    def get(self) -> T:
        """The value (unpickled now, if this is the first time)."""
        if self._pickled is not None:
            with self._lock:
                if self._pickled is not None:
                    self._value = pickle.loads(self._pickled)  # noqa: S301 (bytes this code pickled)
                    self._pickled = None
        return self._value  # type: ignore[return-value]

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        pickled = self._pickled if self._pickled is not None else pickle.dumps(self._value, protocol=pickle.HIGHEST_PROTOCOL)
        return _unpickled_later, (pickled,)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unpickled) and self.get() == other.get()

    def __hash__(self) -> int:
        return hash(self.get())


def _unpickled_later(pickled: bytes) -> Unpickled:
    return Unpickled(pickled=pickled)
