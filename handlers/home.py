"""App Home: upcoming sessions with RSVP and DM-reminder state, quick links, and the sections
other features add.

Each feature adds a :class:`HomeSection` (a name, an order and a builder) with
:func:`add_section` from its ``register``; :func:`publish_home` asks every section for its
blocks, in order, for one member, and joins them into the Home view. Sections marked
``coordinators_only`` are built only for coordinators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.blocks import context, header, home_view
from bot.library.tipsheet_blocks import resources_blocks
from bot.runtime import Heart
from bot.sessions import blocks as session_blocks
from bot.sessions import core as sessions
from bot.sessions import feeds
from handlers.common import after_ack, heart_of, utc_now

HOME_SESSIONS = 5


@dataclass(frozen=True)
class HomeVisit:
    """Who is looking at the Home tab, and when."""

    user_id: str
    coordinator: bool
    now: datetime


@dataclass(frozen=True)
class HomeSection:
    """A part of the Home tab: ``build`` returns its blocks for one visit ([] to show nothing)."""

    name: str
    order: int
    build: Callable[[Heart, HomeVisit], list[Block]]
    coordinators_only: bool = False


_SECTIONS: dict[str, HomeSection] = {}


def add_section(home_section: HomeSection) -> None:
    """Add a section (or replace the one with the same name: registering twice is harmless)."""
    _SECTIONS[home_section.name] = home_section


def register(app: App) -> None:
    """Add the sessions and the quick links to the Home tab, and publish it whenever a member opens it."""
    add_section(HomeSection("setup", 5, _setup_section, coordinators_only=True))
    add_section(HomeSection("sessions", 10, _sessions_section))
    add_section(HomeSection("calendar", 20, _calendar_section))
    add_section(HomeSection("resources", 90, _resources_section))
    app.event("app_home_opened")(home_opened)


def home_opened(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
    """Publish the member's Home tab (not for the Messages tab), after Bolt acknowledges the event."""
    if event.get("tab", "home") != "home" or not event.get("user"):
        return  # the Messages tab, or a malformed event
    heart, user_id = heart_of(context), str(event["user"])
    after_ack(context, body, lambda: publish_home(client, heart, user_id))


def publish_home(client: WebClient, heart: Heart, user_id: str) -> None:
    """Build and publish ``user_id``'s Home tab as of now."""
    visit = HomeVisit(user_id, heart.is_coordinator(user_id), utc_now())
    client.views_publish(user_id=user_id, view=home_view(_parts(heart, visit)))


def _parts(heart: Heart, visit: HomeVisit) -> Iterator[list[Block]]:
    """Each section's blocks for the visit, in order (built only as the view takes them)."""
    for home_section in sorted(_SECTIONS.values(), key=lambda s: (s.order, s.name)):
        if not home_section.coordinators_only or visit.coordinator:
            yield home_section.build(heart, visit)


def _sessions_section(heart: Heart, visit: HomeVisit) -> list[Block]:
    found = sessions.upcoming(heart.store, visit.now, limit=HOME_SESSIONS)
    shown = sessions.member_views(heart.store, found, visit.user_id)
    return [
        header("Upcoming peer support hours"),
        context(session_blocks.REMINDER_HINT),
        *session_blocks.upcoming_blocks(shown, surface=session_blocks.HOME, coordinator=visit.coordinator, now=visit.now),
        *session_blocks.prompt_setting_blocks(sessions.prompts_by_dm(heart.store, visit.user_id)),
    ]


def _calendar_section(heart: Heart, visit: HomeVisit) -> list[Block]:
    """Calendar subscriptions, when the deployment's public address (PUBLIC_URL) is set."""
    public_url = heart.settings.public_url
    if not public_url:
        return []
    coming = sessions.upcoming(heart.store, visit.now, limit=50)
    series_links = []
    for series_id in dict.fromkeys(o.series_id for o in coming):
        series = sessions.get_series(heart.store, series_id)
        if series is None:
            continue
        token = feeds.series_feed_token(heart.store, series_id, now=visit.now)
        series_links.append((series, feeds.webcal_url(public_url, token), feeds.google_add_by_url(public_url, token)))
    since = feeds.member_feed_since(heart.store, visit.user_id)
    return session_blocks.feed_home_blocks(member_since=since, series_links=series_links[:10])


def _setup_section(heart: Heart, visit: HomeVisit) -> list[Block]:
    return session_blocks.setup_blocks(sessions.series_needing_setup(heart.store, visit.now))


def _resources_section(heart: Heart, visit: HomeVisit) -> list[Block]:
    return resources_blocks([sheet.title for sheet in heart.tipsheets.sheets])
