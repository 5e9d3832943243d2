"""Slack's signature and the shape every request from Slack has, checked before Bolt reads it.

Bolt trusts a signed request to look like Slack's: it indexes ``actions[0]["action_id"]``,
``event["type"]`` or ``user["id"]`` without checking, so a body of another shape would make
it fail with an HTTP 500. Slack never sends such a body; anything else that does gets a
plain 400 (or 401 when it is not signed: the signature is checked first), and nothing of it
is logged.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote

from slack_sdk.signature import SignatureVerifier

# Keys Slack always sends as an object (or, for a few, as a plain id string).
_OBJECTS = ("view", "container", "message", "previous_message", "state")
_OBJECT_OR_ID = ("user", "team", "enterprise", "channel")
_LISTS_OF_OBJECTS = ("actions", "authorizations")
_STRINGS = ("type", "callback_id", "command", "action_id", "trigger_id", "response_url")


def problem(raw: str, content_type: str | None) -> str | None:
    """What is wrong with the body's shape, or None when Slack could have sent it.

    Mirrors Bolt's own parsing (JSON, a form with a ``payload`` field, or a plain form).
    """
    if _plain_form(raw, content_type):
        return _object_problem(_form_shape(raw), "body")
    try:
        body = _parse(raw, content_type)
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the parser goes
        return "not JSON or a form"
    if not isinstance(body, dict):
        return "not an object"
    return _object_problem(body, "body")


def verified(raw: str, timestamp: str | None, signature: str | None, signing_secret: str) -> bool:
    """True when ``signature`` is Slack's for ``raw`` at ``timestamp``, no older than 5 minutes.

    It reads the body only as the bytes that were signed, so it comes before any parsing. A
    timestamp that is not a number is simply invalid (Bolt's own check would raise on it).
    """
    if not timestamp or not timestamp.isdigit():
        return False
    return SignatureVerifier(signing_secret).is_valid(raw, timestamp, signature)


def _parse(raw: str, content_type: str | None) -> Any:
    if not raw:
        return {}
    if content_type == "application/json" or raw.startswith("{"):
        return json.loads(raw)
    if "payload" in raw:
        payload = dict(parse_qsl(raw, keep_blank_values=True)).get("payload")
        return json.loads(payload) if payload is not None else {}
    return dict(parse_qsl(raw, keep_blank_values=True))


def _plain_form(raw: str, content_type: str | None) -> bool:
    """True when Bolt reads ``raw`` as a plain form (a slash command), as :func:`_parse` tells."""
    return bool(raw) and content_type != "application/json" and not raw.startswith("{") and "payload" not in raw


def _form_shape(raw: str) -> dict[str, str]:
    """A plain form as :func:`_object_problem` needs it: every value of a form is text, so only
    its keys and its ``type`` decide its shape. The other values are left unread (unquoting
    every value was most of a slash command's check). Split as ``parse_qsl`` splits it."""
    shape: dict[str, str] = {}
    for pair in raw.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        key = unquote(name.replace("+", " "))
        shape[key] = unquote(value.replace("+", " ")) if key == "type" else ""
    return shape


def _object_problem(body: dict[str, Any], where: str) -> str | None:
    for key in _OBJECTS:
        if key in body and not isinstance(body[key], dict):
            return f"{where}.{key} is not an object"
    for key in _OBJECT_OR_ID:
        value = body.get(key)
        if value is not None and not isinstance(value, str) and not (isinstance(value, dict) and _ids_are_text(value)):
            return f"{where}.{key} is not an object or an id"
    for key in _LISTS_OF_OBJECTS:
        if key in body and not (isinstance(body[key], list) and all(isinstance(item, dict) for item in body[key])):
            return f"{where}.{key} is not a list of objects"
    for key in _STRINGS:
        if key in body and not isinstance(body[key], str):
            return f"{where}.{key} is not text"
    if body.get("type") == "block_actions":
        actions = body.get("actions")
        if not actions or not isinstance(actions[0].get("action_id"), str):
            return f"{where}.actions has no action id"
    if body.get("type") in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            return f"{where}.view has no callback id"
    if "event" in body:
        event = body["event"]
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return f"{where}.event has no type"
        return _object_problem(event, f"{where}.event")
    for nested in ("message", "previous_message", "view"):
        if isinstance(body.get(nested), dict) and (found := _object_problem(body[nested], f"{where}.{nested}")):
            return found
    return None


def _ids_are_text(value: dict[str, Any]) -> bool:
    return all(isinstance(value[key], str) for key in ("id", "team_id", "enterprise_id") if value.get(key) is not None)
