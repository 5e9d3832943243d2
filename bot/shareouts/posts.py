"""The channel posts heart-bot makes of share-outs, and taking them down: when a member deletes a
share-out or all their data, and when retention removes a share-out's text."""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.shareouts import core as shareouts
from bot.shareouts.core import Shareout
from bot.store import Store

log = logging.getLogger(__name__)

_ALREADY_GONE = ("message_not_found", "channel_not_found")


def remove(client: WebClient, shareout: Shareout) -> bool:
    """Delete the share-out's channel post, if it has one; False if Slack refused."""
    if not (shareout.message_ts and shareout.channel_id):
        return True
    try:
        client.chat_delete(channel=shareout.channel_id, ts=shareout.message_ts)
    except SlackApiError as error:
        reason = error.response.get("error")
        if reason not in _ALREADY_GONE:
            log.warning("could not delete the post of share-out %s (%s)", shareout.id, reason)
            return False
    return True


def apply_retention(store: Store, client: WebClient, days: int, now: datetime | None = None, *, zone: tzinfo) -> int:
    """Remove the texts older than ``days`` (whole days in the community's ``zone``) and take down
    their channel posts (the scheduler runs this daily). A post Slack refuses to delete is tried
    again the next day.

    :returns: how many posts were taken down.
    """
    shareouts.purge_expired(store, days, now, zone=zone)
    removed = 0
    for shareout in shareouts.expired_posts(store):
        if remove(client, shareout):
            shareouts.record_post(store, shareout.id, None, None)
            removed += 1
    if removed:
        log.info("retention: took down %d channel posts", removed)
    return removed
