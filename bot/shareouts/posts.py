"""The channel posts heart-bot makes of share-outs, and taking them down: when a member deletes a
share-out or all their data, and when retention removes a share-out's text.

Retention's daily run is claimed in the claims ledger (:mod:`bot.claims`), so one
process runs it; if that process dies, the next to start (or to run the job) takes the run over
at once and goes on from the posts still up. Its take-downs keep a pace shared by every process.
A take-down is safe to repeat: a post already gone counts as taken down."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.claims import EVERYONE, SENT, Claims
from bot.pacing import Pacer
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


def remove_each(client: WebClient, shareouts: Iterable[Shareout]) -> list[Shareout]:
    """Delete the channel post of each share-out; returns those whose post Slack refused to delete."""
    return [shareout for shareout in shareouts if not remove(client, shareout)]


TAKEDOWNS_PER_SECOND = 40 / 60  # chat.delete is Tier 3 (50+ a minute)


def apply_retention(
    store: Store,
    client: WebClient,
    days: int,
    *,
    claims: Claims,
    pace: Pacer,
    zone: tzinfo,
    now: datetime | None = None,
) -> int:
    """Remove the texts older than ``days`` (whole days in the community's ``zone``) and take down
    their channel posts (the scheduler runs this daily, in one process: the day's run is claimed).
    A post Slack refuses to delete is tried again the next day.

    :param pace: the take-downs' pace, shared by every process.
    :returns: how many posts were taken down.
    """
    now = now or datetime.now(UTC)
    run = claims.take(shareouts.RETENTION_JOB, now.astimezone(zone).date().isoformat(), EVERYONE)
    if run is None:
        return 0  # done today, or another process is at it
    shareouts.purge_expired(store, days, now, zone=zone)
    removed = refused = 0
    for shareout in shareouts.expired_posts(store):
        if not pace.wait_turn():
            claims.release(run)  # stopping: the next start goes on from here
            return removed
        if not claims.renew(run):
            return removed  # taken for gone and taken over: the other process goes on
        if remove(client, shareout):
            shareouts.record_post(store, shareout.id, None, None)
            removed += 1
        else:
            refused += 1
    claims.finish(run, SENT, detail=f"{removed} taken down, {refused} refused")
    if removed:
        log.info("retention: took down %d channel posts", removed)
    return removed
