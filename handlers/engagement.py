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
from bot.engagement import blocks, charts, exports
from bot.engagement.report import Report, report_for
from bot.errors import HeartError
from bot.runtime import Heart
from bot.sessions.blocks import ADD_ACTION, HOME
from handlers.common import after_ack, coordinator_click, heart_of
from handlers.direct import send_files
from handlers.home import HomeSection, HomeVisit, add_section
from handlers.payloads import Click, Command

log = logging.getLogger(__name__)

VERBS = ("help", "report", "chart", "export")
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
    app.action(blocks.PERIOD_ACTION)(period_chosen)
    app.action(re.compile(rf"^({blocks.CHART_ACTION}|{blocks.EXPORT_ACTION})$"))(send_clicked)


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
    """Another period chosen from a report's menu: the report redrawn where it is (after the ack)."""
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
        reply(blocks.help_message(heart.settings.small_count_threshold))
    elif verb == "report":
        _report(heart, reply, period)
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
            client.views_update(view_id=opened["view"]["id"], view=blocks.report_modal(report))
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
        client.views_update(view_id=click.view_id, view=blocks.report_modal(report))
    else:
        reply(blocks.report_message(report), replace_original=True)


def _send_clicked(heart: Heart, action: dict, body: dict, respond: Any, client: WebClient) -> None:
    if (checked := _coordinator_click(heart, action, body, respond)) is None:
        return
    click, reply = checked
    verb = "chart" if click.action_id == blocks.CHART_ACTION else "export"
    _send_by_dm(heart, client, reply, click.user_id, verb, click.value)


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


def _compute(heart: Heart, reply: Reply, period: str) -> Report | None:
    """The report for ``period``, or None after telling the coordinator what was wrong."""
    try:
        return report_for(heart.store, heart.settings, heart.labels, period)
    except HeartError as error:  # a period the parser could not read
        reply(blocks.problem(str(error)))
        return None


def _report(heart: Heart, reply: Reply, period: str) -> None:
    report = _compute(heart, reply, period)
    if report is not None:
        reply(blocks.report_message(report))


def _send_by_dm(heart: Heart, client: WebClient, reply: Reply, user_id: str, verb: str, period: str) -> None:
    """Compute, render and upload a chart or the CSV exports to the coordinator's DM."""
    report = _compute(heart, reply, period)
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
        send_files(client, user_id, uploads, f"Your {what} for {report.period.label}.")
    except SlackApiError as error:
        log.warning("could not send the %s to %s: %s", what, user_id, error.response.get("error"))
        reply(notice(f"Sorry, Slack would not take the {what} just now, so nothing was sent. Please try again in a moment."))
        return
    log.info("sent the %s (%d files) to coordinator %s", what, len(uploads), user_id)
