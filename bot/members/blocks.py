"""Block Kit for a member's own data: the Home tab's "Your data" section and what follows a press."""

from __future__ import annotations

from slack_sdk.models.blocks import Block
from slack_sdk.models.blocks.basic_components import ConfirmObject

from bot.blocks import Message, actions, button, context, header, section
from bot.members.data import Forgotten

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
            "heart-bot keeps your share-outs, your RSVPs, the sessions you get DM reminders for, your monthly "
            "connections (profile and past introductions), and a record of what you looked up and did, which "
            "coordinators see only as counts. It's yours: download all of it, or delete it."
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
