"""Block Kit for share-outs: the form, the confirmation, the safety net, "mine", the channel post.

Every piece of member text is escaped before it is shown, so a share-out can never ping
anyone or pose as a link.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ConfirmObject,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.backup import GONE_FROM_BACKUPS_DAYS
from bot.blocks import (
    MAX_FALLBACK_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    Message,
    actions,
    button,
    context,
    header,
    packed_paragraphs,
    section,
)
from bot.safety import IN_A_CRISIS, NOT_A_CRISIS_SERVICE, NoteFor, resources_for
from bot.sessions.blocks import local_text, moment
from bot.sessions.core import Occurrence
from bot.shareouts.content import ShareoutContent
from bot.shareouts.core import MAX_TEXT, Description, Draft, Field, Page, Visibility
from bot.shareouts.deidentify import Concern
from bot.text import escape, truncate

FORM_CALLBACK = "shareout_form"
SAVED_CALLBACK = "shareout_saved"
OPEN_ACTION = "shareout_open"  # value: occurrence id (the post-session prompt's button), or "" (Home)
SESSION_ACTION = "shareout_session_chosen"  # the form's session menu (redraws the channel named)
CHECK_SAVE_ACTION = "shareout_check_save"  # value: a held quick share-out (see handlers.shareouts)
CHECK_EDIT_ACTION = "shareout_check_edit"  # value: as CHECK_SAVE_ACTION
EDIT_ACTION = "shareout_edit"  # value: share-out id
DELETE_ACTION = "shareout_delete"  # value: share-out id
PAGE_ACTION = "shareout_mine"  # value: offset into the member's share-outs
CHECKIN_NAMED_ACTION = "shareout_checkin_named"  # value: share-out id, a colon, the note's NoteFor
CHECKIN_ANONYMOUS_ACTION = "shareout_checkin_anonymous"  # value: as CHECKIN_NAMED_ACTION
NO_SESSION = "none"
PAGE_SIZE = 10
MAX_OPTION_TEXT = 75
SAVED_LEAD = "*Your share-out is saved.*"

VISIBILITY_LABELS = {  # short names, for the list of a member's share-outs
    Visibility.COORDINATORS: "Coordinators only, with my name",
    Visibility.CHANNEL_ANONYMOUS: "In the channel, without my name",
    Visibility.CHANNEL_NAMED: "In the channel, with my name",
    Visibility.ANONYMOUS: "Coordinators only, without my name",
}


def visibility_option(visibility: Visibility, channel_id: str | None) -> Option:
    """One choice of the form's "Who reads it" as the member sees it: who reads it and who can
    tell it's theirs, and for a channel choice the channel it will be posted in (``channel_id``,
    or none yet). Radio options take mrkdwn, so the channel shows as its name; at most 75
    characters each."""
    where = f"<#{channel_id}>" if channel_id else "a channel (none chosen yet)"
    text, description = {
        Visibility.COORDINATORS: (
            "Coordinators only, with my name",
            "Only coordinators read it, and they can see it's from you.",
        ),
        Visibility.CHANNEL_ANONYMOUS: (
            f"Post in {where} without my name",
            "Everyone in that channel and coordinators read it; nobody sees your name.",
        ),
        Visibility.CHANNEL_NAMED: (
            f"Post in {where} with my name",
            "Everyone in that channel and coordinators read it, with your name.",
        ),
        Visibility.ANONYMOUS: (
            "Coordinators only, without my name",
            "Coordinators read it; nobody knows it's you. Keeps the day, not the time.",
        ),
    }[visibility]
    return Option(value=visibility.value, text=MarkdownTextObject(text=text), description=MarkdownTextObject(text=description))


_CONCERNS = {  # in the order they are named
    Concern.NAME: "a student's full name",
    Concern.PHONE: "a phone number",
    Concern.EMAIL: "an email address",
    Concern.BIRTH_DATE: "a date of birth",
}


class CheckIn(StrEnum):
    """Where the safety net's "Let a coordinator know" stands."""

    OFFERED = "offered"
    TOLD_NAMED = "told_named"
    TOLD_ANONYMOUS = "told_anonymous"
    NOBODY_TO_TELL = "nobody_to_tell"  # no coordinator is configured
    NOT_DELIVERED = "not_delivered"  # Slack refused every coordinator's DM: offered again


