"""/tipsheet: list the tip sheets, open one (page by page), share it in the channel."""

from __future__ import annotations

import re

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond

from bot import events
from bot.blocks import notice
from bot.library import tipsheet_blocks as blocks
from bot.runtime import Heart
from handlers.common import after_ack, heart_of, reply_json
from handlers.payloads import Click, Command


def register(app: App) -> None:
    """Listen for /tipsheet and its buttons."""
    app.command("/tipsheet")(tipsheet_command)
    app.action(re.compile(rf"^({blocks.OPEN_ACTION}|{blocks.SHARE_ACTION})(:|$)"))(tipsheet_clicked)


def tipsheet_command(ack: Ack, command: dict, context: BoltContext) -> BoltResponse | None:
    """/tipsheet: the list, or the sheet the member named (a whole sheet's first page is returned
    as the acknowledgement)."""
    heart = heart_of(context)
    request = Command.from_payload(command)
    if request.verb in ("", "list", "help"):
        ack(blocks.list_message(heart.tipsheets.sheets).to_dict())
        return None
    found = heart.tipsheets.find(request.text, crisis=heart.content.shareout.crisis.is_crisis_topic(request.text))
    if found.sheet is None:
        ack(blocks.not_found_message(request.text, heart.tipsheets.sheets, found.candidates).to_dict())
        return None
    heart.record(events.Event(events.TIPSHEET_VIEW, request.user_id, found.sheet.slug))
    if found.section:
        ack(blocks.section_message(found.sheet, found.section).to_dict())
        return None
    return reply_json(blocks.sheet_reply(found.sheet))


def tipsheet_clicked(ack: Ack, action: dict, body: dict, respond: Respond, context: BoltContext) -> None:
    """Open a sheet (or one of its pages), or share it in the channel (after the ack)."""
    ack()
    heart, click = heart_of(context), Click.from_payload(action, body)
    after_ack(context, body, lambda: _open_or_share(heart, click, respond))


def _open_or_share(heart: Heart, click: Click, respond: Respond) -> None:
    slug, _, page = click.value.partition(":")
    sheet = heart.tipsheets.get(slug)
    if sheet is None:
        respond(notice("That tip sheet is no longer available. Try `/tipsheet`.").to_response())
        return
    page_number = int(page) if page.isdigit() else 1
    if click.action_id.startswith(blocks.SHARE_ACTION):
        shared = blocks.sheet_message(sheet, page_number, shared_by=click.user_id)
        respond(shared.to_response())
        return
    heart.record(events.Event(events.TIPSHEET_VIEW, click.user_id, sheet.slug))
    respond(blocks.sheet_message(sheet, page_number).to_response())
