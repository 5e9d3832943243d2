"""Block Kit for coordinators: /heart help, the engagement report, refusals, and the
compact summary on a coordinator's Home tab."""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.models.blocks import (
    Block,
    DividerBlock,
    InputBlock,
    NumberInputElement,
    PlainTextInputElement,
    UserMultiSelectElement,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks import Message, actions, button, context, header, notice, section
from bot.engagement.attendance import HeldSession, Recorded
from bot.engagement.report import Report, Trend
from bot.small_counts import SECONDARY_NOTE, Tally
from bot.text import escape, truncate

REPORT_ACTION = "heart_report"  # value: the period as typed
CHART_ACTION = "heart_chart"
EXPORT_ACTION = "heart_export"
PERIOD_ACTION = "heart_report_period"  # a menu of common periods
SERIES_ACTION = "heart_report_series"  # a menu of series; value: "series ID"
MAX_MENU_OPTIONS = 100  # Slack's limit for a static select
REPORT_MODAL = "heart_report_modal"
ATTENDANCE_CALLBACK = "heart_attendance"  # the attendance form
MAX_ROWS = 10  # rows shown per breakdown; the export has them all
MAX_FIELDS = 10  # Slack's limit of fields in one section
PERIOD_CHOICES = (
    "last 30 days",
    "this month",
    "last month",
    "this quarter",
    "last quarter",
    "this fiscal year",
    "this grant year",
    "this year",
    "last year",
)
REFUSAL = (
    "`/heart` is the coordinators' toolkit (reports, charts and exports), so it isn't available to you. "
    "If you coordinate HEART sessions, ask an admin to add you as a coordinator."
)
PERIOD_HELP = (
    "*Periods:* `last 30 days` (the default), `this month`, `last month`, `2026-11`, `November 2026`, "
    "`2026-11-01..2026-11-15`, `this year`, `Q1 2027`, `FY2027` (October to September), `grant year 2027`, "
    "or a series by its id or title, alone (its sessions so far) or with a period (`counselor-circle 2026-11`)."
)


def refusal() -> Message:
    """The polite answer to anyone who is not a coordinator: no figure, no hint of one."""
    return notice(REFUSAL)


def series_text(series: Mapping[str, str]) -> str:
    """The series coordinators can report on, by id and title (``series``: title by id)."""
    if not series:
        return "*Series:* none yet. Add a session and its series appears here."
    lines = [f"• `{escape(key)}`: {escape(title)}" for key, title in sorted(series.items())]
    return truncate("*Series* (type the id or the title):\n" + "\n".join(lines), 2900)


def help_message(threshold: int, series: Mapping[str, str] | None = None) -> Message:
    """``/heart`` alone: what coordinators can ask for (``threshold``: see SMALL_COUNT_THRESHOLD;
    ``series``: title by id, listed so a series report can be asked for by name)."""
    return Message(
        text="heart-bot for coordinators: /heart report, /heart chart, /heart export",
        blocks=[
            header("heart-bot for coordinators"),
            section(
                "`/heart report [period]`: engagement at a glance (only you see it).\n"
                "`/heart chart [period]`: RSVPs, participation and share-outs per session, as a picture in your DM.\n"
                "`/heart export [period]`: CSV files (sessions, RSVP counts, share-outs, daily figures, connections) "
                "in your DM.\n"
                "`/heart summary [period]`: the figures funders ask for, and a one-page summary (HTML, chart "
                "included) in your DM to print or attach to a grant report.\n"
                "`/heart attendance`: record who came to a session: a headcount, members present, or the "
                "participants list from Zoom or Teams.\n"
                "`/heart help`: this message."
            ),
            section(PERIOD_HELP),
            section(series_text(series or {})),
            context(_suppression(threshold) + " The same report is on the command line: `python -m bot report`."),
        ],
    )


def problem(text: str) -> Message:
    """A period the bot could not read, or another problem the coordinator can fix (each message
    says what would do instead: the periods it reads, the series there are)."""
    return notice(escape(text))


def on_its_way(what: str, report: Report) -> Message:
    """Confirms that a chart or export is being sent by DM."""
    return notice(f"Your {what} for *{escape(report.period.label)}* is on its way to your direct messages with heart-bot.")


def report_blocks(report: Report, *, with_actions: bool = True, series: Mapping[str, str] | None = None) -> list[Block]:
    """The whole report as blocks (for a message or a modal); ``series`` (title by id) fills the series menu."""
    period = escape(report.period.label)
    blocks: list[Block] = [
        header("Engagement report"),
        context(f"*{period}* · compared with {report.period.before} ({escape(report.previous.dates)})"),
    ]
    trend = {t.name: t for t in report.trend}
    fields = [_field(name, value, trend.get(name)) for name, value in report.headline()]
    for start in range(0, len(fields), MAX_FIELDS):
        blocks.append(SectionBlock(fields=fields[start : start + MAX_FIELDS]))
    for title, rows in report.breakdowns():
        blocks.append(DividerBlock())
        blocks.append(section(f"*{escape(title)}*\n{_rows(rows)}"))
    blocks.append(context(_footnote(report)))
    if report.kept_note:
        blocks.append(context(escape(report.kept_note)))
    if with_actions:
        blocks.append(report_actions(_period_value(report), series))
    return blocks


def report_message(report: Report, series: Mapping[str, str] | None = None) -> Message:
    """The report as an ephemeral message (``/heart report``)."""
    summary = ", ".join(f"{name}: {value}" for name, value in report.headline()[:8])
    return Message(text=f"Engagement report, {escape(report.period.label)}. {summary}", blocks=report_blocks(report, series=series))


def report_modal(report: Report | None, series: Mapping[str, str] | None = None) -> View:
    """The report in a modal (from the Home tab); ``None`` shows that it is being computed."""
    blocks = report_blocks(report, with_actions=True, series=series) if report else [section("Counting… one moment.")]
    return View(type="modal", callback_id=REPORT_MODAL, title="Engagement report", close="Close", blocks=blocks)


def report_actions(period: str, series: Mapping[str, str] | None = None) -> Block:
    """Chart, export, a menu of other periods and, when there are series, a menu of series."""
    menu = StaticSelectElement(
        action_id=PERIOD_ACTION,
        placeholder=PlainTextObject(text="Another period"),
        options=[Option(text=choice.capitalize(), value=choice) for choice in PERIOD_CHOICES],
    )
    elements: list = [button("Chart to my DM", CHART_ACTION, period), button("Export CSV to my DM", EXPORT_ACTION, period), menu]
    if series:
        by_title = sorted(series.items(), key=lambda item: item[1].casefold())[:MAX_MENU_OPTIONS]
        elements.append(
            StaticSelectElement(
                action_id=SERIES_ACTION,
                placeholder=PlainTextObject(text="A series, so far"),
                options=[Option(text=truncate(title, 75), value=f"series {key}") for key, title in by_title],
            )
        )
    return actions(elements)


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
        context(f"Engagement, *{escape(report.period.label)}* · compared with {report.period.before}"),
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
    change = f"  _{escape(trend.note)}_" if trend and trend.note else ""
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
    return f"Counts from 1 to {threshold - 1} are shown as &lt;{threshold} so no member can be singled out. {SECONDARY_NOTE}"


def _footnote(report: Report) -> str:
    parts = [
        _suppression(report.threshold),
        "Members engaged: anyone who used heart-bot in the period (anonymous share-outs cannot be counted).",
        "Repeat participants: members who RSVP'd going to, or shared out about, two or more sessions.",
        "Took part (per session): RSVP'd going or shared out about it under their name; not a headcount.",
        "Monthly connections: the rounds that started in the period; a share is hidden when a count behind it is small.",
    ]
    return " ".join(parts)


def summary_message(report: Report) -> Message:
    """``/heart summary``: the figures funders ask for, each with what it means (the one-page
    HTML follows by DM)."""
    lines = [f"*{escape(name)}:* {escape(value)}  _{escape(what)}_" for name, value, what in report.funder_figures()]
    for title, rows in report.reach():
        lines.append(f"*{escape(title)}:* " + (", ".join(f"{escape(r.label)} {escape(r.shown)}" for r in rows) or "none"))
    blocks: list[Block] = [
        header("Engagement summary"),
        context(f"*{escape(report.period.label)}*"),
        section(truncate("\n".join(lines), 2900)),
        context(
            _suppression(report.threshold) + " The one-page summary (HTML, chart included) is on its way to your DM: "
            "open it in a browser, then print it or save it as a PDF."
        ),
    ]
    if report.sessions_held and not report.sessions_recorded:  # for the coordinator, not the funder's page
        blocks.append(context("No headcount is recorded for these sessions yet: record one with `/heart attendance`."))
    if report.kept_note:
        blocks.append(context(escape(report.kept_note)))
    return Message(text=f"Engagement summary, {escape(report.period.label)}", blocks=blocks)


# ----------------------------------------------------------------------------- attendance


class AttendanceField:
    """The attendance form's block ids."""

    SESSION = "attendance_session"
    HEADCOUNT = "attendance_headcount"
    PRESENT = "attendance_present"
    PARTICIPANTS = "attendance_participants"


def attendance_modal(sessions: list[HeldSession]) -> View:
    """The attendance form: a held session, then any of a headcount, members present, or a pasted
    participants export. Says what becomes of each."""
    if not sessions:
        text = "No session has been held in the last four months, so there is no attendance to record yet."
        return View(type="modal", callback_id=ATTENDANCE_CALLBACK, title="Attendance", close="Close", blocks=[section(text)])
    options = [Option(text=truncate(s.label, 75), value=s.id) for s in sessions]
    blocks: list[Block] = [
        context(
            "Record who really came. Fill in any of the three; reports show attendance only as counts, "
            "small ones hidden. Members you mark present can see it in their data download."
        ),
        InputBlock(
            block_id=AttendanceField.SESSION,
            label="Session",
            element=StaticSelectElement(action_id=AttendanceField.SESSION, options=options, initial_option=options[0]),
        ),
        InputBlock(
            block_id=AttendanceField.HEADCOUNT,
            label="Headcount",
            hint="Everyone present, members of this Slack or not.",
            optional=True,
            element=NumberInputElement(action_id=AttendanceField.HEADCOUNT, is_decimal_allowed=False, min_value="0"),
        ),
        InputBlock(
            block_id=AttendanceField.PRESENT,
            label="Members present",
            optional=True,
            element=UserMultiSelectElement(action_id=AttendanceField.PRESENT, placeholder="Add members"),
        ),
        InputBlock(
            block_id=AttendanceField.PARTICIPANTS,
            label="Participants list (Zoom or Teams)",
            hint="Paste the participants export (CSV). Each person is counted once; members are matched by email or full name.",
            optional=True,
            element=PlainTextInputElement(action_id=AttendanceField.PARTICIPANTS, multiline=True, max_length=3000),
        ),
    ]
    return View(
        type="modal", callback_id=ATTENDANCE_CALLBACK, title="Attendance", submit="Record", close="Cancel", blocks=blocks
    )


def attendance_recorded_text(recorded: Recorded) -> str:
    """What was recorded, in one paragraph (the CLI prints the same)."""
    people = f"{recorded.headcount} {'person' if recorded.headcount == 1 else 'people'}"
    text = f"Recorded: {people} at *{recorded.occurrence_id}*, {recorded.members_present} of them marked as members."
    if recorded.matched or recorded.unmatched:
        text += (
            f" From the participants list: {recorded.matched} matched to members, "
            f"{recorded.unmatched} counted without being matched."
        )
    return text


def attendance_done_view(text: str) -> View:
    """The attendance form's outcome."""
    return View(type="modal", callback_id=ATTENDANCE_CALLBACK, title="Attendance", close="Done", blocks=[section(text)])


# ----------------------------------------------------------------------------- the pulse

PULSE_SCORE_ACTION = "pulse_score"  # value: "<occurrence id>|<1-5>"
PULSE_TRY_ACTION = "pulse_try"  # value: occurrence id
PULSE_TRY_CALLBACK = "pulse_try_form"  # private_metadata: occurrence id
PULSE_TRY_FIELD = "pulse_try_text"
_SCORE_WORDS = {1: "1 · not useful", 2: "2", 3: "3", 4: "4", 5: "5 · very useful"}


def pulse_message(occurrence_id: str, title: str) -> Message:
    """The DM after a session: one tap, anonymous, optional."""
    lead = f"*How useful was today's {escape(title)}?* One tap, 1 to 5."
    buttons = [button(_SCORE_WORDS[n], PULSE_SCORE_ACTION, f"{occurrence_id}|{n}") for n in range(1, 6)]
    return Message(
        text=f"How useful was today's {escape(title)}? One tap, 1 to 5.",
        blocks=[
            section(lead),
            actions(buttons),
            context(
                "Optional and anonymous: your answer is kept without your name and shown to coordinators only "
                "as a total with others' (and not at all until enough people answer)."
            ),
        ],
    )


def pulse_thanks(occurrence_id: str, recorded: bool) -> Message:
    """After the tap: thanks, and the optional "one thing I'll try"."""
    text = "Thank you, that's noted, without your name." if recorded else "You've already answered for this session. Thank you!"
    return Message(
        text=text,
        blocks=[
            section(text),
            actions([button("Add one thing I'll try", PULSE_TRY_ACTION, occurrence_id)]),
            context("Also anonymous: coordinators see only how many people named something to try."),
        ],
    )


def pulse_try_modal(occurrence_id: str) -> View:
    """The optional "one thing I'll try"."""
    field = InputBlock(
        block_id=PULSE_TRY_FIELD,
        label="One thing I'll try",
        element=PlainTextInputElement(action_id=PULSE_TRY_FIELD, max_length=300, placeholder="e.g. a two-minute check-in"),
    )
    note = context("Kept without your name. Coordinators see only how many people named something to try.")
    return View(
        type="modal",
        callback_id=PULSE_TRY_CALLBACK,
        title="One thing I'll try",
        submit="Save",
        close="Cancel",
        private_metadata=occurrence_id,
        blocks=[field, note],
    )


def pulse_done_view(text: str) -> View:
    """The "one thing I'll try" form's outcome."""
    return View(type="modal", callback_id=PULSE_TRY_CALLBACK, title="Thank you", close="Done", blocks=[section(text)])
