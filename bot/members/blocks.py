"""Block Kit for a member's own data: the Home tab's "Your data" section and what follows a press."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from slack_sdk.models.blocks import Block
from slack_sdk.models.blocks.basic_components import ConfirmObject
from slack_sdk.models.views import View

from bot.backup import GONE_FROM_BACKUPS_DAYS
from bot.blocks import Message, actions, button, context, header, section
from bot.members.data import Forgotten
from bot.profiles import Profile, questions
from bot.sessions.blocks import moment
from bot.shareouts.core import Shareout
from bot.text import counted, escape

DOWNLOAD_ACTION = "member_data_download"
DELETE_ACTION = "member_data_delete"
MAX_LISTED = 15  # channel posts named one by one in the deletion DM


def home_blocks() -> list[Block]:
    """What heart-bot keeps about the member, and the two buttons to download or delete it."""
    confirm = ConfirmObject(
        title="Delete your data?",
        # Slack allows 300 characters here: what goes, what stays, and that it is for good.
        text=(
            "Deletes your share-outs and their channel posts, RSVPs, reminders, profile, connections and calendar address. "
            "What stays names no one and holds none of your share-out words: counts of your activity and introductions, "
            "the glossary terms you looked up, and reports already exported. It can't be undone."
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


def deleted_message(forgotten: Forgotten, taken_down: int, still_up: Sequence[Shareout], timezone: str) -> Message:
    """The DM that confirms a deletion, saying what went: ``taken_down`` channel posts went with the
    share-outs, and the posts of ``still_up`` Slack refused to delete (times in ``timezone``)."""
    if not forgotten.anything:
        nothing = "heart-bot had no data about you to delete."
        return Message(text=nothing, blocks=[section(nothing)])
    posts = f", with {counted(taken_down, 'channel post')}" if taken_down else ""
    lines = [
        line
        for count, line in (
            (forgotten.shareouts, f"• {counted(forgotten.shareouts, 'share-out')} deleted{posts}"),
            (forgotten.rsvps, f"• {counted(forgotten.rsvps, 'RSVP')} deleted"),
            (forgotten.subscriptions, f"• DM reminders turned off for {counted(forgotten.subscriptions, 'series', 'series')}"),
            (forgotten.calendar_feeds, "• your private calendar address turned off (it answers nothing from now on)"),
            (forgotten.connections, "• Your monthly connections profile deleted, and your name taken off past introductions"),
            (forgotten.activity, f"• {counted(forgotten.activity, 'activity record')} kept only as anonymous counts"),
        )
        if count
    ]
    lines.append(
        "What stays names no one and holds none of your share-out words: counts, the glossary terms you looked "
        "up, and the figures of reports coordinators already exported. Backups made before still hold your data "
        f"until they are deleted, within {GONE_FROM_BACKUPS_DAYS} days."
    )
    text = "*Your data is deleted.*\n" + "\n".join(lines)
    blocks = [section(text)]
    if still_up:
        blocks.append(section(_still_up_text(still_up, timezone)))
    blocks.append(context("You can keep using heart-bot; anything new is yours to delete again."))
    return Message(text="Your data is deleted.", blocks=blocks)


def _still_up_text(still_up: Sequence[Shareout], timezone: str) -> str:
    """Which channel posts Slack would not let heart-bot delete (the first few, to fit one section),
    and who can take them down now."""
    n = len(still_up)
    lines = [f"• in <#{shareout.channel_id}>, posted {moment(_posted_at(shareout), timezone)}" for shareout in still_up]
    if n > MAX_LISTED:
        lines[MAX_LISTED:] = [f"• and {n - MAX_LISTED:,} more"]
    it, which = ("it", "that post is") if n == 1 else ("them", "those posts are")
    return (
        f":warning: Slack didn't let heart-bot remove {counted(n, 'channel post')} of your share-outs, "
        f"so {'it is' if n == 1 else 'they are'} still up:\n" + "\n".join(lines) + "\n"
        f"heart-bot can't try again: it no longer knows {which} yours. "
        f"If Slack lets you, delete {it} there yourself; if not, ask a coordinator to have {it} removed."
    )


def _posted_at(shareout: Shareout) -> datetime:
    """When a share-out's channel post was made (its Slack ts)."""
    return datetime.fromtimestamp(float(shareout.message_ts or 0), UTC)


# ----------------------------------------------------------------------------- the profile

PROFILE_ACTION = "member_profile_open"
PROFILE_CALLBACK = "member_profile"


def profile_home_blocks(sector_label: str | None, state: str | None) -> list[Block]:
    """Home's "About you": the member's one profile (if they gave one), and the button to change it."""
    said = escape(", ".join(v for v in (sector_label, state) if v)) or "nothing yet"
    return [
        header("About you (optional)"),
        section(
            f"Your sector and state help the Collective show funders whom it reaches. You've told heart-bot: {said}. "
            "Coordinators see these only as counts by sector and by state, small ones hidden, never with your name. "
            "Monthly connections use the same answers: only if you join, the member you're introduced to sees them."
        ),
        actions([button("Tell heart-bot" if said == "nothing yet" else "Change", PROFILE_ACTION, "profile")]),
    ]


def profile_modal(given: Profile, sectors: Sequence[tuple[str, str]]) -> View:
    """The form for the profile, asked as every form asks it (each question offers "Prefer not to say")."""
    blocks: list[Block] = [context("Optional. Under each question: who sees your answer."), *questions(sectors, given)]
    return View(type="modal", callback_id=PROFILE_CALLBACK, title="About you", submit="Save", close="Cancel", blocks=blocks)
