"""A member's own data: the Home tab's "Your data" section, its download and its deletion."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import profiles
from bot.members import blocks
from bot.members import data as member_data
from bot.runtime import Heart
from bot.shareouts import core as shareouts
from bot.shareouts import posts as shareout_posts
from handlers.common import after_ack, heart_of, utc_now
from handlers.direct import dm, send_files
from handlers.home import HomeSection, HomeVisit, add_section, publish_home
from handlers.payloads import Click, Submission
from handlers.shareouts import owner_of


def register(app: App) -> None:
    """Add "Your data" to the Home tab, and its two buttons."""
    add_section(HomeSection("your-data", 85, _your_data_section))
    add_section(HomeSection("about-you", 84, _profile_section))
    app.action(blocks.PROFILE_ACTION)(profile_clicked)
    app.view(blocks.PROFILE_CALLBACK)(profile_submitted)
    app.action(blocks.DOWNLOAD_ACTION)(download_clicked)
    app.action(blocks.DELETE_ACTION)(delete_clicked)


def _your_data_section(heart: Heart, visit: HomeVisit) -> list[Block]:
    return blocks.home_blocks()


def _profile_section(heart: Heart, visit: HomeVisit) -> list[Block]:
    given = profiles.get(heart.store, visit.user_id)
    return blocks.profile_home_blocks(heart.content.shareout.sector_label(given.sector), given.state_name)


def profile_clicked(ack: Ack, action: dict, body: dict, client: WebClient, context: BoltContext) -> None:
    """*Tell heart-bot* / *Change* on Home: the optional profile form."""
    ack()
    heart = heart_of(context)
    click = Click.from_payload(action, body)
    sectors = [(s.id, s.label) for s in heart.content.shareout.sectors]
    view = blocks.profile_modal(profiles.get(heart.store, click.user_id), sectors)
    client.views_open(trigger_id=click.trigger_id, view=view)


def profile_submitted(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The profile form's Save: keep what was chosen (choices off the list read as not said)."""
    ack()
    heart = heart_of(context)
    submission = Submission.from_payload(body)
    sectors = [s.id for s in heart.content.shareout.sectors]
    given = profiles.checked(submission.choice(profiles.SECTOR), submission.choice(profiles.STATE), sectors)
    profiles.save(heart.store, submission.user_id, given, now=utc_now())
    publish_home(client, heart, submission.user_id)


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
    data = member_data.collect(heart.store, heart.content.shareout, owner_of(heart, user_id), heart.content.connections)
    stamp = utc_now().strftime("%Y-%m-%d")
    download = {"content": member_data.to_json(data), "filename": f"heart-my-data-{stamp}.json", "title": "Your data"}
    send_files(client, user_id, [download], blocks.download_comment())


def _delete_data(heart: Heart, client: WebClient, user_id: str) -> None:
    """Take the member's channel posts down, then delete their data (even where Slack refused a
    post), and tell them what went and which posts are still up."""
    heart.recorder.flush()  # every event of theirs must be on disk to lose their id
    owner = owner_of(heart, user_id)
    posted = [shareout for shareout in shareouts.all_mine(heart.store, owner) if shareout.message_ts]
    still_up = shareout_posts.remove_each(client, posted)
    forgotten = member_data.forget(heart.store, owner)
    tried = {(shareout.channel_id, shareout.message_ts) for shareout in posted}
    posted_meanwhile = [s for s in forgotten.posts if (s.channel_id, s.message_ts) not in tried]
    still_up += shareout_posts.remove_each(client, posted_meanwhile)
    if scheduler := heart.scheduler:
        for occurrence_id in forgotten.occurrences:
            scheduler.rsvps_changed(occurrence_id)
    taken_down = len(posted) + len(posted_meanwhile) - len(still_up)
    dm(client, user_id, blocks.deleted_message(forgotten, taken_down, still_up, heart.settings.timezone))
    publish_home(client, heart, user_id)