# ----------------------------------------------------------------------------- the form


def session_label(occurrence: Occurrence) -> str:
    """A session as plain text in its own time zone: ``Peer Support Hour · Tue, Dec 8, 3:30 PM EST``."""
    return truncate(f"{occurrence.title} · {local_text(occurrence)}", MAX_OPTION_TEXT)


def _option(value: str, text: str, description: str | None = None) -> Option:
    return Option(value=value, text=PlainTextObject(text=truncate(text, MAX_OPTION_TEXT), emoji=True), description=description)


def form_view(
    draft: Draft,
    *,
    sessions: Sequence[Occurrence],
    content: ShareoutContent,
    metadata: str,
    editing: bool = False,
    concerns: Iterable[Concern] = (),
    channel_id: str | None = None,
) -> View:
    """The share-out form, filled in from ``draft``; ``concerns`` adds the de-identification note.

    ``channel_id`` is where a channel choice would post it (the chosen session's channel, or
    the one the form was opened in): the form names it, and is redrawn when the session changes.
    """
    session_options = [_option(NO_SESSION, "Not about a session")] + [_option(o.id, session_label(o)) for o in sessions]
    session_initial = next((o for o in session_options if o.value == draft.occurrence_id), session_options[0])
    sector_options = [_option(s.id, s.label) for s in content.sectors]
    theme_options = [_option(t.id, t.label) for t in content.themes]
    visibility_options = [visibility_option(v, channel_id) for v in Visibility]
    blocks: list[Block] = []
    if concerns:
        blocks.append(section(concern_text(concerns) + " Edit it below, or press *Save* again to keep it as it is."))
    else:
        blocks.append(context("A win, a barrier, a resource or an ask. Choose below who reads it."))
    blocks += [
        InputBlock(
            block_id=Field.SESSION,
            label="Session",
            hint="A channel choice posts in this session's channel.",
            dispatch_action=True,  # choosing a session redraws the channel named below
            element=StaticSelectElement(action_id=SESSION_ACTION, options=session_options, initial_option=session_initial),
        ),
        InputBlock(
            block_id=Field.SECTOR,
            label="Your role or sector",
            optional=True,
            element=StaticSelectElement(
                action_id=Field.SECTOR,
                placeholder="Choose one",
                options=sector_options,
                initial_option=next((o for o in sector_options if o.value == draft.sector), None),
            ),
        ),
        InputBlock(
            block_id=Field.THEMES,
            label="Themes",
            optional=True,
            element=StaticMultiSelectElement(
                action_id=Field.THEMES,
                placeholder="Choose any that fit",
                options=theme_options,
                initial_options=[o for o in theme_options if o.value in draft.themes] or None,
            ),
        ),
        InputBlock(
            block_id=Field.TEXT,
            label="Your reflection",
            hint="Please leave out names and anything else that could identify a student, family or colleague.",
            element=PlainTextInputElement(
                action_id=Field.TEXT,
                multiline=True,
                max_length=MAX_TEXT,
                initial_value=draft.text[:MAX_TEXT] or None,
                placeholder="What would you like to share?",
            ),
        ),
        InputBlock(
            block_id=Field.VISIBILITY,
            label="Who reads it",
            element=RadioButtonsElement(
                action_id=Field.VISIBILITY,
                options=visibility_options,
                initial_option=next(o for o in visibility_options if o.value == draft.visibility),
            ),
        ),
        context(IN_A_CRISIS),
    ]
    return View(
        type="modal",
        callback_id=FORM_CALLBACK,
        title="Edit share-out" if editing else "Share out",
        submit="Save changes" if editing else "Save",
        close="Cancel",
        private_metadata=metadata,
        blocks=blocks,
    )


def concern_text(concerns: Iterable[Concern]) -> str:
    """The gentle de-identification note for what was spotted."""
    spotted = " or ".join(words for concern, words in _CONCERNS.items() if concern in set(concerns))
    return (
        f":pencil2: This looks like it may include {spotted}. To keep everyone safe, please de-identify it "
        '("a 9th grader" or initials instead of a name; no phone numbers, emails or birth dates).'
    )


