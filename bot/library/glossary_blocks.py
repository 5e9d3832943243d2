"""Block Kit for glossary answers, suggestions, lists and help."""

from __future__ import annotations

import functools
from typing import Any

from slack_sdk.models.blocks import Option, PlainTextObject, StaticSelectElement

from bot.blocks import Message, actions, button, context, header, section
from bot.library.entries import Category, GlossaryEntry
from bot.library.glossary import GlossaryIndex, Lookup, Outcome
from bot.text import escape, truncate

LOOKUP_ACTION = "glossary_lookup"  # a button or select whose value is an entry id
SHARE_ACTION = "glossary_share"
MAX_SELECT_OPTIONS = 100
MAX_RELATED_BUTTONS = 4
SUGGESTIONS_BLOCK = "glossary_suggestions"  # an entry chosen from here replaces the suggestions


def entry_message(entry: GlossaryEntry, index: GlossaryIndex, category: Category, *, shared_by: str | None = None) -> Message:
    """An entry: term, definition, aliases, sources, related-term buttons, and Share.

    ``shared_by`` (a Slack user id) marks the in-channel copy and drops the buttons that
    only make sense to the member who looked it up.
    """
    details = [f"*{escape(category.name)}*"]
    if entry.distinct_aliases:
        details.append("Also: " + ", ".join(escape(a) for a in entry.distinct_aliases))
    blocks = [
        header(entry.term),
        section(escape(entry.definition)),
        context(" · ".join(details)),
        context("Sources: " + "; ".join(escape(s) for s in entry.sources)),
    ]
    if shared_by:
        blocks.append(context(f"Shared by <@{shared_by}> with /glossary"))
        return Message(text=f"{entry.term}: {entry.definition}", blocks=blocks, in_channel=True)
    related = [index.get(i) for i in entry.related[:MAX_RELATED_BUTTONS]]
    buttons = [button(r.term, f"{LOOKUP_ACTION}:{r.id}", r.id) for r in related if r]
    buttons.append(button("Share in channel", SHARE_ACTION, entry.id, style="primary"))
    if len(buttons) > 1:
        blocks.append(context("Related terms:"))
    blocks.append(actions(buttons))
    return Message(text=f"{entry.term}: {entry.definition}", blocks=blocks)


def suggestions_message(lookup: Lookup, typed: str) -> Message:
    """ "Did you mean" buttons for an unclear query."""
    where = "Those words appear in" if lookup.in_definitions else "Did you mean"
    lead = f"I couldn't find *{escape(truncate(typed, 100))}* in the glossary. {where}:"
    buttons = [button(e.term, f"{LOOKUP_ACTION}:{e.id}", e.id) for e in lookup.suggestions]
    return Message(
        text=f"Did you mean: {', '.join(e.term for e in lookup.suggestions)}?",
        blocks=[section(lead), actions(buttons, block_id=SUGGESTIONS_BLOCK)],
    )


def miss_message(typed: str) -> Message:
    """No entry is close: say so kindly, and that the miss helps the glossary grow."""
    text = (
        f"I couldn't find *{escape(truncate(typed, 100))}* in the glossary yet. "
        "I've noted the search so the team can consider adding it.\n"
        "Try a shorter word, or browse with `/glossary list`."
    )
    return Message(text=f"No glossary entry for {escape(truncate(typed, 100))} yet.", blocks=[section(text)])


def lookup_reply(lookup: Lookup, typed: str, index: GlossaryIndex, categories: dict[str, Category]) -> dict[str, Any]:
    """The reply to ``/glossary TERM`` for any outcome, as Slack's JSON."""
    if lookup.outcome is Outcome.HIT and lookup.entry:
        # A fresh top level each time: Bolt rewrites the keys of the reply it is given.
        return dict(_entry_reply(lookup.entry, index, categories[lookup.entry.category]))
    if lookup.outcome is Outcome.SUGGEST:
        return suggestions_message(lookup, typed).to_dict()
    return miss_message(typed).to_dict()


@functools.lru_cache(maxsize=1024)
def _entry_reply(entry: GlossaryEntry, index: GlossaryIndex, category: Category) -> dict[str, Any]:
    # An entry reads the same for every member and never changes while the bot runs;
    # building and validating its blocks was a third of a lookup's work.
    return entry_message(entry, index, category).to_dict()


def help_message(categories: list[Category], index: GlossaryIndex) -> Message:
    """``/glossary`` alone: what it does, examples, and the categories."""
    counts = ", ".join(f"{escape(c.name)} ({len(index.in_category(c.id))})" for c in categories)
    return Message(
        text="Look up a term in the HEART Glossary of Mental Health Terms.",
        blocks=[
            section(
                "*The HEART Glossary of Mental Health Terms*\n"
                "Look up a term in plain words: `/glossary trauma-informed care`, `/glossary IEP`, "
                "`/glossary burnout`. Spelling, capitals and abbreviations are forgiven.\n"
                "Browse everything with `/glossary list`, or one category with `/glossary list school`."
            ),
            context(f"{len(index.entries)} terms in {len(categories)} categories: {counts}"),
        ],
    )


def list_message(categories: list[Category], index: GlossaryIndex) -> Message:
    """``/glossary list [category]``: each category with a menu of its terms."""
    blocks = [header("HEART Glossary" if len(categories) > 1 else categories[0].name)]
    for category in categories:
        entries = index.in_category(category.id)
        if len(categories) == 1:
            blocks.append(section(", ".join(escape(e.term) for e in entries)))
        for start in range(0, len(entries), MAX_SELECT_OPTIONS):
            chunk = entries[start : start + MAX_SELECT_OPTIONS]
            menu = StaticSelectElement(
                action_id=f"{LOOKUP_ACTION}:{category.id}:{start}",
                placeholder=PlainTextObject(text="Pick a term"),
                options=[Option(text=truncate(e.term, 75), value=e.id) for e in chunk],
            )
            blocks.append(section(f"*{escape(category.name)}* · {len(entries)} terms", accessory=menu))
    return Message(text="HEART Glossary terms", blocks=blocks)
