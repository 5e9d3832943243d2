"""/glossary: look up a term, browse the list, share an entry in the channel."""

from __future__ import annotations

import re

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond

from bot import events
from bot.blocks import Message, notice
from bot.library import glossary_blocks as blocks
from bot.library.entries import GlossaryEntry
from bot.library.glossary import Outcome, match_category
from bot.runtime import Heart
from bot.text import escape, normalize
from handlers.common import after_ack, heart_of, reply_json
from handlers.payloads import Click, Command


def register(app: App) -> None:
    """Listen for /glossary and its buttons."""
    app.command("/glossary")(glossary_command)
    app.action(re.compile(rf"^{blocks.LOOKUP_ACTION}(:|$)"))(glossary_lookup_clicked)
    app.action(blocks.SHARE_ACTION)(glossary_share_clicked)


def glossary_command(ack: Ack, command: dict, context: BoltContext) -> BoltResponse | None:
    """/glossary: help, the list (of a category), or a lookup (returned as the acknowledgement)."""
    heart = heart_of(context)
    request = Command.from_payload(command)
    if request.verb in ("", "help"):
        ack(blocks.help_message(list(heart.content.categories), heart.glossary).to_dict())
    elif request.verb == "list":
        ack(_list_reply(heart, request.rest).to_dict())
    else:
        return reply_json(_lookup_reply(heart, request.text, request.user_id))
    return None


def glossary_lookup_clicked(ack: Ack, action: dict, body: dict, respond: Respond, context: BoltContext) -> None:
    """An entry chosen from suggestions, the list or a related-terms button: shown after the ack."""
    ack()
    heart, click = heart_of(context), Click.from_payload(action, body)
    after_ack(context, body, lambda: _show_entry(heart, click, respond))


def glossary_share_clicked(ack: Ack, action: dict, body: dict, respond: Respond, context: BoltContext) -> None:
    """Share an entry in the channel, with who shared it (after the ack)."""
    ack()
    heart, click = heart_of(context), Click.from_payload(action, body)
    after_ack(context, body, lambda: _share_entry(heart, click, respond))


def _show_entry(heart: Heart, click: Click, respond: Respond) -> None:
    if entry := _entry_or_apology(heart, click, respond):
        heart.record(events.Event(events.GLOSSARY_LOOKUP, click.user_id, entry.id, normalize(entry.term), True))
        message = blocks.entry_message(entry, heart.glossary, heart.categories[entry.category])
        respond(message.to_response(replace_original=click.block_id == blocks.SUGGESTIONS_BLOCK))


def _share_entry(heart: Heart, click: Click, respond: Respond) -> None:
    if entry := _entry_or_apology(heart, click, respond):
        shared = blocks.entry_message(entry, heart.glossary, heart.categories[entry.category], shared_by=click.user_id)
        respond(shared.to_response())


def _entry_or_apology(heart: Heart, click: Click, respond: Respond) -> GlossaryEntry | None:
    """The entry a button names, or None after telling the member it is gone."""
    entry = heart.glossary.get(click.value)
    if entry is None:
        respond(notice("That entry is no longer in the glossary. Try `/glossary list`.").to_response())
    return entry


def _lookup_reply(heart: Heart, typed: str, user_id: str) -> str:
    crisis = heart.content.shareout.crisis.is_crisis_topic(typed)
    lookup = heart.glossary.lookup(typed, crisis=crisis)
    # A miss keeps no entry; a choice or a suggestion keeps the first entry offered, so the
    # coordinators' backlog tells "not found" from "answered with low confidence".
    offered = lookup.entry or (lookup.suggestions[0] if lookup.suggestions else None)
    hit = lookup.outcome is Outcome.HIT
    # What a member typed about a crisis is never kept, as a share-out's words never are: the
    # event names the entry it opened, as a click on an entry does.
    query = (normalize(offered.term) if offered else None) if crisis else lookup.query
    heart.record(events.Event(events.GLOSSARY_LOOKUP, user_id, offered.id if offered else None, query, hit))
    return blocks.lookup_reply(lookup, typed, heart.glossary, heart.categories, crisis=crisis)


def _list_reply(heart: Heart, typed_category: str) -> Message:
    categories = list(heart.content.categories)
    if not typed_category:
        return blocks.list_message(categories, heart.glossary)
    category = match_category(categories, typed_category)
    if category is None:
        names = ", ".join(f"`{c.id}`" for c in categories)
        return notice(f"There is no category called *{escape(typed_category[:100])}*. Try one of: {names}.")
    return blocks.list_message([category], heart.glossary)
