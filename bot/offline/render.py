"""Block Kit rendered as plain text, for the offline shell and the CLI.

Formatting marks are kept light (``*bold*`` stays), links become ``text (url)``, escapes
are undone, and every button is listed with a number so the shell can press it.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from dataclasses import dataclass
from typing import Any

_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_MENTION = re.compile(r"<@([A-Z0-9]+)>")
_DATE = re.compile(r"<!date\^\d+\^[^|]*\|([^>]+)>")
WIDTH = 78


@dataclass(frozen=True)
class Clickable:
    """A button found in a message: what the shell sends back when it is pressed."""

    label: str
    action_id: str
    value: str
    block_id: str
    confirm: str | None = None  # the question Slack asks before sending the press, if any


def mrkdwn_to_text(text: str) -> str:
    """mrkdwn to readable text: links, mentions and dates spelled out, escapes undone."""
    text = _DATE.sub(r"\1", text)
    text = _LINK.sub(r"\2 (\1)", text)
    text = _MENTION.sub(r"@\1", text)
    return html.unescape(text)


def _wrap(text: str, indent: str = "") -> list[str]:
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        lines.extend(
            textwrap.wrap(line, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False) or [indent]
        )
    return lines


def _text_of(obj: dict[str, Any] | None) -> str:
    return mrkdwn_to_text((obj or {}).get("text", "")) if obj else ""


def render_blocks(blocks: list[dict[str, Any]], clickables: list[Clickable]) -> list[str]:
    """Render blocks as lines, appending each button to ``clickables`` and numbering it."""
    lines: list[str] = []

    def element_line(element: dict[str, Any], block_id: str) -> str:
        kind = element.get("type")
        if kind == "button":
            label = _text_of(element.get("text"))
            if element.get("url"):
                return f"[link] {label}: {element['url']}"
            confirm = element.get("confirm")
            question = f"{_text_of(confirm.get('title'))} {_text_of(confirm.get('text'))}".strip() if confirm else None
            clickables.append(Clickable(label, element.get("action_id", ""), element.get("value", ""), block_id, question))
            return f"[{len(clickables)}] {label}"
        if kind in ("static_select", "multi_static_select", "overflow"):
            options = [_text_of(o.get("text")) for o in element.get("options") or []]
            for group in element.get("option_groups") or []:
                options.extend(_text_of(o.get("text")) for o in group.get("options") or [])
            return f"(menu) {_text_of(element.get('placeholder')) or 'choose'}: " + ", ".join(options)
        return f"({kind})"

    for block in blocks:
        kind = block.get("type")
        block_id = block.get("block_id", "")
        if kind == "header":
            title = _text_of(block.get("text"))
            lines += ["", title.upper(), "=" * min(len(title), WIDTH)]
        elif kind == "section":
            if block.get("text"):
                lines += _wrap(_text_of(block["text"]))
            for field in block.get("fields") or []:
                lines += _wrap(_text_of(field), "  ")
            if block.get("accessory"):
                lines += _wrap(element_line(block["accessory"], block_id), "    ")
        elif kind == "context":
            lines += _wrap("  ".join(_text_of(e) for e in block.get("elements") or [] if e.get("type") != "image"), "  ")
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            lines += _wrap("  ".join(element_line(e, block_id) for e in block.get("elements") or []))
        elif kind == "input":
            label = _text_of(block.get("label"))
            lines.append(f"  {label}: ({(block.get('element') or {}).get('type', 'input')})")
        elif kind == "image":
            lines.append(f"[image] {block.get('alt_text', '')}")
    return lines


def render_message(message: dict[str, Any], clickables: list[Clickable]) -> str:
    """A message (``text`` + ``blocks``) as text; falls back to ``text`` without blocks."""
    blocks = message.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not blocks:
        return "\n".join(_wrap(mrkdwn_to_text(str(message.get("text", "")))))
    return "\n".join(render_blocks(blocks, clickables)).strip("\n")