def check_first_message(text: str, concerns: Iterable[Concern], value: str | None, note: NoteFor | None = None) -> Message:
    """The quick path's gentle question, asked before anything is stored: *Save as it is* (its
    ``value`` carries the text; None when the text is too long for a button, and then only the
    text is given back) or *Edit* in the form. Where the safety net heard distress (``note``),
    its words come first: where to turn cannot wait for a name to be taken out."""
    lead = concern_text(concerns) + " Nothing is saved yet."
    blocks: list[Block] = [safety_section(note), DividerBlock()] if note else []
    blocks += [section(lead), *quoted(text)]
    if value is None:
        blocks.append(context("Please edit it and send `/shareout` again; your words are above."))
    else:
        blocks.append(
            actions(
                [
                    button("Edit", CHECK_EDIT_ACTION, value, style="primary"),
                    button("Save as it is", CHECK_SAVE_ACTION, value),
                ]
            )
        )
        blocks.append(context("*Save as it is* saves it for coordinators only, with your name, as `/shareout` does."))
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        blocks = [*blocks[: MAX_MESSAGE_BLOCKS - 1], blocks[-1]]
    return Message(text=lead, blocks=blocks)


def home_blocks() -> list[Block]:
    """Home's "Share out": what a share-out is, and the button that opens the form."""
    return [
        header("Share out"),
        section(
            "A win, a barrier, a resource or an ask, after a session or any time. "
            "In the form you choose the session it's about and exactly who reads it."
        ),
        actions([button("Share out", OPEN_ACTION, "", style="primary")]),
        context("See, edit, export or delete your share-outs any time with `/shareout mine`."),
    ]


# ----------------------------------------------------------------------------- confirmation


def audience(visibility: Visibility, channel_id: str | None) -> str:
    """Exactly who can see a share-out, in one sentence."""
    where = f"<#{channel_id}>" if channel_id else "the channel"
    return {
        Visibility.COORDINATORS: "Only the coordinators can read it, and they can see it's from you.",
        Visibility.CHANNEL_ANONYMOUS: (
            f"It's posted in {where} without your name, and coordinators can read it too. heart-bot keeps your name "
            "with it so you can edit or delete it; coordinators' reports and exports don't show it."
        ),
        Visibility.CHANNEL_NAMED: f"It's posted in {where} with your name, and coordinators can read it too.",
        Visibility.ANONYMOUS: (
            "Coordinators can read it, but nobody, not even coordinators, can tell it's from you. "
            "heart-bot keeps the day you shared it, not the time. Only you can find it again, with `/shareout mine`."
        ),
    }[visibility]


def quoted(text: str) -> list[Block]:
    """Member text, escaped, as block-quote sections (as many as its length needs, nothing cut)."""
    return [section(part) for part in _quoted_texts(text)]


def _quoted_texts(text: str) -> list[str]:
    """The texts of :func:`quoted`'s sections."""
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        lines.extend(f">{piece}" for piece in _escaped_pieces(line))
    return packed_paragraphs(lines)


def _escaped_pieces(line: str) -> Iterator[str]:
    """``line`` escaped, in pieces that each fit a section (escaping can make a line five times longer)."""
    whole = escape(line)
    if len(whole) < MAX_SECTION_TEXT:  # most lines: the piece by piece walk below would not cut it
        yield whole
        return
    piece = ""
    for char in line:
        escaped = escape(char)
        if len(piece) + len(escaped) >= MAX_SECTION_TEXT:
            yield piece
            piece = ""
        piece += escaped
    yield piece


def _summary_blocks(described: Description, lead: str) -> list[Block]:
    return [section(text) for text in _summary_texts(described, lead)]


def _summary_texts(described: Description, lead: str) -> list[str]:
    """The texts of the summary's sections: what was saved, then the member's words."""
    shareout = described.shareout
    details = [
        f"*Session:* {escape(session_label(described.session)) if described.session else 'not about a session'}",
        f"*Role or sector:* {escape(described.sector) if described.sector else 'not given'}",
        f"*Themes:* {escape(', '.join(described.themes)) if described.themes else 'none chosen'}",
        f"*Who can see it:* {audience(shareout.visibility, described.channel_id)}",
    ]
    texts = [f"{lead}\n" + "\n".join(details)]
    if shareout.text is not None:
        texts += _quoted_texts(shareout.text)
    return texts


