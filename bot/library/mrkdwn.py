"""Markdown (as content editors write it) to Slack's mrkdwn, section by section.

markdown-it-py parses; this module only maps its tokens to mrkdwn: ``**bold**`` ->
``*bold*``, ``*italic*`` -> ``_italic_``, ``[text](url)`` -> ``<url|text>``, bullets ->
``•``. Text is escaped, so content can never carry a mention or a broadcast.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.text import escape

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@functools.cache
def _parser() -> MarkdownIt:
    """The parser, made when first needed: content read from the cache (see
    :func:`bot.runtime.load_content`) parses no Markdown at start, so the import waits."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")

_INLINE_MARKS = {
    "strong_open": "*",
    "strong_close": "*",
    "em_open": "_",
    "em_close": "_",
    "s_open": "~",
    "s_close": "~",
}


@dataclass
class Section:
    """A heading (None before the first one) and the mrkdwn paragraphs under it."""

    heading: str | None
    paragraphs: list[str] = field(default_factory=list)


def to_sections(markdown: str) -> list[Section]:
    """Split Markdown into headed sections of mrkdwn paragraphs (a list item is one paragraph)."""
    sections: list[Section] = [Section(None)]
    list_stack: list[list[int]] = []  # [next number] for ordered lists, [] for bullets
    in_heading = False
    for token in _parser().parse(markdown):
        if token.type == "heading_open":
            in_heading = True
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "bullet_list_open":
            list_stack.append([])
        elif token.type == "ordered_list_open":
            list_stack.append([int(token.attrGet("start") or 1)])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_stack.pop()
        elif token.type == "list_item_open":
            sections[-1].paragraphs.append(_bullet(list_stack))
        elif token.type == "inline":
            text = render_inline(token.children or [])
            if in_heading:
                sections.append(Section(_plain(token.children or [])))
            elif list_stack and sections[-1].paragraphs and sections[-1].paragraphs[-1].endswith(" "):
                sections[-1].paragraphs[-1] += text
            else:
                sections[-1].paragraphs.append(text)
    return [s for s in sections if s.heading or s.paragraphs]


def _bullet(list_stack: list[list[int]]) -> str:
    numbering = list_stack[-1] if list_stack else []
    if numbering:
        number = numbering[0]
        numbering[0] += 1
        return f"{number}. "
    return "• "


def render_inline(children: list[Token]) -> str:
    """Render one inline run of Markdown tokens as mrkdwn."""
    parts: list[str] = []
    open_links: list[tuple[str, int]] = []  # (href, index in parts where the label starts)
    for child in children:
        if child.type in ("text", "html_inline"):  # inline HTML shows as the text it is
            parts.append(escape(child.content))
        elif child.type == "code_inline":
            parts.append(f"`{escape(child.content)}`")
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type in _INLINE_MARKS:
            parts.append(_INLINE_MARKS[child.type])
        elif child.type == "link_open":
            open_links.append((str(child.attrGet("href") or ""), len(parts)))
        elif child.type == "link_close" and open_links:
            href, start = open_links.pop()
            label = "".join(parts[start:])
            # Only web and mail links become Slack links; anything else stays plain text.
            safe = href.startswith(("http://", "https://", "mailto:"))
            parts[start:] = [f"<{escape(href)}|{label}>" if safe else label]
    return "".join(parts)


def _plain(children: list[Token]) -> str:
    return "".join(child.content for child in children if child.type in ("text", "code_inline"))


def tips(markdown: str) -> dict[str, list[str]]:
    """A tip sheet's tips by section heading: each bullet that opens with a bold lead
    (``- **Put it in an MOU.** A memorandum...``), as mrkdwn without its bullet."""
    found: dict[str, list[str]] = {}
    for section in to_sections(markdown):
        led = [paragraph.removeprefix("• ") for paragraph in section.paragraphs if paragraph.startswith("• *")]
        if section.heading and led:
            found[section.heading] = led
    return found
