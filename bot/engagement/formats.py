"""The engagement report as text for a terminal: a table, CSV or JSON.

Each face prints :class:`bot.engagement.report.Report` as it is, so the command line shows the
same figures as Slack (small counts already suppressed by the core).
"""

from __future__ import annotations

import csv
import io
import json

from bot.engagement.report import Report
from bot.small_counts import SECONDARY_NOTE


def as_table(report: Report) -> str:
    """The report as aligned plain text (``python -m bot report``)."""
    trend = {t.name: t for t in report.trend}
    lines = [
        f"Engagement report: {report.period.label}",
        f"Compared with {report.period.before} ({report.previous.dates})",
        "",
    ]
    width = max(len(name) for name, _ in report.headline())
    for name, value in report.headline():
        note = f"  {trend[name].note}" if name in trend and trend[name].note else ""
        lines.append(f"{name:<{width}}  {value:>7}{note}")
    for title, rows in report.breakdowns():
        lines += ["", title]
        if not rows:
            lines.append("  (none in this period)")
        label_width = min(60, max((len(row.label) for row in rows), default=0))
        lines += [f"  {row.label[:60]:<{label_width}}  {row.shown:>7}" for row in rows]
    if report.sessions:
        lines += ["", "Sessions", f"  {'date':<16}  {'status':<10}  going  not going  took part      attended  share-outs  title"]
        for row in report.sessions:
            local = row.starts_at.astimezone(report.period.tz)
            lines.append(
                f"  {local:%Y-%m-%d %H:%M}  {'held' if row.held else row.status:<10}  {row.going.shown:>5}  {row.not_going.shown:>9}  "
                f"{row.took_part.shown:>9}  {row.attended.shown:>12}  {row.shareouts.shown:>10}  {row.title}"
            )
    if note := _small_counts(report):
        lines += ["", note]
    if report.kept_note:
        lines += ["", report.kept_note]
    return "\n".join(lines) + "\n"


def as_csv(report: Report) -> str:
    """The report as CSV rows: section, name, value, previous value, change."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "name", "value", "previous", "change"])
    trend = {t.name: t for t in report.trend}
    for name, value in report.headline():
        change = trend.get(name)
        writer.writerow(["summary", name, value, change.was if change else "", change.change if change else ""])
    for title, rows in report.breakdowns():
        writer.writerows([title, row.label, row.shown, "", ""] for row in rows)
    if note := _small_counts(report):
        writer.writerow(["note", note, "", "", ""])
    if report.kept_at:
        writer.writerow(["kept", report.kept_note, report.kept_at.isoformat(), "", ""])
    return buffer.getvalue()


def as_json(report: Report) -> str:
    """The whole report as JSON, with what its hidden counts mean."""
    return json.dumps({**report.to_dict(), "small_counts": _small_counts(report)}, indent=2, ensure_ascii=False) + "\n"


def _small_counts(report: Report) -> str | None:
    """What "<3" and "hidden" mean, for every format that shows them (None when nothing is hidden)."""
    if report.threshold <= 1:
        return None
    return f"Counts from 1 to {report.threshold - 1} are shown as <{report.threshold}. {SECONDARY_NOTE}"


FORMATS = {"table": as_table, "csv": as_csv, "json": as_json}