_FOR_A_HELPER = (
    "{service} If they are in danger now, call 911. Follow your school's or agency's crisis protocol, and "
    "remember that 988 also helps people who are worried about someone else:"
)
_SAFETY_NOTES = {
    NoteFor.SELF: (
        "Some of what you wrote sounds really hard, and you don't have to carry it alone. {service} "
        "If you are thinking about suicide or are in crisis, please reach out now:"
    ),
    NoteFor.SELF_UNSAFE: (
        "Some of what you wrote sounds like you may not be safe. {service} "
        "If you are in danger now, call 911. These lines are free, confidential and open all day and night:"
    ),
    NoteFor.HELPER: "It sounds like someone you know may be at risk, and that is a lot to hold. " + _FOR_A_HELPER,
    NoteFor.HELPER_CHILD: (
        "It sounds like a young person you know may be at risk or may be harmed, and that is a lot to hold. " + _FOR_A_HELPER
    ),
}
_MANDATED_REPORTER = (
    "If a child may be abused or neglected, school and health staff are mandated reporters: follow your protocol "
    "and report to your state's child protective services (in Massachusetts, a 51A report to DCF)."
)


_SAVED_FOR = {  # the end of "Your share-out is saved ..." in the safety net's note
    Visibility.COORDINATORS: "for coordinators only, with your name",
    Visibility.CHANNEL_ANONYMOUS: "and posted in the channel without your name (`/shareout mine` takes it down)",
    Visibility.CHANNEL_NAMED: "and posted in the channel with your name (`/shareout mine` takes it down)",
    Visibility.ANONYMOUS: "for coordinators only, without your name",
}


def safety_section(note: NoteFor, saved: Visibility | None = None) -> SectionBlock:
    """The safety net's words, worded for ``note``: not a crisis service, and where to turn; who
    the share-out was ``saved`` for (None when it is not, or no longer, saved)."""
    lines = "\n".join(f"• *{escape(r.name)}*: {escape(r.how)}" for r in resources_for(note))
    text = _SAFETY_NOTES[note].format(service=escape(NOT_A_CRISIS_SERVICE))
    if note is NoteFor.HELPER_CHILD:
        lines += f"\n{_MANDATED_REPORTER}"
    aside = "" if note in (NoteFor.HELPER, NoteFor.HELPER_CHILD) else (
        "If you were writing about your work rather than yourself, you can set this aside. "
    )
    return section(
        f":seedling: *Thank you for sharing this.* {text}\n{lines}\n"
        f"{aside}Only you see this note.{f' Your share-out is saved {_SAVED_FOR[saved]}.' if saved else ''}"
    )


def safety_blocks(
    shareout_id: int, check_in: CheckIn, note: NoteFor = NoteFor.SELF, saved: Visibility | None = None
) -> list[Block]:
    """The safety net, worded for ``note``: not a crisis service, where to turn, and the offer to tell a coordinator.
    ``saved``: who the share-out was saved for (None once it is gone)."""
    blocks: list[Block] = [safety_section(note, saved)]
    if check_in is CheckIn.NOT_DELIVERED:
        blocks.append(
            context(
                ":warning: heart-bot couldn't reach a coordinator just now. Please try again in a few minutes, "
                "reach out to someone you trust, or to one of the lines above."
            )
        )
    if check_in in (CheckIn.OFFERED, CheckIn.NOT_DELIVERED):
        value = f"{shareout_id}:{note.value}"
        about = "with you" if note in (NoteFor.SELF, NoteFor.SELF_UNSAFE) else "with you about this"
        blocks += [
            section(
                f"Would you like a coordinator to check in {about}? If you ask, the coordinators get a direct message right away "
                "that someone asked for a check-in after a share-out. Your share-out's words aren't in it.\n"
                "*With my name:* they'll know it's you, and that you shared out.\n"
                f"*Without my name:* {_UNNAMED_CHECK_IN[saved in _SAVED_WITH_NAME]}"
            ),
            actions(
                [
                    button("Let a coordinator know, with my name", CHECKIN_NAMED_ACTION, value, style="primary"),
                    button("Let a coordinator know, without my name", CHECKIN_ANONYMOUS_ACTION, value),
                ]
            ),
        ]
    else:
        blocks.append(context(_CHECK_IN_DONE[check_in]))
    return blocks


