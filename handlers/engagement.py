"""/heart for coordinators: help, the engagement report, a chart and CSV exports by DM,
and the report's buttons (also on a coordinator's Home tab).

Every command and every button asks :meth:`bot.runtime.Heart.is_coordinator` first, on the server:
a member who replays a coordinator's button gets the same polite refusal, with no figure.
Work that takes a moment (counting, drawing, uploading) runs after the ack.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot.blocks import Message, notice
from bot.engagement import attendance, blocks, charts, exports, pulse, summary
from bot.engagement.kept import report_for
from bot.engagement.report import Report, series_catalog
from bot.errors import HeartError
from bot.runtime import Heart
from bot.sessions.blocks import ADD_ACTION, HOME
from bot.text import escape
from handlers.common import after_ack, coordinator_click, heart_of, utc_now
from handlers.direct import send_files
from handlers.home import HomeSection, HomeVisit, add_section
from handlers.payloads import Click, Command, Submission

log = logging.getLogger(__name__)

VERBS = ("help", "report", "summary", "chart", "export", "attendance")
HOME_PERIOD = "last 30 days"


class Reply:
    """Where a coordinator reads the bot's answer: the response URL of the message or
    command they used, or nowhere (a click on the Home tab or in a modal, where the DM
    itself is the answer)."""

    def __init__(self, respond: Any, body: dict[str, Any]):
        self._respond = respond if body.get("response_url") else None

    def __call__(self, message: Message, *, replace_original: bool = False) -> None:
        if self._respond is not None:
            self._respond(message.to_response(replace_original=replace_original))


def register(app: App) -> None:
    """Listen for /heart and the coordinator buttons; add the coordinators' Home section."""
    add_section(HomeSection("coordinator", 5, _home_section, coordinators_only=True))
    app.command("/heart")(heart_command)
    app.action(blocks.REPORT_ACTION)(report_clicked)
    app.action(re.compile(rf"^({blocks.PERIOD_ACTION}|{blocks.SERIES_ACTION})$"))(period_chosen)
    app.action(re.compile(rf"^({blocks.CHART_ACTION}|{blocks.EXPORT_ACTION})$"))(send_clicked)
    app.view(blocks.ATTENDANCE_CALLBACK)(attendance_submitted)
    app.action(blocks.PULSE_SCORE_ACTION)(pulse_scored)
    app.action(blocks.PULSE_TRY_ACTION)(pulse_try_clicked)
    app.view(blocks.PULSE_TRY_CALLBACK)(pulse_try_submitted)


def heart_command(ack: Ack, command: dict, respond: Any, client: WebClient, context: BoltContext) -> None:
    """/heart: help, a report, or a chart or the exports by DM (coordinators only)."""
    ack()  # the role check may ask Slack, and a report takes a moment: answer after
    heart, request, reply = heart_of(context), Command.from_payload(command), Reply(respond, command)
    after_ack(context, command, lambda: _heart_command(heart, request, reply, client))


def report_clicked(ack: Ack, action: dict, body: dict, respond: Any, client: WebClient, context: BoltContext) -> None:
    """A report button: the report in place, or in a modal from the Home tab (after the ack)."""
    ack()
    heart = heart_of(context)
    after_ack(context, body, lambda: _report_clicked(heart, action, body, respond, client))


def period_chosen(ack: Ack, action: dict, body: dict, respond: Any, client: WebClient, context: BoltContext) -> None:
    """Another period or a series chosen from a report's menus: the report redrawn where it is (after the ack)."""
    ack()
    heart = heart_of(context)
    after_ack(context, body, lambda: _period_chosen(heart, action, body, respond, client))


def send_clicked(ack: Ack, action: dict, body: dict, respond: Any, client: WebClient, context: BoltContext) -> None:
    """The chart or export button: the files by DM (after the ack)."""
    ack()
    heart = heart_of(context)
    after_ack(context, body, lambda: _send_clicked(heart, action, body, respond, client))


# ----------------------------------------------------------------------------- after the ack


def _heart_command(heart: Heart, request: Command, reply: Reply, client: WebClient) -> None:
    if not heart.is_coordinator(request.user_id):
        log.info("refused /heart for non-coordinator %s", request.user_id)
        reply(blocks.refusal())
        return
    verb, period = request.verb, request.rest
    if verb not in VERBS and request.text:
        verb, period = "report", request.text  # "/heart last month" is a report
    if verb in ("", "help"):
        reply(blocks.help_message(heart.settings.small_count_threshold, _series(heart)))
    elif verb == "report":
        _report(heart, reply, period)
    elif verb == "summary":
        _summary(heart, client, reply, request.user_id, period)
    elif verb == "attendance":
        held = attendance.held_sessions(heart.store, utc_now())
        client.views_open(trigger_id=request.trigger_id, view=blocks.attendance_modal(held))
    else:
        _send_by_dm(heart, client, reply, request.user_id, verb, period)


