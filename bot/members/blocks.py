"""Block Kit for a member's own data: the Home tab's "Your data" section and what follows a press."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, InputBlock, Option, StaticSelectElement
from slack_sdk.models.blocks.basic_components import ConfirmObject
from slack_sdk.models.views import View

from bot.blocks import Message, actions, button, context, header, section
from bot.members.data import Forgotten
from bot.members.profile import Profile
from bot.text import escape

DOWNLOAD_ACTION = "member_data_download"
DELETE_ACTION = "member_data_delete"


def home_blocks() -> list[Block]:
    """What heart-bot keeps about the member, and the two buttons to download or delete it."""
    confirm = ConfirmObject(
        title="Delete your data?",
        text=(
            "This deletes your share-outs (and their channel posts), your RSVPs, your DM reminders and your "
            "monthly connections profile, and takes your name off your activity and past introductions. "
            "It can't be undone."
        ),
        confirm="Delete",
        deny="Keep it",
        style="danger",
    )
    return [
        header("Your data"),
        section(
            "heart-bot keeps your share-outs, your RSVPs, the sessions you get DM reminders for, your calendar "
            "feed (only a fingerprint of its address), your monthly connections (profile and past introductions), "
            "and a record of what you looked up and did. Coordinators see your RSVPs and that record only as counts, "
            "never with your name; your share-outs reach whoever you chose for each one. It's yours: download all "
            "of it, or delete it."
        ),
        actions(
            [
                button("Download my data", DOWNLOAD_ACTION, "download"),
                button("Delete my data", DELETE_ACTION, "delete", style="danger", confirm=confirm),
            ]
        ),
    ]


def download_comment() -> str:
    """The DM text that comes with the download."""
    return "Here is everything heart-bot keeps about you, as JSON. Only you received this."


def deleted_message(forgotten: Forgotten) -> Message:
    """The DM that confirms a deletion, saying what went."""
    if not forgotten.anything:
        nothing = "heart-bot had no data about you to delete."
        return Message(text=nothing, blocks=[section(nothing)])
    posts = f", with {_count(len(forgotten.posts), 'channel post')}" if forgotten.posts else ""
    lines = [
        line
        for count, line in (
            (forgotten.shareouts, f"• {_count(forgotten.shareouts, 'share-out')} deleted{posts}"),
            (forgotten.rsvps, f"• {_count(forgotten.rsvps, 'RSVP')} deleted"),
            (forgotten.subscriptions, f"• DM reminders turned off for {_count(forgotten.subscriptions, 'series', 'series')}"),
            (forgotten.calendar_feeds, "• your private calendar address turned off (it answers nothing from now on)"),
            (forgotten.connections, "• Your monthly connections profile deleted, and your name taken off past introductions"),
            (forgotten.activity, f"• {_count(forgotten.activity, 'activity record')} kept only as anonymous counts"),
        )
        if count
    ]
    text = "*Your data is deleted.*\n" + "\n".join(lines)
    return Message(
        text="Your data is deleted.",
        blocks=[section(text), context("You can keep using heart-bot; anything new is yours to delete again.")],
    )


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


# ----------------------------------------------------------------------------- the optional profile

PROFILE_ACTION = "member_profile_open"
PROFILE_CALLBACK = "member_profile"
PROFILE_SECTOR = "profile_sector"
PROFILE_STATE = "profile_state"
NOT_SAYING = "none"


def profile_home_blocks(sector_label: str | None, state: str | None) -> list[Block]:
    """Home's "About you": what the member said (if anything), and the button to change it."""
    said = escape(", ".join(v for v in (sector_label, state) if v)) or "nothing yet"
    return [
        header("About you (optional)"),
        section(
            f"Your sector and state help the Collective show funders whom it reaches. You've told heart-bot: {said}. "
            "Coordinators see these only as counts by sector and by state, small ones hidden, never with your name."
        ),
        actions([button("Tell heart-bot" if said == "nothing yet" else "Change", PROFILE_ACTION, "profile")]),
    ]


def profile_modal(given: Profile, sectors: Sequence[tuple[str, str]], states: Sequence[str]) -> View:
    """The form for the optional profile: each choice includes "Prefer not to say"."""

    def menu(block_id: str, label: str, choices: Sequence[tuple[str, str]], current: str | None) -> InputBlock:
        options = [Option(value=NOT_SAYING, text="Prefer not to say")] + [Option(value=v, text=t) for v, t in choices]
        initial = next((o for o in options if o.value == current), options[0])
        element = StaticSelectElement(action_id=block_id, options=options, initial_option=initial)
        return InputBlock(block_id=block_id, label=label, element=element)

    blocks: list[Block] = [
        context("Optional. Coordinators see these only as counts by sector and by state, small ones hidden."),
        menu(PROFILE_SECTOR, "Your sector", sectors, given.sector),
        menu(PROFILE_STATE, "Where you work", [(s, s) for s in states], given.state),
    ]
    return View(type="modal", callback_id=PROFILE_CALLBACK, title="About you", submit="Save", close="Cancel", blocks=blocks)