_SAVED_WITH_NAME = (Visibility.COORDINATORS, Visibility.CHANNEL_NAMED)
_UNNAMED_CHECK_IN = {  # by whether the share-out itself carries the member's name
    False: "they aren't told who asked, but if only a few people shared out around then, they could guess.",
    True: "the message doesn't say who asked, but your share-out is saved with your name, so they may well guess.",
}


_CHECK_IN_DONE = {
    CheckIn.TOLD_NAMED: (
        ":white_check_mark: The coordinators know you'd like a check-in, and who you are. Nothing you wrote was shared."
    ),
    CheckIn.TOLD_ANONYMOUS: (
        ":white_check_mark: The coordinators know someone would like a check-in; they weren't told who. "
        "Nothing you wrote was shared."
    ),
    CheckIn.NOBODY_TO_TELL: (
        ":warning: No coordinator is set up to receive check-in requests yet. Please reach out to someone you trust, "
        "or to one of the lines above."
    ),
}


def confirmation_blocks(
    described: Description,
    *,
    edited: bool = False,
    concerns: Iterable[Concern] = (),
    check_in: CheckIn | None = None,
    note: NoteFor = NoteFor.SELF,
    buttons: Sequence[ButtonElement] = (),
) -> list[Block]:
    """What was saved and who can see it, then the de-identification note, ``buttons`` and the safety net as they apply."""
    blocks = _summary_blocks(described, "*Your changes are saved.*" if edited else SAVED_LEAD)
    if concerns:
        blocks.append(section(concern_text(concerns) + " Use *Add details* to edit it."))
    if buttons:
        blocks.append(actions(buttons))
    if check_in is not None:
        shareout = described.shareout
        blocks += [DividerBlock(), *safety_blocks(shareout.id, check_in, note, saved=shareout.visibility)]
    return blocks


def confirmation_message(
    described: Description,
    *,
    concerns: Iterable[Concern] = (),
    check_in: CheckIn | None = None,
    note: NoteFor = NoteFor.SELF,
) -> Message:
    """The quick path's reply: the confirmation with Add details and Delete buttons."""
    shareout = described.shareout
    buttons = _confirmation_buttons(str(shareout.id), posted=bool(shareout.message_ts))
    blocks = confirmation_blocks(described, concerns=concerns, check_in=check_in, note=note, buttons=buttons)
    return Message(text=_confirmation_fallback(described), blocks=blocks)


def confirmation_reply(
    described: Description,
    *,
    concerns: Iterable[Concern] = (),
    check_in: CheckIn | None = None,
    note: NoteFor = NoteFor.SELF,
) -> dict[str, Any]:
    """:func:`confirmation_message` as Slack's JSON: the quick path's answer.

    Most share-outs (nothing to point out, no safety net) get it built from plain dicts: its
    sections from the same texts, its row of buttons from a template built once with slack_sdk's
    models, and validated then. Building and validating the models again for every share-out
    was about a tenth of the CPU a share-out costs the server. ``tests/test_shareouts_core.py``
    checks the two agree; anything else is built with the models.
    """
    concerns = tuple(concerns)
    if concerns or check_in is not None:
        return confirmation_message(described, concerns=concerns, check_in=check_in, note=note).to_dict()
    shareout = described.shareout
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}}
        for text in _summary_texts(described, SAVED_LEAD)
    ]
    row = _buttons_template(bool(shareout.message_ts))
    value = str(shareout.id)
    blocks.append({**row, "elements": [{**element, "value": value} for element in row["elements"]]})
    # A share-out holds up to MAX_TEXT characters: escaped, a few sections, far from Slack's 50 blocks.
    return {"text": truncate(_confirmation_fallback(described), MAX_FALLBACK_TEXT), "blocks": blocks, "response_type": "ephemeral"}


def _confirmation_fallback(described: Description) -> str:
    return f"Share-out saved. {audience(described.shareout.visibility, described.channel_id)}"


def _confirmation_buttons(value: str, *, posted: bool) -> list[ButtonElement]:
    """Add details and Delete, for the share-out whose id is ``value`` (``posted`` in a channel)."""
    return [button("Add details", EDIT_ACTION, value, style="primary"), _delete_button(value, posted=posted)]


@functools.cache
def _buttons_template(posted: bool) -> dict[str, Any]:
    """The confirmation's row of buttons as Slack's JSON, validated by slack_sdk's models once;
    each answer copies it with the share-out's id as the buttons' value (never changing it)."""
    return actions(_confirmation_buttons("0", posted=posted)).to_dict()


