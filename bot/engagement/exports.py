"""CSV exports for coordinators: sessions, RSVP counts, share-outs, daily figures and monthly
connections' rounds of a period.

Share-outs carry their text only where the author let coordinators read it (and it has
not been removed by retention), and a member id only where the author chose to be
known: never for "anonymous to everyone" nor for "anonymously in the channel", and
never the keyed author hash. A share-out that keeps only its day (anonymous to everyone)
shows its date alone, and comes first in its day, in no order of time: listed among the
others by time, its place would say when it was written. Cells that a spreadsheet would
run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot import coarse
from bot.engagement.periods import Period
from bot.engagement.report import VISIBILITY_LABELS, Detail, Labels, Report, detail_of
from bot.store import Store

# Visibilities whose text coordinators may read. A visibility not listed here (a future
# "only me", say) exports no text until someone decides it should.
TEXT_FOR_COORDINATORS = frozenset({"coordinators", "channel_anonymous", "channel_named", "anonymous"})
# Visibilities whose author chose to be known to coordinators by name.
NAMED = frozenset({"coordinators", "channel_named"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFile:
    """One CSV file: its name and UTF-8 content."""

    name: str
    content: bytes

    @property
    def rows(self) -> int:
        """Data rows (without the header)."""
        return max(0, len(list(csv.reader(io.StringIO(self.content.decode("utf-8-sig"))))) - 1)


def export(store: Store, report: Report, labels: Labels | None = None) -> list[ExportFile]:
    """The five CSV files for ``report``'s period: sessions, RSVPs, share-outs, daily figures, connections."""
    prefix = _prefix(report.period)
    labels = labels or Labels()
    detail = detail_of(store, report)
    return [
        _file(f"{prefix}-sessions.csv", *_sessions(report)),
        _file(f"{prefix}-rsvps.csv", *_rsvps(report, detail)),
        _file(f"{prefix}-shareouts.csv", *_shareouts(store, report.period, labels)),
        _file(f"{prefix}-daily.csv", *_daily(detail)),
        _file(f"{prefix}-connections.csv", *_connections(report, detail)),
    ]


def _prefix(period: Period) -> str:
    last = period.day_starts()[-1].date()
    series = f"-{period.series_id}" if period.series_id else ""
    return f"heart{series}-{period.start_day.isoformat()}_{last.isoformat()}"


def _file(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> ExportFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    # A byte-order mark lets spreadsheet programs read the UTF-8 (accents, dashes) correctly.
    return ExportFile(name, buffer.getvalue().encode("utf-8-sig"))


def _cell(value: Any) -> Any:
    """Members' words and titles as text a spreadsheet will not evaluate."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _local(timestamp: float | None, period: Period) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).astimezone(period.tz).isoformat(timespec="minutes")


def _sessions(report: Report) -> tuple[list[str], list[list[Any]]]:
    header = ["session_id", "series_id", "title", "starts_at", "timezone", "status", "held"]
    header += ["rsvps_going", "rsvps_not_going", "took_part", "attended_recorded", "shareouts"]
    rows = [
        [
            row.id,
            row.series_id,
            row.title,
            _local(row.starts_at.timestamp(), report.period),
            report.period.timezone,
            row.status,
            "yes" if row.held else "no",
            row.going.shown,
            row.not_going.shown,
            row.took_part.shown,
            row.attended.shown,
            row.shareouts.shown,
        ]
        for row in report.sessions
    ]
    return header, rows


def _rsvps(report: Report, detail: Detail) -> tuple[list[str], list[list[Any]]]:
    """RSVPs as counts per session and answer: coordinators see members' RSVPs only as counts
    (Home's *Your data* says so), so no member id is exported, and small counts are hidden."""
    header = ["session_id", "session_starts_at", "response", "members"]
    starts = {row.id: _local(row.starts_at.timestamp(), report.period) for row in report.sessions}
    rows = [[row.occurrence_id, starts.get(row.occurrence_id, ""), row.members.key, row.members.shown] for row in detail.rsvps]
    rows.sort(key=lambda row: (row[1], row[0], row[2]))
    return header, rows


def _shareouts(store: Store, period: Period, labels: Labels) -> tuple[list[str], list[list[Any]]]:
    header = ["shareout_id", "created_at", "session_id", "sector", "themes", "visibility", "user_id", "text"]
    db = store.db
    if not db["shareouts"].exists():
        return header, []
    series = " and s.occurrence_id in (select id from occurrences where series_id = :series)" if period.series_id else ""
    themes = (
        "(select group_concat(theme, ';') from shareout_themes where shareout_id = s.id)"
        if db["shareout_themes"].exists()
        else "''"
    )
    found = db.execute(
        f"select s.id, s.created_at, s.occurrence_id, s.sector, {themes}, s.visibility, s.user_id, s.text "
        f"from shareouts s where s.created_at >= :lo and s.created_at < :hi{series} order by s.created_at, s.id",
        {"lo": period.start_ts, "hi": period.end_ts, "series": period.series_id},
    )
    rows = []
    for shareout_id, created_at, occurrence_id, sector, theme_ids, visibility, user_id, text in found:
        theme_names = "; ".join(labels.themes.get(theme, theme) for theme in sorted((theme_ids or "").split(";")) if theme)
        day_only = coarse.is_day(created_at)
        when = coarse.date_of(created_at).isoformat() if day_only else _local(created_at, period)
        rows.append(
            [
                (when[:10], not day_only, created_at, shareout_id),  # the order: see the module's docstring
                shareout_id,
                when,
                occurrence_id,
                labels.sectors.get(sector, sector) if sector else "",
                theme_names,
                VISIBILITY_LABELS.get(visibility, visibility),
                user_id if visibility in NAMED else "",
                text if visibility in TEXT_FOR_COORDINATORS else "",
            ]
        )
    return header, [row[1:] for row in sorted(rows, key=lambda row: row[0])]


def _daily(detail: Detail) -> tuple[list[str], list[list[Any]]]:
    header = ["date", "members_engaged", "shareouts", "glossary_lookups", "glossary_misses", "tipsheet_views"]
    header.append("safety_net_triggers")
    rows = [
        [
            day.day,
            day.members_engaged.shown,
            day.shareouts.shown,
            day.glossary_lookups.shown,
            day.glossary_misses.shown,
            day.tipsheet_views.shown,
            day.safety_net.shown,
        ]
        for day in detail.days
    ]
    return header, rows


def _connections(report: Report, detail: Detail) -> tuple[list[str], list[list[Any]]]:
    """One row per monthly connections round that started in the period (small counts suppressed)."""
    header = ["round", "started_at", "pairs_made", "members_introduced", "met_share", "cross_sector_share", "returning_members"]
    rows = [
        [row.round_id, _local(row.started.timestamp(), report.period), *(tally.shown for tally in row.figures)]
        for row in detail.rounds
    ]
    return header, rows