def _report_clicked(heart: Heart, action: dict, body: dict, respond: Any, client: WebClient) -> None:
    if (checked := _coordinator_click(heart, action, body, respond)) is None:
        return
    click, reply = checked
    if click.trigger_id and not body.get("response_url"):
        # From the Home tab: a modal, opened at once while the trigger is fresh.
        opened = client.views_open(trigger_id=click.trigger_id, view=blocks.report_modal(None))
        report = _compute(heart, reply, click.value)
        if report is not None:
            client.views_update(view_id=opened["view"]["id"], view=blocks.report_modal(report, _series(heart)))
        return
    _report(heart, reply, click.value)


def _period_chosen(heart: Heart, action: dict, body: dict, respond: Any, client: WebClient) -> None:
    if (checked := _coordinator_click(heart, action, body, respond)) is None:
        return
    click, reply = checked
    report = _compute(heart, reply, click.value)
    if report is None:
        return
    if click.view_id and (body.get("view") or {}).get("type") == "modal":
        client.views_update(view_id=click.view_id, view=blocks.report_modal(report, _series(heart)))
    else:
        reply(blocks.report_message(report, _series(heart)), replace_original=True)


def _send_clicked(heart: Heart, action: dict, body: dict, respond: Any, client: WebClient) -> None:
    if (checked := _coordinator_click(heart, action, body, respond)) is None:
        return
    click, reply = checked
    verb = "chart" if click.action_id == blocks.CHART_ACTION else "export"
    _send_by_dm(heart, client, reply, click.user_id, verb, click.value)


