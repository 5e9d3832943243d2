"""Block Kit for glossary answers, suggestions, lists and help."""

from __future__ import annotations

import functools
from typing import Any

from slack_sdk.models.blocks import Option, PlainTextObject, StaticSelectElement

from bot.blocks import SHARE_IN_CHANNEL_NOTE, Message, actions, button, context, header, section
from bot.library.entries import Category, GlossaryEntry
from bot.library.glossary import GlossaryIndex, Lookup, Outcome
from bot.text import escape, truncate

LOOKUP_ACTION = "glossary_lookup"  # a button or select whose value is an entry id
SHARE_ACTION = "glossary_share"
MAX_SELECT_OPTIONS = 100
MAX_RELATED_BUTTONS = 4
SUGGESTIONS_BLOCK = "glossary_suggestions"  # an entry chosen from here replaces the suggestions


def entry_message(
    entry: GlossaryEntry, index: GlossaryIndex, category: Category, *, shared_by: str | None = None, lead: str | None = None
) -> Message:
    """An entry: term, definition, aliases, sources, related-term buttons, and Share.

    ``shared_by`` (a Slack user id) marks the in-channel copy and drops the buttons that
    only make sense to the member who looked it up; ``lead`` is said before the definition.
    """
    details = [f"*{escape(category.name)}*"]
    if entry.distinct_aliases:
        details.append("Also: " + ", ".join(escape(a) for a in entry.distinct_aliases))
    blocks = [header(entry.term), *([section(lead)] if lead else []), section(escape(entry.definition))]
    if entry.more:
        blocks.append(context(f"*More:* {escape(entry.more)}"))
    blocks += [
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
    blocks += [actions(buttons), context(SHARE_IN_CHANNEL_NOTE)]
    return Message(text=f"{entry.term}: {entry.definition}", blocks=blocks)


CRISIS_LEAD = (
    ":seedling: If you're looking this up because of something happening to you or someone near you "
    "right now, you don't have to work it out alone: call or text *988*, any time. It's free and confidential."
)


def suggestions_message(lookup: Lookup, typed: str) -> Message:
    """ "Did you mean" buttons for a query the glossary is not sure about; the search is noted."""
    if lookup.in_definitions:
        where = "Those words appear in these entries:"
    else:
        where = "The closest entries:"
    lead = f"I'm not sure the glossary has *{escape(truncate(typed, 100))}*. {where}"
    buttons = [button(e.term, f"{LOOKUP_ACTION}:{e.id}", e.id) for e in lookup.suggestions]
    return Message(
        text=f"Did you mean: {', '.join(e.term for e in lookup.suggestions)}?",
        blocks=[
            section(lead),
            actions(buttons, block_id=SUGGESTIONS_BLOCK),
            context("Coordinators will see this search, so the glossary can grow."),
        ],
    )


def choice_message(lookup: Lookup, typed: str) -> Message:
    """A word that means several entries ("ED"): one button for each, no guess."""
    lead = f"*{escape(truncate(typed, 100))}* can mean more than one thing. Which one?"
    buttons = [button(e.term, f"{LOOKUP_ACTION}:{e.id}", e.id) for e in lookup.suggestions]
    return Message(
        text=f"{escape(truncate(typed, 100))} can mean: {', '.join(e.term for e in lookup.suggestions)}",
        blocks=[section(lead), actions(buttons, block_id=SUGGESTIONS_BLOCK)],
    )


def comparison_message(entries: tuple[GlossaryEntry, ...]) -> Message:
    """Two entries side by side ("difference between A and B"), each with a button to open it."""
    blocks: list[Any] = [header(truncate(" and ".join(e.term for e in entries), 150))]
    for entry in entries:
        blocks.append(section(f"*{escape(entry.term)}*\n{escape(entry.definition)}"))
    blocks.append(actions([button(f"Open {truncate(e.term, 65)}", f"{LOOKUP_ACTION}:{e.id}", e.id) for e in entries]))
    return Message(text=" / ".join(f"{e.term}: {e.definition}" for e in entries), blocks=blocks)


def miss_message(typed: str) -> Message:
    """Nothing answers the query: say so plainly, and that coordinators will see it."""
    text = (
        f"The glossary doesn't have *{escape(truncate(typed, 100))}* yet. "
        "Coordinators will see this search, so they can consider adding it.\n"
        "Try other words, or browse with `/glossary list`."
    )
    return Message(text=f"No glossary entry for {escape(truncate(typed, 100))} yet.", blocks=[section(text)])


def lookup_reply(
    lookup: Lookup, typed: str, index: GlossaryIndex, categories: dict[str, Category], *, crisis: bool = False
) -> str:
    """The reply to ``/glossary TERM`` for any outcome, as Slack's JSON text; where the safety net
    heard the search (``crisis``), an entry opens with a word for someone in a hard moment."""
    if lookup.outcome is Outcome.HIT and lookup.compared:
        return comparison_message(lookup.answered).to_json()
    if lookup.outcome is Outcome.HIT and lookup.entry and crisis:
        return entry_message(lookup.entry, index, categories[lookup.entry.category], lead=CRISIS_LEAD).to_json()
    if lookup.outcome is Outcome.HIT and lookup.entry:
        return _entry_reply(lookup.entry, index, categories[lookup.entry.category])
    if lookup.outcome is Outcome.CHOICE:
        return choice_message(lookup, typed).to_json()
    if lookup.outcome is Outcome.SUGGEST:
        return suggestions_message(lookup, typed).to_json()
    return miss_message(typed).to_json()


@functools.lru_cache(maxsize=1024)
def _entry_reply(entry: GlossaryEntry, index: GlossaryIndex, category: Category) -> str:
    # An entry reads the same for every member and never changes while the bot runs, so its
    # reply is built, validated and encoded once: building and validating its blocks was a
    # third of a lookup's work, and encoding the 2-4 kB of JSON again a tenth of what was left.
    return entry_message(entry, index, category).to_json()


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
