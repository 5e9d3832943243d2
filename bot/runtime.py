"""The running bot's shared state: settings, store, content and background services.

:func:`build_heart` is the one place that turns settings into a ready core. The Slack
app, the offline shell and the CLI all start from it, so they share one core.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bot.config import Settings
from bot.events import Event, EventRecorder
from bot.group_commit import GroupCommit
from bot.library.content import Category, Content, load_content
from bot.library.glossary import GlossaryIndex
from bot.library.tipsheets import TipSheetLibrary
from bot.members.coordinators import Coordinators
from bot.sessions.core import expand_all, import_series
from bot.sessions.scheduler import SessionScheduler
from bot.shareouts.core import RETENTION_JOB
from bot.shareouts.posts import apply_retention
from bot.slack_client import web_client
from bot.store import Store

log = logging.getLogger(__name__)


class Service(Protocol):
    """Something that runs in the background while the bot serves (e.g. the scheduler)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Heart:
    """Everything a handler, the shell or the CLI needs, built once per process."""

    settings: Settings
    store: Store
    content: Content
    glossary: GlossaryIndex
    tipsheets: TipSheetLibrary
    recorder: EventRecorder
    commits: GroupCommit
    coordinators: Coordinators
    services: list[Service] = field(default_factory=list)

    @property
    def categories(self) -> dict[str, Category]:
        """Glossary categories by id."""
        return {category.id: category for category in self.content.categories}

    def is_coordinator(self, user_id: str | None) -> bool:
        """True when ``user_id`` may use coordinator commands (checked on every request).

        Coordinators are ``COORDINATOR_IDS`` plus the members of ``COORDINATOR_GROUP``.
        """
        return self.coordinators.is_coordinator(user_id)

    def record(self, event: Event) -> None:
        """Record an engagement event without waiting for the disk."""
        self.recorder.record(event)

    def start_services(self) -> None:
        """Start background services (only the serving process calls this)."""
        for service in self.services:
            service.start()

    def close(self) -> None:
        """Stop services and write what is still queued."""
        for service in reversed(self.services):
            service.stop()
        self.commits.close()
        self.recorder.close()


def build_heart(settings: Settings) -> Heart:
    """Load and validate content, open and migrate the database.

    :raises ContentError: if the content is invalid (nothing is started).
    """
    content = load_content(settings.content_dir)
    store = Store(settings.database_path)
    store.migrate()
    heart = Heart(
        settings=settings,
        store=store,
        content=content,
        glossary=GlossaryIndex(content.glossary),
        tipsheets=TipSheetLibrary(content.tipsheets),
        recorder=EventRecorder(store),
        commits=GroupCommit(store),
        coordinators=Coordinators.from_settings(settings),
    )
    # Sessions declared in content/sessions.yml, and every series' sessions up to the horizon.
    now = datetime.now(UTC)
    import_series(store, list(content.sessions), now=now, default_channel=settings.peerhour_channel)
    expand_all(store, now)
    scheduler = SessionScheduler(heart)
    if settings.shareout_retention_days:
        client = web_client(settings)
        scheduler.every_day(RETENTION_JOB, functools.partial(apply_retention, store, client, settings.shareout_retention_days))
    heart.services.append(scheduler)
    log.info(
        "content loaded: %d glossary entries, %d tip sheets; database %s",
        len(content.glossary),
        len(content.tipsheets),
        settings.database_path,
    )
    return heart
