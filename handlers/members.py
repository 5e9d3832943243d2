"""A member's own data: the Home tab's "Your data" section, its download and its deletion."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.members import blocks
from bot.members import data as member_data
from bot.runtime import Heart
from bot.shareouts import posts as shareout_posts
from handlers.common import after_ack, heart_of, utc_now
from handlers.direct import dm, send_files
from handlers.home import HomeSection, HomeVisit, add_section, publish_home
from handlers.payloads import Click
from handlers.shareouts import owner_of


def register(app: App) -> None:
    """Add "Your data" to the Home tab, and its two buttons."""
    add_section(HomeSection("your-data", 85, _your_data_section))
    app.action(blocks.DOWNLOAD_ACTION)(download_clicked)
    app.action(blocks.DELETE_ACTION)(delete_clicked)


def _your_data_section(heart: Heart, visit: HomeVisit) -> list[Block]:
    return blocks.home_blocks()


def download_clicked(ack: Ack, action: dict, body: dict, client: WebClient, context: BoltContext) -> None:
    """DM the member everything heart-bot keeps about them, as one JSON file (after the ack)."""
    ack()
    heart, user_id = heart_of(context), Click.from_payload(action, body).user_id
    after_ack(context, body, lambda: _send_download(heart, client, user_id))


def delete_clicked(ack: Ack, action: dict, body: dict, client: WebClient, context: BoltContext) -> None:
    """Delete the member's data, take their channel posts down, and tell them what went (after the ack)."""
    ack()
    heart, user_id = heart_of(context), Click.from_payload(action, body).user_id
    after_ack(context, body, lambda: _delete_data(heart, client, user_id))


def _send_download(heart: Heart, client: WebClient, user_id: str) -> None:
    heart.recorder.flush()  # what they just did is theirs too
    data = member_data.collect(heart.store, heart.content.shareout, owner_of(heart, user_id))
    stamp = utc_now().strftime("%Y-%m-%d")
    download = {"content": member_data.to_json(data), "filename": f"heart-my-data-{stamp}.json", "title": "Your data"}
    send_files(client, user_id, [download], blocks.download_comment())


def _delete_data(heart: Heart, client: WebClient, user_id: str) -> None:
    heart.recorder.flush()  # every event of theirs must be on disk to lose their id
    forgotten = member_data.forget(heart.store, owner_of(heart, user_id))
    for shareout in forgotten.posts:
        shareout_posts.remove(client, shareout)
    if scheduler := heart.scheduler:
        for occurrence_id in forgotten.occurrences:
            scheduler.rsvps_changed(occurrence_id)
    dm(client, user_id, blocks.deleted_message(forgotten))
    publish_home(client, heart, user_id)
