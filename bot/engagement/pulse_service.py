"""Sends the post-session pulse (:mod:`bot.engagement.pulse`) by DM, every few minutes while
the bot serves, on the process's scheduler (:mod:`bot.scheduling`). Each member is claimed in the
database before their DM goes, so two processes never both ask, and a restart catches up on the
sessions of the last two days."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.engagement import pulse
from bot.engagement.blocks import pulse_message
from bot.scheduling import Scheduler
from bot.store import Store

log = logging.getLogger(__name__)

JOB = "pulse"
EVERY_SECONDS = 300
FIRST_AFTER_SECONDS = 5  # the first round waits a little: a start (or a restart storm) is not slowed by it


class PulseService:
    """The job that asks members how useful a session was, registered on ``scheduler``."""

    def __init__(self, scheduler: Scheduler, client: WebClient, *, every_seconds: int = EVERY_SECONDS):
        self._store: Store = scheduler.store
        self._client = client
        scheduler.register(JOB, self.send_due, every_seconds=every_seconds, first_after=FIRST_AFTER_SECONDS)

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
