"""Reading what ``/heart`` answers a coordinator: the reply, and its headline figures."""

from __future__ import annotations

from typing import Any

from bot.offline.localslack import LocalSlack
from bot.offline.server import BotServer

COORDINATOR = "UCOORD1"


def reply(server: BotServer, slack: LocalSlack, text: str, user: str = COORDINATOR) -> dict[str, Any]:
    """Send ``/heart text`` as ``user``; the message it answered with."""
    answer = server.command("/heart", text, user=user)
    assert answer.status == 200
    return slack.responses(answer.response_url)[-1]


def summary(message: dict[str, Any]) -> dict[str, str]:
    """The report's headline figures as Slack shows them: {name: value}."""
    found = {}
    for block in message["blocks"]:
        for field in block.get("fields") or []:
            name, _, rest = field["text"].partition("\n")
            found[name.strip("*")] = rest.split("  _")[0].replace("&lt;", "<")
    return found