def confirmation_view(
    described: Description,
    *,
    edited: bool,
    check_in: CheckIn | None = None,
    note: NoteFor = NoteFor.SELF,
    metadata: str = "",
) -> View:
    """The form's confirmation, shown in place of the form once saved."""
    blocks = confirmation_blocks(described, edited=edited, check_in=check_in, note=note)
    blocks.append(context("See, edit, export or delete your share-outs any time with `/shareout mine`."))
    return View(
        type="modal", callback_id=SAVED_CALLBACK, title="Share-out saved", close="Done", private_metadata=metadata, blocks=blocks
    )


def notice_view(text: str) -> View:
    """A one-paragraph modal, for when the form cannot go on."""
    return View(type="modal", callback_id=SAVED_CALLBACK, title="Share out", close="Close", blocks=[section(text)])


def safety_message(check_in: CheckIn, note: NoteFor) -> Message:
    """The safety net on its own (its share-out is gone), once a coordinator was asked."""
    return Message(text=IN_A_CRISIS, blocks=safety_blocks(0, check_in, note))


def safety_view(check_in: CheckIn, note: NoteFor) -> View:
    """:func:`safety_message` as a modal."""
    blocks = safety_blocks(0, check_in, note)
    return View(type="modal", callback_id=SAVED_CALLBACK, title="Share out", close="Close", blocks=blocks)


def too_long_message(text: str) -> Message:
    """The quick path's refusal of an over-long share-out, giving the member their words back."""
    lead = (
        f"That's {len(text):,} characters; a share-out holds up to {MAX_TEXT:,}, so nothing was saved yet. "
        f"Here is your text to shorten (by {len(text) - MAX_TEXT:,} characters) and send again:"
    )
    blocks = [section(lead), *quoted(text)]
    if len(blocks) > MAX_MESSAGE_BLOCKS:  # tens of thousands of characters: give back what one message holds
        blocks = [*blocks[: MAX_MESSAGE_BLOCKS - 1], context("_The rest is too long to show here._")]
    return Message(text=lead, blocks=blocks)


# ----------------------------------------------------------------------------- mine


def _delete_button(value: str, *, posted: bool) -> ButtonElement:
    post = " and takes its post out of the channel" if posted else ""
    confirm = ConfirmObject(
        title="Delete this share-out?",
        text=(
            f"This deletes it{post}, and it can't be undone. "
            f"Backups made before still hold it until they are deleted, within {GONE_FROM_BACKUPS_DAYS} days."
        ),
        confirm="Delete",
        deny="Keep it",
        style="danger",
    )
    return button("Delete", DELETE_ACTION, value, confirm=confirm)


def mine_message(
    page: Page, sessions: dict[str, Occurrence], timezone: str, *, note: str | None = None, kept: Sequence[Block] = ()
) -> Message:
    """A page of the member's own share-outs, each with Edit and Delete, under a ``note`` on what
    was just done and the blocks ``kept`` in view (the safety net's, after its share-out is deleted)."""
    blocks: list[Block] = [header("Your share-outs")]
    if note:
        blocks.append(section(note))
    if kept:
        blocks += [*kept, DividerBlock()]
    if not page.total:
        none = "You have no share-outs saved." if note else "You haven't shared out yet."
        blocks.append(section(f"{none} Type `/shareout` to share a reflection."))
        return Message(text=none, blocks=blocks)
    blocks.append(context(f"{page.total} in all, newest first. Only you can see this list."))
    for shareout in page.shareouts:
        occurrence = sessions.get(shareout.occurrence_id or "")
        about = escape(occurrence.title) if occurrence else "Not about a session"
        if shareout.text is None:
            first = "_The text was removed after the retention period._"
        else:
            first = f">{escape(truncate(shareout.first_line, 150))}"
        saved_at = _saved_on(shareout.created_at) if shareout.day_only else moment(shareout.created_at, timezone)
        blocks.append(section(f"*{saved_at}* · {about} · {VISIBILITY_LABELS[shareout.visibility]}\n{first}"))
        buttons = [button("Edit", EDIT_ACTION, str(shareout.id))] if shareout.text is not None else []
        blocks.append(actions([*buttons, _delete_button(str(shareout.id), posted=bool(shareout.message_ts))]))
    paging = []
    if page.offset > 0:
        paging.append(button("Newer", PAGE_ACTION, str(max(0, page.offset - PAGE_SIZE))))
    if page.offset + len(page.shareouts) < page.total:
        paging.append(button("Older", PAGE_ACTION, str(page.offset + PAGE_SIZE)))
    if paging:
        blocks.append(actions(paging))
    blocks.append(context("Download everything with `/shareout export`."))
    return Message(text=f"Your share-outs ({page.total})", blocks=blocks)