def attendance_submitted(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The attendance form's Record: field errors, or record and say what was recorded."""
    heart = heart_of(context)
    submission = Submission.from_payload(body)
    if not heart.is_coordinator(submission.user_id):
        ack(response_action="update", view=blocks.attendance_done_view(blocks.REFUSAL))
        return
    field = blocks.AttendanceField
    session = submission.choice(field.SESSION) or ""
    typed = submission.text(field.HEADCOUNT).strip()
    present = submission.users(field.PRESENT)
    pasted = submission.text(field.PARTICIPANTS)
    if typed and not typed.isdigit():
        ack(response_action="errors", errors={field.HEADCOUNT: "Please type a whole number of people."})
        return
    if not (typed or present or pasted.strip()):
        missing = "Please give a headcount, members present, or a participants list."
        ack(response_action="errors", errors={field.HEADCOUNT: missing})
        return
    ack(response_action="update", view=blocks.attendance_done_view("Recording… one moment."))
    now, by = utc_now(), submission.user_id
    try:
        count = int(typed) if typed else None
        recorded = attendance.record(heart.store, session, by=by, now=now, headcount=count, present=present)
        if pasted.strip():
            directory = _slack_directory(client)
            recorded = attendance.record_participants(heart.store, session, pasted, directory, by=by, now=now)
        text = blocks.attendance_recorded_text(recorded)
    except HeartError as error:
        text = escape(str(error))
    client.views_update(view_id=submission.view_id, view=blocks.attendance_done_view(text))
    log.info("attendance recorded for %s by coordinator %s", session, by)


def pulse_scored(ack: Ack, action: dict, body: dict, respond: Any, context: BoltContext) -> None:
    """A tap on the pulse: keep the answer without the member's name, and thank them."""
    ack()
    heart = heart_of(context)
    click = Click.from_payload(action, body)
    occurrence_id, _, score = click.value.rpartition("|")
    recorded = score.isdigit() and pulse.answer(
        heart.store, occurrence_id, click.user_id, int(score), now=utc_now(), zone=heart.settings.tz
    )
    respond(blocks.pulse_thanks(occurrence_id, bool(recorded)).to_response(replace_original=True))


def pulse_try_clicked(ack: Ack, action: dict, body: dict, client: WebClient, context: BoltContext) -> None:
    """*Add one thing I'll try*: its small form."""
    ack()
    click = Click.from_payload(action, body)
    client.views_open(trigger_id=click.trigger_id, view=blocks.pulse_try_modal(click.value))


def pulse_try_submitted(ack: Ack, body: dict, context: BoltContext) -> None:
    """The "one thing I'll try" form's Save: kept without the member's name (once per session)."""
    heart = heart_of(context)
    submission = Submission.from_payload(body)
    text = submission.text(blocks.PULSE_TRY_FIELD)
    if not text.strip():
        ack(response_action="errors", errors={blocks.PULSE_TRY_FIELD: "Please write one thing, or press Cancel."})
        return
    occurrence_id, user_id, zone = submission.private_metadata, submission.user_id, heart.settings.tz
    kept = pulse.add_try(heart.store, occurrence_id, user_id, text, now=utc_now(), zone=zone)
    words = "Thank you. It's kept without your name." if kept else "You've already added one for this session. Thank you!"
    ack(response_action="update", view=blocks.pulse_done_view(words))


def _slack_directory(client: WebClient) -> dict[str, str]:
    """Members by full name (and by email where Slack gives it), to match a participants list."""
    members = []
    for page in client.users_list(limit=200):
        for user in page.get("members") or []:
            if user.get("deleted") or user.get("is_bot"):
                continue
            profile = user.get("profile") or {}
            names = [user.get("real_name") or "", profile.get("real_name") or "", profile.get("display_name") or ""]
            members.append((user["id"], names, profile.get("email") or ""))
    return attendance.build_directory(members)


def _home_section(heart: Heart, visit: HomeVisit) -> list[Block]:
    """The last 30 days at a glance, with report, chart, export and "Add session" buttons."""
    report = report_for(heart.store, heart.settings, heart.labels, HOME_PERIOD, visit.now)
    # The sessions feature reads the block id's prefix to redraw the Home tab after an add.
    return blocks.home_section(report, add_session_action=ADD_ACTION, block_id=f"{HOME}|heart")


def _coordinator_click(heart: Heart, action: dict, body: dict, respond: Any) -> tuple[Click, Reply] | None:
    """The click and where to answer it, or None after politely refusing a non-coordinator
    (whatever button they pressed or replayed)."""
    reply = Reply(respond, body)
    click = coordinator_click(heart, action, body, lambda _: reply(blocks.refusal()))
    return None if click is None else (click, reply)


def _compute(heart: Heart, reply: Reply, period: str, *, export: bool = False) -> Report | None:
    """The report for ``period``, or None after telling the coordinator what was wrong.

    :param export: the figures leave Slack (a file by DM): a closed period's are kept as they are now.
    """
    try:
        return report_for(heart.store, heart.settings, heart.labels, period, export=export)
    except HeartError as error:  # a period the parser could not read
        reply(blocks.problem(str(error)))
        return None


def _report(heart: Heart, reply: Reply, period: str) -> None:
    report = _compute(heart, reply, period)
    if report is not None:
        reply(blocks.report_message(report, _series(heart)))


def _series(heart: Heart) -> dict[str, str]:
    """The series coordinators can report on: title by id."""
    return {key: info.title for key, info in series_catalog(heart.store).items()}


def _summary(heart: Heart, client: WebClient, reply: Reply, user_id: str, period: str) -> None:
    """The funder figures in place, and the one-page HTML summary by DM."""
    report = _compute(heart, reply, period, export=True)
    if report is None:
        return
    reply(blocks.summary_message(report))
    page = summary.as_html(report, charts.render(report)).encode()
    name = f"heart-summary-{report.period.start_day.isoformat()}_{report.period.day_starts()[-1].date().isoformat()}.html"
    try:
        send_files(client, user_id, [{"file": page, "filename": name, "title": name}], _comment("summary", report))
    except SlackApiError as error:
        log.warning("could not send the summary to %s: %s", user_id, error.response.get("error"))
        reply(notice("Sorry, Slack would not take the summary file just now. Please try again in a moment."))


def _send_by_dm(heart: Heart, client: WebClient, reply: Reply, user_id: str, verb: str, period: str) -> None:
    """Compute, render and upload a chart or the CSV exports to the coordinator's DM."""
    report = _compute(heart, reply, period, export=True)
    if report is None:
        return
    what = "chart" if verb == "chart" else "export"
    reply(blocks.on_its_way(what, report))
    if verb == "chart":
        chart = charts.render(report)
        uploads = [
            {
                "file": chart.png,
                "filename": chart.filename,
                "title": f"Engagement chart, {report.period.label}",
                "alt_txt": chart.alt_text,
            }
        ]
    else:
        files = exports.export(heart.store, report, heart.labels)
        uploads = [{"file": f.content, "filename": f.name, "title": f.name} for f in files]
    try:
        send_files(client, user_id, uploads, _comment(what, report))
    except SlackApiError as error:
        log.warning("could not send the %s to %s: %s", what, user_id, error.response.get("error"))
        reply(notice(f"Sorry, Slack would not take the {what} just now, so nothing was sent. Please try again in a moment."))
        return
    log.info("sent the %s (%d files) to coordinator %s", what, len(uploads), user_id)


def _comment(what: str, report: Report) -> str:
    """The words that come with the files in the coordinator's DM."""
    return escape(" ".join(filter(None, (f"Your {what} for {report.period.label}.", report.kept_note))))
