"""Requests built exactly as Slack builds them: slash commands, button presses, view
submissions and events, form-encoded or JSON, and signed with the signing secret.

The offline shell dispatches them in-process; the tests and the benchmarks send them
over HTTP. Signing uses slack_sdk's own ``SignatureVerifier``.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

TEAM_ID = "THEART"
APP_ID = "AHEART"
FORM = "application/x-www-form-urlencoded"


def signed_headers(signing_secret: str, body: str, content_type: str = FORM, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with ``body``: content type, timestamp and v0 signature."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(signing_secret).generate_signature(timestamp=stamp, body=body),
    }


def trigger_id() -> str:
    """A fresh trigger id, shaped like Slack's."""
    return f"{int(time.time())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"


def command_body(command: str, text: str, *, user_id: str, response_url: str, channel_id: str = "C0HEART") -> str:
    """The form body of a slash command."""
    return urlencode(
        {
            "token": "deprecated",
            "team_id": TEAM_ID,
            "team_domain": "heart",
            "channel_id": channel_id,
            "channel_name": "peer-support",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "response_url": response_url,
            "trigger_id": trigger_id(),
        }
    )


def _interaction(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def block_actions_body(
    action_id: str,
    value: str = "",
    *,
    user_id: str,
    response_url: str,
    block_id: str = "b",
    channel_id: str = "C0HEART",
    selected: bool = False,
    view: dict[str, Any] | None = None,
    menu: str = "static_select",
    option: dict[str, Any] | None = None,
) -> str:
    """The form body of a button press (or, with ``selected``, a choice from a ``menu``: a
    static select or an overflow menu; ``option`` is the option as the menu declared it)."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "action_ts": f"{time.time():.6f}"}
    if selected:
        chosen = option or {"value": value, "text": {"type": "plain_text", "text": value}}
        action |= {"type": menu, "selected_option": chosen}
    else:
        action |= {"type": "button", "value": value}
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": user_id, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "trigger_id": trigger_id(),
        "actions": [action],
    }
    if view is not None:
        payload |= {"container": {"type": "view", "view_id": view.get("id", "V0")}, "view": view}
    else:
        payload |= {
            "container": {"type": "message", "channel_id": channel_id, "is_ephemeral": True},
            "channel": {"id": channel_id},
            "response_url": response_url,
        }
    return _interaction(payload)


def view_submission_body(
    callback_id: str, values: dict[str, dict[str, Any]], *, user_id: str, view_id: str = "V0", private_metadata: str = ""
) -> str:
    """The form body of a modal's submission; ``values`` is ``{block_id: {action_id: value}}``."""
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID},
        "user": {"id": user_id, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "trigger_id": trigger_id(),
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": f"{time.time():.6f}",
        },
    }
    return _interaction(payload)


def event_body(event: dict[str, Any], *, event_id: str | None = None) -> str:
    """The JSON body of an Events API callback."""
    return json.dumps(
        {
            "token": "deprecated",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(6).upper()}",
            "event_time": int(time.time()),
            "event": event,
        }
    )
