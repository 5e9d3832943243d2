"""Block Kit for tip sheets: the list, one sheet (paged when long), "did you mean", and the Home tab's
quick links to the library."""

from __future__ import annotations

import functools

from slack_sdk.models.blocks import Block, DividerBlock

from bot.blocks import (
    MAX_MESSAGE_BLOCKS,
    SHARE_IN_CHANNEL_NOTE,
    Message,
    actions,
    button,
    context,
    header,
    section,
    sections_from_paragraphs,
)
from bot.library.entries import TipSheet
from bot.library.mrkdwn import Section, to_sections
from bot.safety import IN_A_CRISIS
from bot.text import escape, truncate

OPEN_ACTION = "tipsheet_open"  # value: "slug" or "slug:page"
SHARE_ACTION = "tipsheet_share"  # value: "slug:page"
# Room left on a page for the title, summary, divider, page number, the row of buttons and the note under it.
PAGE_BODY_BLOCKS = MAX_MESSAGE_BLOCKS - 6


def list_message(sheets: tuple[TipSheet, ...], lead: str | None = None) -> Message:
    """Every sheet with its summary and an Open button."""
    blocks: list[Block] = [header("HEART tip sheets")]
    if lead:
        blocks.append(section(lead))
    for sheet in sheets:
        blocks.append(
            section(
                f"*{escape(sheet.title)}*\n{escape(sheet.summary)}",
                accessory=button("Open", f"{OPEN_ACTION}:{sheet.slug}", sheet.slug),
            )
        )
    blocks.append(context("Open one, or type `/tipsheet barriers` to jump straight to a sheet."))
    return Message(text="HEART tip sheets: " + ", ".join(s.title for s in sheets), blocks=blocks)


def not_found_message(typed: str, sheets: tuple[TipSheet, ...], candidates: tuple[TipSheet, ...]) -> Message:
    """No single sheet matched: offer the candidates, or the whole list."""
    if candidates:
        lead = f"More than one tip sheet matches *{escape(truncate(typed, 100))}*. Which one?"
        return list_message(candidates, lead)
    lead = f"I couldn't find a tip sheet for *{escape(truncate(typed, 100))}*. Here are all of them:"
    return list_message(sheets, lead)


def body_blocks(sheet: TipSheet, section: str | None = None) -> list[Block]:
    """The sheet's Markdown (or the one section headed ``section``) as sections, each within
    Slack's 3,000 characters."""
    blocks: list[Block] = []
    for part in _parsed(sheet.body):
        if section is None or part.heading == section:
            blocks.extend(sections_from_paragraphs(part.paragraphs, heading=part.heading))
    return blocks


def section_message(sheet: TipSheet, section: str) -> Message:
    """One section of a sheet (``/tipsheet crisis`` opens the crisis steps), with a button
    for the whole sheet."""
    blocks: list[Block] = [header(sheet.title), DividerBlock(), *body_blocks(sheet, section)[:PAGE_BODY_BLOCKS]]
    blocks.append(
        actions(
            [
                button("Open the whole sheet", f"{OPEN_ACTION}:{sheet.slug}", sheet.slug),
                button("Share in channel", SHARE_ACTION, f"{sheet.slug}:1", style="primary"),
            ]
        )
    )
    blocks.append(context(SHARE_IN_CHANNEL_NOTE))
    return Message(text=f"Tip sheet: {sheet.title}: {section}", blocks=blocks)


@functools.lru_cache(maxsize=128)
def _parsed(markdown: str) -> tuple[Section, ...]:
    # Parsing was most of the work of showing a sheet; sheets never change while the bot runs.
    return tuple(to_sections(markdown))


def sheet_message(sheet: TipSheet, page: int = 1, *, shared_by: str | None = None) -> Message:
    """One page of a sheet (most sheets are one page), with Share and Next buttons."""
    body = body_blocks(sheet)
    pages = max(1, -(-len(body) // PAGE_BODY_BLOCKS))
    page = min(max(page, 1), pages)
    blocks: list[Block] = [header(sheet.title), context(escape(sheet.summary)), DividerBlock()]
    blocks.extend(body[(page - 1) * PAGE_BODY_BLOCKS : page * PAGE_BODY_BLOCKS])
    if pages > 1:
        blocks.append(context(f"Page {page} of {pages}"))
    text = f"Tip sheet: {sheet.title}. {sheet.summary}"
    if shared_by:
        blocks.append(context(f"Shared by <@{shared_by}> with /tipsheet"))
        return Message(text=text, blocks=blocks, in_channel=True)
    buttons = [button("Share in channel", SHARE_ACTION, f"{sheet.slug}:{page}", style="primary")]
    if page < pages:
        buttons.append(button("Next page", f"{OPEN_ACTION}:{sheet.slug}:{page + 1}", f"{sheet.slug}:{page + 1}"))
    blocks += [actions(buttons), context(SHARE_IN_CHANNEL_NOTE)]
    return Message(text=text, blocks=blocks)


@functools.lru_cache(maxsize=128)
def sheet_reply(sheet: TipSheet) -> str:
    """The reply to ``/tipsheet NAME``: the sheet's first page, as Slack's JSON text.

    A sheet reads the same for every member and never changes while the bot runs, so this is
    built, validated and encoded once: building and validating its blocks was most of the work
    of answering, and encoding its 4 kB of JSON again a good part of what was left.
    """
    return sheet_message(sheet).to_json()


def resources_blocks(tipsheet_titles: list[str]) -> list[Block]:
    """Quick links to the glossary and the tip sheets."""
    sheets = ", ".join(f"_{escape(title)}_" for title in tipsheet_titles)
    return [
        header("Look things up"),
        section(
            ":book: *Glossary of Mental Health Terms*: type `/glossary` and a term, like `/glossary trauma-informed care`, "
            "or `/glossary list` to browse."
        ),
        section(f":page_facing_up: *Tip sheets*: type `/tipsheet` to open one{': ' + sheets if sheets else ''}."),
        context(IN_A_CRISIS),
    ]
