"""Block Kit rendered as plain text, for the offline shell and the CLI.

Formatting marks are kept light (``*bold*`` stays), links become ``text (url)``, escapes
are undone, and every button and menu is listed with a number so the shell can press it. A
button shown again (the same message redrawn, a form updated) keeps its number.
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
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")
_DATE = re.compile(r"<!date\^\d+\^[^|]*\|([^>]+)>")
WIDTH = 78


@dataclass(frozen=True)
class Clickable:
    """A button or menu found in a message or view: what the shell sends back when it is used."""

    label: str
    action_id: str
    value: str
    block_id: str
    confirm: str | None = None  # the question Slack asks before sending the press, if any
    menu: str | None = None  # "static_select" or "overflow" for a menu; None for a button
    options: tuple[tuple[str, str], ...] = ()  # a menu's (label, value) pairs
    view_id: str | None = None  # the modal or Home tab it sits in; None in a message


def number_of(clickable: Clickable, clickables: list[Clickable], reuse: list[int] | None = None) -> int:
    """The number ``clickable`` is pressed by: the next of ``reuse`` (the numbers of the message or
    view it redraws, taken in order, so a redrawn button keeps its place's number), else the one
    it already has, else a new one."""
    if reuse:
        number = reuse.pop(0)
        clickables[number - 1] = clickable
        return number
    if clickable in clickables:
        return clickables.index(clickable) + 1
    clickables.append(clickable)
    return len(clickables)


def mrkdwn_to_text(text: str) -> str:
    """mrkdwn to readable text: links, mentions and dates spelled out, escapes undone."""
    text = _DATE.sub(r"\1", text)
    text = _CHANNEL.sub(lambda m: "#" + (m[2] or m[1]), text)
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


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def render_blocks(
    blocks: list[dict[str, Any]],
    clickables: list[Clickable],
    view_id: str | None = None,
    *,
    reuse: list[int] | None = None,
    used: list[int] | None = None,
) -> list[str]:
    """Render blocks as lines, numbering each button and menu (see :func:`number_of`).

    :param view_id: the view the blocks belong to, for buttons in a modal or the Home tab.
    :param reuse: the numbers of the message or view these blocks redraw, given again in order.
    :param used: filled with the numbers shown, in order.
    """
    lines: list[str] = []
    reuse = list(reuse or [])

    def numbered(clickable: Clickable) -> int:
        number = number_of(clickable, clickables, reuse)
        if used is not None:
            used.append(number)
        return number

    def element_line(element: dict[str, Any], block_id: str) -> str:
        kind = element.get("type")
        if kind == "button":
            label = _text_of(element.get("text"))
            if element.get("url"):
                return f"[link] {label}: {element['url']}"
            confirm = element.get("confirm")
            question = f"{_text_of(confirm.get('title'))} {_text_of(confirm.get('text'))}".strip() if confirm else None
            button = Clickable(label, element.get("action_id", ""), element.get("value", ""), block_id, question, view_id=view_id)
            return f"[{numbered(button)}] {label}"
        if kind in ("static_select", "overflow"):
            options = tuple((_text_of(o.get("text")), str(o.get("value", ""))) for o in _options(element))
            label = _text_of(element.get("placeholder")) or ("more" if kind == "overflow" else "choose")
            chosen = _text_of((element.get("initial_option") or {}).get("text"))
            menu = Clickable(label, element.get("action_id", ""), "", block_id, menu=kind, options=options, view_id=view_id)
            shown = f" (now: {chosen})" if chosen else ""
            return f"[{numbered(menu)}] menu {label}{shown}: " + ", ".join(text for text, _ in options)
        if kind == "multi_static_select":
            return f"(menu) {_text_of(element.get('placeholder')) or 'choose'}: " + ", ".join(
                _text_of(o.get("text")) for o in _options(element)
            )
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


def render_message(
    message: dict[str, Any],
    clickables: list[Clickable],
    view_id: str | None = None,
    *,
    reuse: list[int] | None = None,
    used: list[int] | None = None,
) -> str:
    """A message (``text`` + ``blocks``) as text; falls back to ``text`` without blocks.

    ``view_id``, ``reuse`` and ``used`` are :func:`render_blocks`'s."""
    blocks = message.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not blocks:
        return "\n".join(_wrap(mrkdwn_to_text(str(message.get("text", "")))))
    return "\n".join(render_blocks(blocks, clickables, view_id, reuse=reuse, used=used)).strip("\n")