def _saved_on(day: datetime) -> str:
    """The day a share-out was saved, when only its day is kept: ``Tue, Nov 3``."""
    return f"{day:%a, %b} {day.day}"


# ----------------------------------------------------------------------------- posts and DMs


def channel_post(described: Description) -> Message:
    """A share-out as posted in a channel: with the author's mention, or with no trace of them."""
    shareout = described.shareout
    about = f" · {escape(described.session.title)}" if described.session else ""
    if shareout.visibility is Visibility.CHANNEL_NAMED and shareout.user_id:
        title = f"Share-out from <@{shareout.user_id}>"
    else:
        title = "An anonymous share-out"
    blocks: list[Block] = [section(f"*{title}*{about}"), *quoted(shareout.text or "")]
    if described.themes:
        blocks.append(context("Themes: " + escape(", ".join(described.themes))))
    blocks.append(context("Share yours with `/shareout`."))
    return Message(text=f"{title}: {escape(truncate(shareout.first_line, 150))}", blocks=blocks, in_channel=True)


def checkin_request_message(user_id: str | None) -> Message:
    """The DM coordinators get when a member asks for a check-in (never what they wrote)."""
    if user_id:
        text = (
            f":seedling: <@{user_id}> would like a check-in from a coordinator, after a share-out. "
            "Please reach out to them kindly and privately."
        )
    else:
        text = (
            ":seedling: Someone would like a check-in from a coordinator, after a share-out. "
            "They chose not to share their name, so consider a warm, general check-in with the group."
        )
    words = "Their share-out's words are not in this message. heart-bot is not a crisis service."
    return Message(text=text, blocks=[section(text), context(words)])


def post_failed_message(channel_id: str) -> Message:
    """Tells a member their share-out is saved but could not be posted."""
    return Message(
        text="Your share-out is saved, but it couldn't be posted.",
        blocks=[
            section(
                f"Your share-out is saved, but I couldn't post it in <#{channel_id}>: heart-bot may not be a member there. "
                "Ask a coordinator to invite heart-bot, then use `/shareout mine` and *Edit* to post it."
            )
        ],
    )


def post_not_removed_message(channel_id: str) -> Message:
    """Tells a member that the earlier channel post of their edited share-out is still up."""
    text = (
        f"Your changes are saved, but I couldn't remove the earlier post in <#{channel_id}>. "
        "Please delete it there, or use `/shareout mine` and *Delete* to try again."
    )
    return Message(text=text, blocks=[section(text)])


def help_message() -> Message:
    """How to share out, who sees what, and how to manage your share-outs."""
    text = (
        "*Share a reflection after a peer support hour:* a win, a barrier, a resource or an ask.\n"
        "• `/shareout` opens the form: session, role or sector, themes, your reflection, and who can see it.\n"
        "• `/shareout your words` saves it for coordinators only, with your name (after asking, if it seems to name "
        "someone); *Add details* opens the form.\n"
        "• `/shareout mine` lists your share-outs to edit or delete; `/shareout export` sends them to you as files.\n"
        "*Who reads it:* coordinators only, with your name (the default); posted in a channel without your name "
        "(heart-bot keeps your name so you can edit or delete it, but shows it to nobody, coordinators included); "
        "posted in a channel with your name; or coordinators only, without your name (nobody, not even coordinators, "
        "can tell it's from you; heart-bot keeps the day, not the time). Coordinators read every share-out. "
        "A channel choice posts in the session's channel, or the channel where you typed `/shareout`."
    )
    return Message(text="How to share out", blocks=[section(text), context(escape(NOT_A_CRISIS_SERVICE))])


def export_comment(count: int) -> str:
    """The DM text that comes with an export."""
    mine = "Here is your share-out" if count == 1 else f"Here are your {count:,} share-outs"
    return f"{mine}, as CSV and as JSON. Only you received this."
