"""Direct messages from heart-bot to one member: a message, or files (exports, charts, calendars)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.blocks import Message


def content(message: Message) -> dict[str, Any]:
    """A message's text and blocks, as chat.postMessage and chat.update take them."""
    body = message.to_dict()
    return {"text": body["text"], "blocks": body["blocks"]}


def dm(client: WebClient, user_id: str, message: Message) -> None:
    """Post ``message`` in the member's DM with heart-bot."""
    client.chat_postMessage(channel=user_id, **content(message))


def send_files(client: WebClient, user_id: str, files: list[dict[str, Any]], comment: str) -> None:
    """Upload ``files`` (``files_upload_v2``'s ``file_uploads``) into the member's DM, with ``comment``.

    :raises SlackApiError: if Slack refuses; callers say so to the member.
    """
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(channel=channel, file_uploads=files, initial_comment=comment)
