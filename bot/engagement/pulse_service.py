"""Sends the post-session pulse (:mod:`bot.engagement.pulse`) by DM, every few minutes while
the bot serves. Each member is claimed in the database before their DM goes, so two
processes never both ask, and a restart catches up on the sessions of the last two days."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.engagement import pulse
from bot.engagement.blocks import pulse_message
from bot.store import Store

log = logging.getLogger(__name__)

EVERY_SECONDS = 300
FIRST_AFTER_SECONDS = 5


class PulseService:
    """The background job that asks members how useful a session was."""

    def __init__(self, store: Store, client: WebClient, *, every_seconds: int = EVERY_SECONDS):
        self._store, self._client = store, client
        self._scheduler = BackgroundScheduler(timezone=UTC)
        # The first round waits a little: a start (or a restart storm) is not slowed by it.
        first = datetime.now(UTC) + timedelta(seconds=FIRST_AFTER_SECONDS)
        self._scheduler.add_job(self.send_due, IntervalTrigger(seconds=every_seconds), id="pulse", next_run_time=first, max_instances=1)

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def send_due(self, now: datetime | None = None) -> int:
        """Ask every member now due; returns how many DMs went out."""
        sent = 0
        for due in pulse.due(self._store, now or datetime.now(UTC)):
            if not pulse.claim(self._store, due.occurrence_id, due.user_id):
                continue  # another process is asking them
            message = pulse_message(due.occurrence_id, due.title)
            try:
                self._client.chat_postMessage(channel=due.user_id, text=message.text, blocks=message.to_dict()["blocks"])
                sent += 1
            except SlackApiError as error:  # claimed all the same: a member is never asked twice
                log.warning("could not send the pulse about %s (%s)", due.occurrence_id, error.response.get("error"))
        if sent:
            log.info("pulse: asked %d members", sent)
        return sent
