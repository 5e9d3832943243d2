"""Block Kit building blocks shared by every feature's messages and views.

Blocks are slack_sdk.models objects, which check Slack's per-block limits when
serialised; :class:`Message` adds the per-message ones (50 blocks, text length).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.text import truncate

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_FALLBACK_TEXT = 3000
HOME_CALLBACK = "heart_home"
# Beside a library answer's *Share in channel* button: what a press posts, and with whose name.
SHARE_IN_CHANNEL_NOTE = '*Share in channel* posts this for everyone in the channel, marked "Shared by" with your name.'


@dataclass
class Message:
    """A Slack message: fallback ``text`` (notifications, screen readers) plus blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    in_channel: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The message as Slack's JSON, validated against Block Kit's limits.

        :raises ValueError: if a block or the message breaks a limit (a bug, not user error).
        """
        if len(self.blocks) > MAX_MESSAGE_BLOCKS:
            raise ValueError(f"a message holds at most {MAX_MESSAGE_BLOCKS} blocks, got {len(self.blocks)}")
        return {
            "text": truncate(self.text, MAX_FALLBACK_TEXT),
            "blocks": [block.to_dict() for block in self.blocks],
            "response_type": "in_channel" if self.in_channel else "ephemeral",
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text, encoded as Bolt encodes an acknowledgement."""
        return json.dumps(self.to_dict())

    def to_response(self, *, replace_original: bool = False) -> dict[str, Any]:
        """The message for a response_url post (Bolt's ``respond``), replacing the
        message the member clicked in, or posting a new one beside it."""
        return {**self.to_dict(), "replace_original": replace_original}


def header(text: str) -> HeaderBlock:
    """A header block, cut to Slack's 150 characters."""
    return HeaderBlock(text=PlainTextObject(text=truncate(text, MAX_HEADER_TEXT), emoji=True))


def section(mrkdwn: str, accessory: Any = None) -> SectionBlock:
    """A section of mrkdwn text (the caller escapes member text)."""
    return SectionBlock(text=MarkdownTextObject(text=truncate(mrkdwn, MAX_SECTION_TEXT)), accessory=accessory)


def context(*mrkdwn: str) -> ContextBlock:
    """A context line: small grey mrkdwn fragments."""
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(part, MAX_SECTION_TEXT)) for part in mrkdwn])


def button(
    text: str,
    action_id: str,
    value: str = "",
    *,
    style: str | None = None,
    url: str | None = None,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    """A button; ``value`` travels back in the action payload; ``confirm`` asks first."""
    return ButtonElement(
        text=PlainTextObject(text=truncate(text, MAX_BUTTON_TEXT), emoji=True),
        action_id=action_id,
        value=value or None,
        style=style,
        url=url,
        confirm=confirm,
    )


def actions(buttons: Sequence[ButtonElement], block_id: str | None = None) -> ActionsBlock:
    """A row of buttons (Slack allows 25 per row)."""
    return ActionsBlock(elements=list(buttons), block_id=block_id)


def sections_from_paragraphs(paragraphs: Iterable[str], heading: str | None = None) -> list[SectionBlock]:
    """Pack paragraphs into as few sections as fit Slack's 3,000 characters each.

    A paragraph longer than a whole section is cut (content checks keep that from happening).
    """
    return [section(text) for text in packed_paragraphs(paragraphs, heading)]


def packed_paragraphs(paragraphs: Iterable[str], heading: str | None = None) -> list[str]:
    """The texts of :func:`sections_from_paragraphs`' sections (before :func:`section` cuts any
    longer than a section holds)."""
    texts: list[str] = []
    current = f"*{heading}*" if heading else ""
    for paragraph in paragraphs:
        candidate = f"{current}\n{paragraph}" if current else paragraph
        if len(candidate) <= MAX_SECTION_TEXT:
            current = candidate
            continue
        if current:
            texts.append(current)
        current = paragraph
    if current:
        texts.append(current)
    return texts


def notice(text: str) -> Message:
    """A one-section ephemeral message, for confirmations, refusals and errors."""
    return Message(text=text, blocks=[section(text)])


def home_view(parts: Iterable[list[Block]]) -> View:
    """The Home tab: every part that has something to show ([] for nothing), divided.

    Parts are kept whole; one that would take the tab past Slack's 100 blocks is left out.
    """
    blocks: list[Block] = []
    for built in parts:
        if not built:
            continue
        extra = ([DividerBlock()] if blocks else []) + built
        if len(blocks) + len(extra) > MAX_VIEW_BLOCKS - 1:
            continue
        blocks += extra
    if not blocks:
        blocks.append(context("Nothing to show yet."))
    return View(type="home", callback_id=HOME_CALLBACK, blocks=blocks)
