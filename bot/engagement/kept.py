"""A closed period's figures, kept as first exported, so that what a funder was handed stays true.

A member who deletes their data takes their id off everything (:mod:`bot.members.data`): their
share-outs and RSVPs go, and who they were can no longer be told apart from anyone else, so the
counts of distinct members of a period already reported (members engaged, took part, reached by
sector) would shrink. Counting them on would need a stand-in id that ties all of their past
activity together, which is a trace of them. Instead, the first export of a closed period (one
that ended before now: the funder summary, the CSV files, the chart, or ``python -m bot report``)
keeps its figures, as shown, in ``kept_figures``: small counts already hidden, no member id, no
member's words. Every later report of the same days (and series, and small-count threshold),
in Slack or at the terminal, shows those figures and says when they were kept. A period still
running is always counted afresh. ``python -m bot report --recompute`` counts a closed period
again and keeps the new figures in place of the old (after a late headcount, say).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import UTC, date, datetime
from typing import Any

import sqlite_utils

from bot.config import Settings
from bot.engagement.periods import Period, parse_period
from bot.engagement.report import Labels, Report, compute, detail_of, series_catalog
from bot.store import Store

migrations = sqlite_utils.Migrations("heart.engagement.kept")


@migrations()
def create_kept_figures(db: sqlite_utils.Database) -> None:
    db["kept_figures"].create({"key": str, "kept_at": float, "figures": str}, pk="key")


def report_for(
    store: Store,
    settings: Settings,
    labels: Labels,
    text: str = "",
    now: datetime | None = None,
    *,
    export: bool = False,
    recompute: bool = False,
) -> Report:
    """The report for a period typed by a coordinator (Slack and the CLI both call this): a closed
    period's kept figures if it was exported before, else counted now.

    :param export: the figures leave heart-bot (a file, a summary, the terminal): a closed
        period's are kept from now on, if they were not already.
    :param recompute: count a closed period afresh and keep the new figures in place of the old.
    :raises PeriodError: when ``text`` is not a period (the message says what works).
    """
    now = now or datetime.now(UTC)
    period = parse_period(text, now, settings.timezone, series_catalog(store), grant_start_month=settings.grant_year_start_month)
    threshold = settings.small_count_threshold
    closed = period.end <= now
    if closed and not recompute and (found := _kept(store, period, threshold)) is not None:
        return found
    report = compute(store, period, threshold=threshold, labels=labels, now=now)
    if not (closed and (export or recompute)):
        return report
    report = dataclasses.replace(report, detail=detail_of(store, report), kept_at=now)
    figures = json.dumps(dataclasses.asdict(report), default=_plain, ensure_ascii=False)
    with store.transaction() as db:
        verb = "replace" if recompute else "ignore"  # two exports at once: the first one kept wins
        db.execute(
            f"insert or {verb} into kept_figures (key, kept_at, figures) values (?, ?, ?)",
            [_key(period, threshold), now.timestamp(), figures],
        )
    return _kept(store, period, threshold) or report


def _kept(store: Store, period: Period, threshold: int) -> Report | None:
    """The kept figures of ``period``, labelled as it was asked for now, or None."""
    if not store.db["kept_figures"].exists():
        return None
    row = store.db.execute("select figures from kept_figures where key = ?", [_key(period, threshold)]).fetchone()
    if row is None:
        return None
    report = _decode(Report, json.loads(row[0]))
    # The same days, maybe asked for in other words ("last month", "2026-11"): say them as asked.
    return dataclasses.replace(report, period=period, previous=period.previous())


def _key(period: Period, threshold: int) -> str:
    return f"{period.series_id or ''}|{period.start_day}|{period.end_day}|{period.timezone}|{threshold}"


def _plain(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"can't keep {type(value).__name__}")


def _decode(kind: Any, value: Any) -> Any:
    """``value`` (read back from JSON) as ``kind``: dataclasses, tuples, optionals, dates and times."""
    if value is None:
        return None
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        return kind(**{f.name: _decode(hints[f.name], value[f.name]) for f in dataclasses.fields(kind) if f.name in value})
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return _decode(next(arg for arg in args if arg is not type(None)), value)
    if origin is tuple:
        return tuple(_decode(args[0], item) for item in value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    return value
