"""Finding a moment wherever SQLite or a log could keep it: in any row of any table, in the raw
bytes of the database file and its write-ahead log, and in log lines.

A moment is a Unix time between ``lo`` and ``hi`` (seconds), stored in any of the forms the bot
or SQLite could give it: a REAL (8 bytes, big-endian), an integer (4 bytes), milliseconds or
microseconds, digits in text ("1731000000.123456", as in Slack's view hashes and message ts),
or an ISO 8601 date and time. The days kept for anonymous rows (12:00 UTC, see
:mod:`bot.coarse`) are not moments.
"""

from __future__ import annotations

import re
import sqlite3
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot import coarse

_DIGITS = re.compile(r"(?<!\d)1\d{9}(?:\d{3}|\d{6})?(?:\.\d+)?(?!\d)")
_ISO = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?")


@dataclass(frozen=True)
class Window:
    """``[lo, hi]`` in Unix seconds."""

    lo: float
    hi: float

    def holds(self, value: float) -> bool:
        """True when ``value``, read as seconds, milliseconds or microseconds, is a moment in the window."""
        return any(self.lo <= value / scale <= self.hi and not coarse.is_day(value / scale) for scale in (1, 1e3, 1e6))


def in_rows(database: Path, window: Window) -> list[str]:
    """Every value of every table (found in the schema) that is, or holds, a moment in ``window``."""
    found = []
    with sqlite3.connect(database) as db:
        tables = [name for (name,) in db.execute("select name from sqlite_master where type = 'table'")]
        for table in tables:
            columns = [row[1] for row in db.execute(f"pragma table_info([{table}])")]
            for row in db.execute(f"select * from [{table}]"):
                values = zip(columns, row, strict=True)
                found += [f"{table}.{column} = {value!r}" for column, value in values if _holds(value, window)]
    return found


def _holds(value: object, window: Window) -> bool:
    if isinstance(value, int | float):
        return window.holds(float(value))
    if isinstance(value, str):
        return any(window.holds(moment) for moment in _in_text(value))
    return False


def _in_text(text: str) -> Iterator[float]:
    for match in _DIGITS.finditer(text):
        yield float(match.group())
    for match in _ISO.finditer(text):
        try:
            when = datetime.fromisoformat(match.group().replace(" ", "T"))
        except ValueError:  # digits shaped like a date that is none
            continue
        if when.tzinfo is None:  # naive: it could be UTC or this machine's zone
            yield when.replace(tzinfo=UTC).timestamp()
        yield when.timestamp()


def in_bytes(data: bytes, window: Window) -> list[float]:
    """Every moment in ``window`` anywhere in ``data``, at any offset, in any of the forms above."""
    found = []
    # A REAL between 2**30 and 2**31 (2004 to 2038) starts with 0x41 and a byte 0xD0-0xDF.
    for match in re.finditer(rb"(?=\x41[\xd0-\xdf])", data):
        chunk = data[match.start() : match.start() + 8]
        if len(chunk) == 8 and window.holds(value := struct.unpack(">d", chunk)[0]):
            found.append(value)
    lo, hi = int(window.lo), int(window.hi) + 1
    for prefix in {struct.pack(">I", lo)[:2], struct.pack(">I", hi)[:2]}:
        for match in re.finditer(b"(?=" + re.escape(prefix) + b")", data):
            chunk = data[match.start() : match.start() + 4]
            if len(chunk) == 4 and window.holds(value := float(struct.unpack(">I", chunk)[0])):
                found.append(value)
    text = data.decode("latin-1")
    found += [moment for moment in _in_text(text) if window.holds(moment)]
    return found


def files_of(database: Path) -> dict[str, bytes]:
    """The database file and what sits beside it (the write-ahead log, its index), by name."""
    return {path.name: path.read_bytes() for path in sorted(database.parent.glob(database.name + "*"))}
