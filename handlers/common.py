"""What every feature's listeners share: the core from Bolt's context, work after the ack,
the clock, and the coordinator check.

:func:`bot.app.create_app` adds a middleware that puts the core in each request's
``context`` under :data:`HEART`; a listener asks Bolt for ``context`` and reads the core
with :func:`heart_of`, as a test calling the listener directly does too.

Bolt sends a listener's acknowledgement when the listener returns (``process_before_response``),
so a listener answers what it can at once and hands anything that waits on Slack, or on a
busy database, to :func:`after_ack`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from slack_bolt import BoltResponse

from bot.runtime import Heart
from handlers.errors import handle_error
from handlers.payloads import Click

log = logging.getLogger(__name__)

HEART = "heart"  # the key of the core in Bolt's context


def heart_of(context: Mapping[str, Any]) -> Heart:
    """The core that the middleware put in ``context``."""
    return context[HEART]


def after_ack(context: Mapping[str, Any], body: dict[str, Any], work: Callable[[], object]) -> None:
    """Run ``work`` on the core's background pool: the listener returns, and its acknowledgement
    goes to Slack, without waiting for it.

    A failure in ``work`` is handled as one before the ack would be: logged by ids, and the
    member told (through ``respond``, or by DM), by :func:`handlers.errors.handle_error`.
    ``body`` is the request's payload, which names who acted and where.
    """
    respond = context.get("respond")
    heart_of(context).background.submit(work, on_error=lambda error: handle_error(error, body, None, respond))


def reply_json(body: str) -> BoltResponse:
    """The acknowledgement carrying ``body``, a reply already encoded as Slack's JSON.

    A listener returns it rather than calling ``ack``: Bolt sends the response a listener
    returns as the acknowledgement, as it is, where ``ack(a dict)`` would encode the reply
    again; so a reply that reads the same for everyone is encoded once, not per request.
    """
    return BoltResponse(status=200, body=body)


def utc_now() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


def coordinator_click(heart: Heart, action: dict, body: dict, refuse: Callable[[Click], None]) -> Click | None:
    """The click, if a coordinator made it; otherwise ``refuse`` tells the member, and None.

    Asked on the server for every coordinator button, whatever the message it came from showed.
    """
    click = Click.from_payload(action, body)
    if heart.is_coordinator(click.user_id):
        return click
    log.info("refused %s for non-coordinator %s", click.action_id, click.user_id)
    refuse(click)
    return None
