"""/tipsheet: list the tip sheets, open one (page by page), share it in the channel."""

from __future__ import annotations

import re

from slack_bolt import Ack, App, Respond

from bot import events
from bot.blocks import notice
from bot.library import tipsheet_blocks as views
from bot.runtime import Heart
from handlers.payloads import Click, Command


def register(app: App, heart: Heart) -> None:
    """Listen for /tipsheet and its buttons."""

    @app.command("/tipsheet")
    def tipsheet_command(ack: Ack, command: dict) -> None:
        request = Command.from_payload(command)
        if request.verb in ("", "list", "help"):
            ack(views.list_message(heart.tipsheets.sheets).to_dict())
            return
        found = heart.tipsheets.find(request.text)
        if found.sheet is None:
            ack(views.not_found_message(request.text, heart.tipsheets.sheets, found.candidates).to_dict())
            return
        heart.record(events.Event(events.TIPSHEET_VIEW, request.user_id, found.sheet.slug))
        ack(views.sheet_message(found.sheet).to_dict())

    @app.action(re.compile(rf"^({views.OPEN_ACTION}|{views.SHARE_ACTION})(:|$)"))
    def tipsheet_clicked(ack: Ack, action: dict, body: dict, respond: Respond) -> None:
        ack()
        click = Click.from_payload(action, body)
        slug, _, page = click.value.partition(":")
        sheet = heart.tipsheets.get(slug)
        if sheet is None:
            respond(notice("That tip sheet is no longer available. Try `/tipsheet`.").to_response())
            return
        page_number = int(page) if page.isdigit() else 1
        if click.action_id.startswith(views.SHARE_ACTION):
            shared = views.sheet_message(sheet, page_number, shared_by=click.user_id)
            respond(shared.to_response())
            return
        heart.record(events.Event(events.TIPSHEET_VIEW, click.user_id, sheet.slug))
        respond(views.sheet_message(sheet, page_number).to_response())
