"""The funder summary: one printable HTML page a coordinator can attach to a grant report as it is.

It holds the figures funders ask for (:meth:`Report.funder_figures`), the session chart
embedded as an image (no file beside it, nothing fetched from the internet), each session's
figures and the breakdowns. It prints only what the report shows, so every count about
members from 1 to ``threshold - 1`` reads ``<threshold`` here too. Every word from the
database (titles, labels) is escaped.
"""

from __future__ import annotations

import base64
from html import escape

from bot.engagement.charts import Chart
from bot.engagement.report import Report
from bot.small_counts import SECONDARY_NOTE, Tally

_STYLE = """
@page { size: letter; margin: 0.6in; }
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1d1d1d;
       max-width: 7.5in; margin: 0 auto; font-size: 10.5pt; line-height: 1.35; }
h1 { font-size: 17pt; margin: 0 0 2pt; }
h2 { font-size: 12pt; margin: 14pt 0 4pt; border-bottom: 1px solid #bbb; }
.period { color: #444; margin: 0 0 10pt; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 2pt 6pt 2pt 0; vertical-align: top; }
td.n, th.n { text-align: right; white-space: nowrap; }
.figures td.n { font-size: 14pt; font-weight: 600; width: 1.1in; }
.figures td.what { color: #444; }
img { width: 100%; height: auto; margin-top: 6pt; }
.columns { display: flex; gap: 18pt; }
.columns > div { flex: 1; }
.notes { color: #555; font-size: 8.5pt; margin-top: 12pt; }
@media print { h2 { break-after: avoid; } table, img { break-inside: avoid; } }
"""


def as_html(report: Report, chart: Chart, *, community: str = "HEART Collective") -> str:
    """The whole summary as a standalone HTML page."""
    figures = "".join(
        f'<tr><th scope="row">{escape(name)}</th><td class="n">{escape(value)}</td><td class="what">{escape(what)}</td></tr>'
        for name, value, what in report.funder_figures()
    )
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(community)}: engagement summary, {escape(report.period.label)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(community)}: engagement summary</h1>",
        f'<p class="period">{escape(report.period.label)} · generated {report.generated_at:%B} '
        f"{report.generated_at.day}, {report.generated_at.year}</p>",
        "<h2>At a glance</h2>",
        f'<table class="figures">{figures}</table>',
        *_extra_sections(report),
        "<h2>Sessions</h2>",
        f'<img alt="{escape(chart.alt_text)}" src="data:image/png;base64,{base64.b64encode(chart.png).decode()}">',
        _sessions_table(report),
        '<div class="columns">',
        *(f"<div>{_tally_table(title, rows)}</div>" for title, rows in _breakdowns(report)),
        "</div>",
        f'<p class="notes">{escape(_notes(report))}</p>',
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _extra_sections(report: Report) -> list[str]:
    """Sections the report has figures for beyond the headline (participation, the pulse)."""
    return [_tally_table(title, rows, heading=True) for title, rows in report.reach() if rows]


def _breakdowns(report: Report) -> list[tuple[str, tuple[Tally, ...]]]:
    wanted = ("Share-outs by sector", "Share-outs by theme")
    return [(title, rows) for title, rows in report.breakdowns() if title in wanted]


def _sessions_table(report: Report) -> str:
    held = [row for row in report.sessions if row.held]
    if not held:
        return "<p>No session was held in this period.</p>"
    head = (
        '<tr><th>Date</th><th>Session</th><th class="n">RSVPs going</th><th class="n">Took part</th>'
        '<th class="n">Attended</th><th class="n">Share-outs</th></tr>'
    )
    rows = []
    for row in held:
        local = row.starts_at.astimezone(report.period.tz)
        cells = (row.going.shown, row.took_part.shown, row.attended.shown, row.shareouts.shown)
        numbers = "".join(f'<td class="n">{escape(value)}</td>' for value in cells)
        rows.append(f"<tr><td>{local:%b} {local.day}</td><td>{escape(row.title)}</td>{numbers}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _tally_table(title: str, rows: tuple[Tally, ...], *, heading: bool = False) -> str:
    tag = "h2" if heading else "h3"
    if not rows:
        return f"<{tag}>{escape(title)}</{tag}><p>None in this period.</p>"
    body = "".join(f'<tr><td>{escape(row.label)}</td><td class="n">{escape(row.shown)}</td></tr>' for row in rows)
    return f"<{tag}>{escape(title)}</{tag}><table>{body}</table>"


def _notes(report: Report) -> str:
    small = (
        f"Counts about members from 1 to {report.threshold - 1} are shown as <{report.threshold}, "
        f"so that no one can be singled out. {SECONDARY_NOTE}"
        if report.threshold > 1
        else "Every count is shown exactly."
    )
    return (
        f"{small} Took part: members who RSVP'd going to a session or shared out about it under their name; "
        "it is not a headcount. Attended: the headcount a coordinator recorded (from the meeting tool's participants "
        "list, members marked present, or a count). Share-outs made without a name are counted but never linked "
        "to anyone."
        + (f" {report.kept_note}" if report.kept_note else "")
    )
