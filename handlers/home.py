"""App Home: upcoming sessions with RSVP and DM-reminder state, quick links, and the sections
other features add (see :mod:`bot.blocks.home`)."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import home as views
from bot.blocks import context, header
from bot.runtime import Heart
from bot.sessions import blocks as session_views
from bot.sessions import core as sessions

HOME_SESSIONS = 5


def register(app: App, heart: Heart) -> None:
    """Publish the Home tab whenever a member opens it."""
    views.add_section(views.HomeSection("sessions", 10, _sessions_section))
    views.add_section(views.HomeSection("resources", 90, _resources_section))

    @app.event("app_home_opened")
    def home_opened(event: dict, client: WebClient) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return  # the Messages tab, or a malformed event
        publish_home(client, heart, str(event["user"]))


def publish_home(client: WebClient, heart: Heart, user_id: str) -> None:
    """Build and publish ``user_id``'s Home tab as of now."""
    visit = views.HomeVisit(heart, user_id, heart.is_coordinator(user_id), datetime.now(UTC))
    client.views_publish(user_id=user_id, view=views.home_view(visit))


def _sessions_section(visit: views.HomeVisit) -> list[Block]:
    store = visit.heart.store
    found = sessions.upcoming(store, visit.now, limit=HOME_SESSIONS)
    shown = sessions.member_views(store, found, visit.user_id)
    return [
        header("Upcoming peer support hours"),
        context("Times are shown in your own time zone. *Remind me by DM* sends you each session's reminders."),
        *session_views.upcoming_blocks(shown, surface=session_views.HOME, coordinator=visit.coordinator),
    ]


def _resources_section(visit: views.HomeVisit) -> list[Block]:
    return views.resources_blocks([sheet.title for sheet in visit.heart.tipsheets.sheets])
