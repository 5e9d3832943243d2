"""The safety nets: a kind reply to commands nobody handles, and the global error handler.

The error handler logs the failure with ids only (never payload text, which may be a
member's words) and gives the member a kind message instead of Slack's bare error.
"""

from __future__ import annotations

import json
import logging
import re
import traceback

from slack_bolt import Ack, App
from slack_bolt.response import BoltResponse

from bot.blocks import notice
from bot.runtime import Heart
from bot.text import escape

log = logging.getLogger("heart.errors")

SORRY = "Sorry, something went wrong on our side and nothing was changed. Please try again in a moment."


def register(app: App, heart: Heart) -> None:
    """Register the unknown-command reply and the global error handler (last of all)."""

    @app.command(re.compile(r".*"))
    def unknown_command(ack: Ack, command: dict) -> None:
        name = escape(str(command.get("command") or "")[:40])
        ack(notice(f"heart-bot doesn't know `{name}`. Try `/glossary`, `/tipsheet` or `/peerhour`.").to_dict())

    @app.error
    def handle_error(error: Exception, body: dict, response: BoltResponse | None, respond) -> BoltResponse | None:
        log.error(
            "listener failed: %s in %s (team=%s user=%s)\n%s",
            type(error).__name__,
            _where(body),
            (body.get("team") or {}).get("id") if isinstance(body.get("team"), dict) else body.get("team_id"),
            (body.get("user") or {}).get("id") if isinstance(body.get("user"), dict) else body.get("user_id"),
            "".join(traceback.format_tb(error.__traceback__)),
        )
        if response is None:  # already acknowledged: say sorry through the response_url, if any
            if respond is not None:
                try:
                    respond(notice(SORRY).to_response())
                except Exception:  # the apology is best effort; the failure is logged above
                    log.warning("could not send the apology for %s", _where(body))
            return None
        return BoltResponse(
            status=200,
            body=json.dumps(notice(SORRY).to_dict()),
            headers={"content-type": ["application/json;charset=utf-8"]},
        )


def _where(body: dict) -> str:
    """Which listener failed, named by ids only."""
    if body.get("command"):
        return f"command {body['command']}"
    if body.get("type") == "block_actions":
        ids = ",".join(str(a.get("action_id")) for a in body.get("actions") or [] if isinstance(a, dict))
        return f"block_actions {ids}"
    if body.get("type") == "view_submission":
        return f"view_submission {(body.get('view') or {}).get('callback_id')}"
    if body.get("type") == "event_callback":
        return f"event {(body.get('event') or {}).get('type')}"
    return str(body.get("type") or "request")
