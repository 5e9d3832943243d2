"""Block Kit for coordinators: /heart help, the engagement report, refusals, and the
compact summary on a coordinator's Home tab."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    DividerBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks import Message, actions, button, context, header, notice, section
from bot.engagement.report import Report, Tally, Trend
from bot.text import escape, truncate

REPORT_ACTION = "heart_report"  # value: the period as typed
CHART_ACTION = "heart_chart"
EXPORT_ACTION = "heart_export"
PERIOD_ACTION = "heart_report_period"  # a menu of common periods
REPORT_MODAL = "heart_report_modal"
MAX_ROWS = 10  # rows shown per breakdown; the export has them all
MAX_FIELDS = 10  # Slack's limit of fields in one section
PERIOD_CHOICES = ("last 30 days", "this month", "last month", "this year", "last year")
REFUSAL = (
    "`/heart` is the coordinators' toolkit (reports, charts and exports), so it isn't available to you. "
    "If you coordinate HEART sessions, ask an admin to add you as a coordinator."
)
PERIOD_HELP = (
    "*Periods:* `last 30 days` (the default), `this month`, `last month`, `2026-11`, `November 2026`, "
    "`2026-11-01..2026-11-15`, `this year`, or a series id (`peer-hour`, or `peer-hour 2026-11`)."
)


def refusal() -> Message:
    """The polite answer to anyone who is not a coordinator: no figure, no hint of one."""
    return notice(REFUSAL)


def help_message(threshold: int) -> Message:
    """``/heart`` alone: what coordinators can ask for (``threshold``: see SMALL_COUNT_THRESHOLD)."""
    return Message(
        text="heart-bot for coordinators: /heart report, /heart chart, /heart export",
        blocks=[
            header("heart-bot for coordinators"),
            section(
                "`/heart report [period]`: engagement at a glance (only you see it).\n"
                "`/heart chart [period]`: RSVPs, attendance and share-outs per session, as a picture in your DM.\n"
                "`/heart export [period]`: CSV files (sessions, RSVPs, share-outs, daily figures, connections) in your DM.\n"
                "`/heart help`: this message."
            ),
            section(PERIOD_HELP),
            context(_suppression(threshold) + " The same report is on the command line: `python -m bot report`."),
        ],
    )


def problem(text: str) -> Message:
    """A period the bot could not read, or another problem the coordinator can fix."""
    return notice(f"{escape(text)}\n{PERIOD_HELP}")


def on_its_way(what: str, report: Report) -> Message:
    """Confirms that a chart or export is being sent by DM."""
    return notice(f"Your {what} for *{escape(report.period.label)}* is on its way to your direct messages with heart-bot.")


def report_blocks(report: Report, *, with_actions: bool = True) -> list[Block]:
    """The whole report as blocks (for a message or a modal)."""
    period = escape(report.period.label)
    blocks: list[Block] = [
        header("Engagement report"),
        context(f"*{period}* · compared with the {report.previous.days} days before ({escape(report.previous.dates)})"),
    ]
    trend = {t.name: t for t in report.trend}
    fields = [_field(name, value, trend.get(name)) for name, value in report.headline()]
    for start in range(0, len(fields), MAX_FIELDS):
        blocks.append(SectionBlock(fields=fields[start : start + MAX_FIELDS]))
    for title, rows in report.breakdowns():
        blocks.append(DividerBlock())
        blocks.append(section(f"*{escape(title)}*\n{_rows(rows)}"))
    blocks.append(context(_footnote(report)))
    if with_actions:
        blocks.append(report_actions(_period_value(report)))
    return blocks


def report_message(report: Report) -> Message:
    """The report as an ephemeral message (``/heart report``)."""
    summary = ", ".join(f"{name}: {value}" for name, value in report.headline()[:8])
    return Message(text=f"Engagement report, {report.period.label}. {summary}", blocks=report_blocks(report))


def report_modal(report: Report | None) -> View:
    """The report in a modal (from the Home tab); ``None`` shows that it is being computed."""
    blocks = report_blocks(report, with_actions=True) if report else [section("Counting… one moment.")]
    return View(type="modal", callback_id=REPORT_MODAL, title="Engagement report", close="Close", blocks=blocks)


def report_actions(period: str) -> Block:
    """Chart, export and a menu of other periods, for the report as shown."""
    menu = StaticSelectElement(
        action_id=PERIOD_ACTION,
        placeholder=PlainTextObject(text="Another period"),
        options=[Option(text=choice.capitalize(), value=choice) for choice in PERIOD_CHOICES],
    )
    return actions([button("Chart to my DM", CHART_ACTION, period), button("Export CSV to my DM", EXPORT_ACTION, period), menu])


def home_section(report: Report, *, add_session_action: str | None = None, block_id: str | None = None) -> list[Block]:
    """The coordinator's part of the Home tab: the last 30 days in a few figures, and buttons."""
    trend = {t.name: t for t in report.trend}
    wanted = ("Sessions held", "RSVPs going", "Members engaged", "Share-outs", "Glossary lookups", "Glossary misses")
    figures = dict(report.headline())
    fields = [_field(name, figures[name], trend.get(name)) for name in wanted if name in figures]
    buttons = [
        button("Full report", REPORT_ACTION, _period_value(report), style="primary"),
        button("Chart to my DM", CHART_ACTION, _period_value(report)),
        button("Export CSV to my DM", EXPORT_ACTION, _period_value(report)),
    ]
    if add_session_action:
        buttons.append(button("Add session", add_session_action))
    return [
        header("For coordinators"),
        context(f"Engagement, *{escape(report.period.label)}* · compared with the {report.previous.days} days before"),
        SectionBlock(fields=fields),
        actions(buttons, block_id=block_id),
    ]


def _period_value(report: Report) -> str:
    """The period as a button value the handlers can read again: its exact days (and series)."""
    period = report.period
    last = period.day_starts()[-1].date()
    days = f"{period.start_day.isoformat()}..{last.isoformat()}"
    return f"series {period.series_id} {days}" if period.series_id else days


def _field(name: str, value: str, trend: Trend | None) -> MarkdownTextObject:
    change = f"  _{trend.change} (was {trend.previous})_" if trend and trend.change != "no change" else ""
    return MarkdownTextObject(text=f"*{name}*\n{escape(value)}{change}")


def _rows(rows: tuple[Tally, ...]) -> str:
    if not rows:
        return "_None in this period._"
    lines = [f"• {escape(truncate(row.label, 80))}: {escape(row.shown)}" for row in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        lines.append(f"_…and {len(rows) - MAX_ROWS} more in the export._")
    return "\n".join(lines)


def _suppression(threshold: int) -> str:
    if threshold <= 1:
        return "Every count is shown exactly (SMALL_COUNT_THRESHOLD=1)."
    return f"Counts from 1 to {threshold - 1} are shown as &lt;{threshold} so no member can be singled out."


def _footnote(report: Report) -> str:
    parts = [
        _suppression(report.threshold),
        "Members engaged: anyone who used heart-bot in the period (anonymous share-outs cannot be counted).",
        "Repeat participants: members who RSVP'd going to, or shared out about, two or more sessions.",
        "Monthly connections: the rounds that started in the period; a share is hidden when a count behind it is small.",
    ]
    return " ".join(parts)
