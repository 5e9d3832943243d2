"""What the reliability tests look for in the bot's log, its answers and its calls to Slack."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from bot.offline.localslack import Call
from tests.support.waiting import eventually

# A failure nobody handled: a traceback, the global error handler's report of a bug, or an ERROR
# line (heart-bot's own format, "... ERROR name: message", and gunicorn's "[ERROR]").
_PROBLEM = re.compile(r"Traceback|listener failed|\sERROR\s|\[ERROR\]|\sCRITICAL\s|\[CRITICAL\]")
# slack_sdk logs each dropped connection or timeout at ERROR before raising it to the caller,
# which handles it (a retry, or a message to the member).
_HANDLED = re.compile(r"ERROR slack_sdk\.web\.base_client: Failed to send a request to Slack API server")


def log_problems(log: str) -> list[str]:
    """The lines of ``log`` that show an unhandled failure."""
    return [line for line in log.splitlines() if _PROBLEM.search(line) and not _HANDLED.search(line)]


# What a member could type to make the bot ping or mislead: broadcasts, mentions of someone
# else, a channel link, a user group, and a link whose text hides where it goes.
PINGS = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!here|here>",
    "<!channel|@channel>",
    "<!subteam^SEVIL01>",
    "<!subteam^SEVIL01|@admins>",
    "<@UEVIL01>",
    "<@UEVIL01|boss>",
    "<#CEVIL01>",
    "<#CEVIL01|general>",
    "<https://evil.example/login|Slack sign-in>",
    "<http://evil.example>",
    "<mailto:evil@evil.example|HR>",
    "<!date^1700000000^{date}|evil>",
)
# A ping or disguised link that reached Slack unescaped. The bot's own mentions name the member
# who acted (<@UMEMBER1>) and its own channels; the attacker's ids are all "EVIL".
RAW_PING = re.compile(r"<(?:!channel|!here|!everyone|!subteam\^|@UEVIL|#CEVIL|!date\^1700000000|[a-z]+:[^>]*evil\.example)")


# Keys whose strings Slack never renders as mrkdwn: ids, hidden state, and what a member edits.
_NOT_RENDERED = frozenset(
    [
        "private_metadata",
        "value",
        "action_id",
        "block_id",
        "callback_id",
        "initial_value",
        "trigger_id",
        "view_id",
        "hash",
        "_token",
        "ts",
        "channel",
        "user",
        "user_id",
        "users",
        "usergroup",
        "challenge",
    ]
)


def mrkdwn_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string (with where it was) in a message, view or payload that Slack would read as mrkdwn.

    ``plain_text`` objects never render mentions, so their text is left out; JSON held in
    strings (blocks sent form-encoded) is read too.
    """
    if isinstance(value, dict):
        plain = value.get("type") == "plain_text"
        for key, item in value.items():
            if (plain and key == "text") or key in _NOT_RENDERED:
                continue
            yield from mrkdwn_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from mrkdwn_strings(item, f"{path}[{n}]")
    elif isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in "[{":
            try:
                decoded = json.loads(stripped)
            except ValueError:
                yield path, value
            else:
                yield from mrkdwn_strings(decoded, path)
        else:
            yield path, value


def relayed_pings(payloads: Iterable[Any]) -> list[str]:
    """Raw pings and disguised links found in what the bot sent (empty when all were neutralized)."""
    found = []
    for payload in payloads:
        for path, text in mrkdwn_strings(payload):
            found.extend(
                f"{m.group(0)} at {path}: ...{text[max(0, m.start() - 60) : m.end() + 20]}..." for m in RAW_PING.finditer(text)
            )
    return found


def call_payloads(calls: Iterable[Call]) -> list[dict[str, Any]]:
    """The arguments of every call the bot made to Slack (file bytes left out)."""
    return [{k: v for k, v in call.args.items() if k != "bytes"} for call in calls]


def reconciled_twice(bot: Any) -> None:
    """Wait for two more rounds of the bot's scheduler (it logs each at DEBUG): whatever was changed
    before the first began is scheduled by the end of the second, so what did not happen won't."""
    seen = bot.log().count("reconcile round ")
    eventually(lambda: bot.log().count("reconcile round ") >= seen + 2, what="two reconcile rounds")
