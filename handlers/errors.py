"""The safety nets: a kind reply to commands nobody handles, answers where a response URL
can't go, and the global error handler.

The error handler logs the failure with ids only (never payload text, which may be a
member's words) and gives the member a kind message instead of Slack's bare error: what
went wrong in plain words when Slack or the database failed (logged as a warning), a
general apology for anything else (a bug, logged with its stack). A failure of a share-out
request is logged without the member's id: its time would be the moment of a share-out
that may be "anonymous to everyone".
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import sqlite3
import traceback
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

from slack_bolt import Ack, App, BoltRequest, Respond
from slack_bolt.middleware import Middleware
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.views import View

from bot.blocks import notice, section
from bot.text import escape

log = logging.getLogger("heart.errors")

SORRY = "Sorry, something went wrong on our side and nothing was changed. Please try again in a moment."
SLACK_TROUBLE = "Sorry, Slack isn't answering heart-bot properly just now, so that didn't go through. Please try again soon."
FORM_TOO_SLOW = "Sorry, that form took too long to open, so Slack didn't show it. Please try again."
DATABASE_BUSY = "Sorry, heart-bot is busy for a moment and nothing was saved. Please try again in a minute."
# views.open's answers when a trigger id is too old or already used (and dialog.open's names for them).
TRIGGER_ERRORS = {"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id", "trigger_expired", "trigger_exchanged"}


class RespondOrDM(Respond):
    """Bolt's ``respond``, answering by DM where a response URL cannot: when the request has
    none (a button in a modal or on the Home tab), or Slack refuses it (used five times
    already, or older than 30 minutes), or it cannot be reached. ``response_url`` stays None when there is none, so
    listeners can still tell where the member clicked."""

    def __init__(self, respond: Respond, client: WebClient, user_id: str | None):
        super().__init__(response_url=respond.response_url, proxy=respond.proxy, ssl=respond.ssl)
        self.client = client
        self.user_id = user_id

    def __call__(self, text: str | dict = "", blocks: Any = None, **options: Any) -> Any:  # type: ignore[override]
        if self.response_url:
            try:
                answer = super().__call__(text, blocks, **options)
            # Logged without the member: the request may be about an anonymous share-out.
            except (ValueError, OSError) as error:  # not a URL, or unreachable
                log.warning("response URL failed (%s); answering by DM", type(error).__name__)
            else:
                if answer.status_code == 200:
                    return answer
                log.warning("response URL refused with HTTP %s; answering by DM", answer.status_code)
        if not self.user_id:  # Slack always says who acted; a request that doesn't gets no answer
            log.warning("nowhere to answer a request with no response URL and no member")
            return None
        message = text if isinstance(text, dict) else {"text": text, "blocks": blocks}
        return self.client.chat_postMessage(
            channel=self.user_id, text=message.get("text") or "", blocks=message.get("blocks"), unfurl_links=False
        )


def register(app: App) -> None:
    """Register the unknown-command reply and the global error handler (last of all)."""

    app.use(_RespondAnywhere())

    @app.command(re.compile(r".*"))
    def unknown_command(ack: Ack, command: dict) -> None:
        name = escape(str(command.get("command") or "")[:40])
        ack(notice(f"heart-bot doesn't know `{name}`. Try `/glossary`, `/tipsheet` or `/peerhour`.").to_dict())

    app.error(handle_error)


class _RespondAnywhere(Middleware):
    """A global middleware that makes each request's ``respond`` fall back to a DM
    (:class:`RespondOrDM`). A :class:`~slack_bolt.middleware.Middleware` rather than a function:
    Bolt calls it as it is, without building the keyword arguments a function middleware asks for."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        context = req.context
        if isinstance(context.respond, Respond):
            context["respond"] = RespondOrDM(context.respond, context.client, context.user_id)
        return next()


def handle_error(error: Exception, body: dict, response: BoltResponse | None, respond) -> BoltResponse | None:
    """Log a listener's failure by ids only, and tell the member kindly: in the acknowledgement
    while Slack still waits for one (``response`` is Bolt's), else through ``respond``.

    Bolt calls it for a failure before the ack; :func:`handlers.common.after_ack` for one after it.
    """
    apology, expected = _apology(error)
    who = (
        (body.get("team") or {}).get("id") if isinstance(body.get("team"), dict) else body.get("team_id"),
        None if _about_shareouts(body) else _user(body),
    )
    if expected:  # Slack or the database failed us: nothing to debug, the member is told
        log.warning("%s in %s (team=%s user=%s): %s", type(error).__name__, _where(body), *who, _code(error))
    else:
        log.error(
            "listener failed: %s in %s (team=%s user=%s)\n%s",
            type(error).__name__,
            _where(body),
            *who,
            "".join(traceback.format_tb(error.__traceback__)),
        )
    if response is None:  # already acknowledged: say sorry through the response_url, if any
        if respond is not None:
            try:
                respond(notice(apology).to_response())
            except Exception:  # the apology is best effort; the failure is logged above
                log.warning("could not send the apology for %s", _where(body))
        return None
    if body.get("type") == "view_submission":  # a form takes a view in its ack, not a message
        answer: dict[str, Any] = {"response_action": "update", "view": _apology_view(apology).to_dict()}
    else:
        answer = notice(apology).to_dict()
    return BoltResponse(status=200, body=json.dumps(answer), headers={"content-type": ["application/json;charset=utf-8"]})


def _apology(error: Exception) -> tuple[str, bool]:
    """What to tell the member, and whether the failure was Slack's or the database's (expected)
    rather than a bug."""
    if isinstance(error, SlackApiError):
        return (FORM_TOO_SLOW if _code(error) in TRIGGER_ERRORS else SLACK_TROUBLE), True
    if isinstance(error, SlackClientError | URLError | TimeoutError | ConnectionError | http.client.HTTPException):
        return SLACK_TROUBLE, True
    if isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error)):
        return DATABASE_BUSY, True
    return SORRY, False


def _code(error: Exception) -> str:
    """Slack's error code, or the kind of failure (never a message, which may quote a payload)."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or error.response.status_code)
    return type(error).__name__


def _apology_view(text: str) -> View:
    return View(type="modal", title="heart-bot", close="Close", blocks=[section(text)])


def _user(body: dict) -> str | None:
    return (body.get("user") or {}).get("id") if isinstance(body.get("user"), dict) else body.get("user_id")


def _about_shareouts(body: dict) -> bool:
    """True for /shareout and the share-out buttons and forms (their ids all begin so)."""
    return _where(body).partition(" ")[2].startswith(("/shareout", "shareout_"))


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
