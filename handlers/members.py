"""A member's own data: the Home tab's "Your data" section, its download and its deletion."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import home as home_views
from bot.members import blocks as views
from bot.members import data as member_data
from bot.runtime import Heart
from bot.sessions.scheduler import scheduler_of
from bot.shareouts import posts as shareout_posts
from handlers.direct import dm, send_files
from handlers.home import publish_home
from handlers.payloads import Click
from handlers.shareouts import owner_of


def register(app: App, heart: Heart) -> None:
    """Add "Your data" to the Home tab, and its two buttons."""
    home_views.add_section(home_views.HomeSection("your-data", 85, lambda visit: views.home_blocks()))

    @app.action(views.DOWNLOAD_ACTION)
    def download_clicked(ack: Ack, action: dict, body: dict, client: WebClient) -> None:
        ack()
        user_id = Click.from_payload(action, body).user_id
        heart.recorder.flush()  # what they just did is theirs too
        data = member_data.collect(heart.store, heart.content.shareout, owner_of(heart, user_id))
        stamp = datetime.now(UTC).strftime("%Y-%m-%d")
        download = {"content": member_data.to_json(data), "filename": f"heart-my-data-{stamp}.json", "title": "Your data"}
        send_files(client, user_id, [download], views.download_comment())

    @app.action(views.DELETE_ACTION)
    def delete_clicked(ack: Ack, action: dict, body: dict, client: WebClient) -> None:
        ack()
        user_id = Click.from_payload(action, body).user_id
        heart.recorder.flush()  # every event of theirs must be on disk to lose their id
        forgotten = member_data.forget(heart.store, owner_of(heart, user_id))
        for shareout in forgotten.posts:
            shareout_posts.remove(client, shareout)
        if scheduler := scheduler_of(heart):
            for occurrence_id in forgotten.occurrences:
                scheduler.rsvps_changed(occurrence_id)
        dm(client, user_id, views.deleted_message(forgotten))
        publish_home(client, heart, user_id)
