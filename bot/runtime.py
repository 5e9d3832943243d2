"""The running bot's core: settings, store, content and background services, built once.

:func:`build_heart` is the one place that turns settings into a ready core. The Slack
app, the offline shell and the CLI all start from it, so they share one core. This module
sits above the features: it composes their content (:func:`load_content`), lists their
migration sets in order (:data:`MIGRATION_SETS`), and owns the checks made before serving
(:func:`check_start`). No feature imports it; features take what they use.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from bot import events
from bot.background import Background
from bot.config import Settings
from bot.content import Problems
from bot.engagement import report, rollups
from bot.engagement.report import Labels
from bot.errors import ConfigError, ContentError
from bot.events import Event, EventRecorder
from bot.group_commit import GroupCommit
from bot.library.entries import Category, GlossaryEntry, TipSheet
from bot.library.glossary import GlossaryIndex
from bot.library.loaders import load_library
from bot.library.tipsheets import TipSheetLibrary
from bot.members.coordinators import Coordinators
from bot.sessions import claims
from bot.sessions import core as sessions
from bot.sessions.content import load_session_content
from bot.sessions.core import Series
from bot.sessions.scheduler import SessionScheduler
from bot.shareouts import core as shareouts
from bot.shareouts.content import ShareoutContent, load_shareout_content
from bot.shareouts.posts import apply_retention
from bot.slack_client import web_client
from bot.store import Store

log = logging.getLogger(__name__)

# Every feature's tables, in the order they are made.
MIGRATION_SETS = [
    events.migrations,
    shareouts.migrations,
    sessions.migrations,
    claims.migrations,
    report.migrations,  # indexes on the tables above, for reports: keep it after them
    rollups.migrations,  # counts of the tables above, kept by triggers: keep it after them
]


@dataclass(frozen=True)
class Content:
    """Everything under ``content/`` that the bot serves, validated."""

    categories: tuple[Category, ...]
    glossary: tuple[GlossaryEntry, ...]
    tipsheets: tuple[TipSheet, ...]
    shareout: ShareoutContent = field(default_factory=ShareoutContent)
    sessions: tuple[Series, ...] = ()  # series declared in sessions.yml


def load_content(root: Path) -> Content:
    """Read and validate all content under ``root``, each feature its own part.

    :raises ContentError: listing every problem, one per line.
    """
    root = Path(root)
    if not root.is_dir():
        raise ContentError(f"{root}: the content folder does not exist (set CONTENT_DIR or restore content/)")
    problems = Problems(root)
    library = load_library(root, problems.read_yaml, problems.add)
    shareout = load_shareout_content(root, problems.read_yaml, problems.add)
    declared = load_session_content(root, problems.read_yaml, problems.add)
    problems.raise_if_any()
    return Content(library.categories, library.glossary, library.tipsheets, shareout, declared)


def report_labels(content: Content) -> Labels:
    """Names for the ids a report shows, from the community's content."""
    return Labels(
        sectors={choice.id: choice.label for choice in content.shareout.sectors},
        themes={choice.id: choice.label for choice in content.shareout.themes},
        entries={entry.id: entry.term for entry in content.glossary},
        tipsheets={sheet.slug: sheet.title for sheet in content.tipsheets},
    )


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
    # Work a request goes on with after it is answered (Slack calls, a write the database made wait).
    background: Background = field(default_factory=Background)
    services: list[Service] = field(default_factory=list)

    @property
    def categories(self) -> dict[str, Category]:
        """Glossary categories by id."""
        return {category.id: category for category in self.content.categories}

    @functools.cached_property
    def labels(self) -> Labels:
        """Names for the ids a report shows."""
        return report_labels(self.content)

    @property
    def scheduler(self) -> SessionScheduler | None:
        """This process's running scheduler, or None (the offline shell and the CLI have none)."""
        return next((s for s in self.services if isinstance(s, SessionScheduler) and s.running), None)

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


def build_heart(settings: Settings, content: Content | None = None) -> Heart:
    """Load and validate content (unless ``content`` was loaded already), open and migrate the database.

    :raises ContentError: if the content is invalid (nothing is started).
    """
    content = content or load_content(settings.content_dir)
    store = Store(settings.database_path)
    # Then, once, what the features wrote to the second before that should keep only its day in
    # the community's zone. Emptying the write-ahead log wipes the earlier versions, and whatever
    # a crash or a busy reader left there of the order of the last writes.
    store.migrate([*MIGRATION_SETS, events.day_migrations(settings.tz), shareouts.day_migrations(settings.tz)])
    store.erase_history()
    coordinators = Coordinators.from_settings(settings)
    heart = Heart(
        settings=settings,
        store=store,
        content=content,
        glossary=GlossaryIndex(content.glossary),
        tipsheets=TipSheetLibrary(content.tipsheets),
        recorder=EventRecorder(store, settings.tz),
        commits=GroupCommit(store),
        coordinators=coordinators,
    )
    # Sessions declared in content/sessions.yml, and every series' sessions up to the horizon.
    now = datetime.now(UTC)
    sessions.import_series(store, list(content.sessions), now=now, default_channel=settings.peerhour_channel)
    sessions.expand_all(store, now)
    scheduler = SessionScheduler(store, settings, coordinators=coordinators.all)
    if settings.shareout_retention_days:
        client = web_client(settings)
        scheduler.every_day(
            shareouts.RETENTION_JOB,
            functools.partial(apply_retention, store, client, settings.shareout_retention_days, zone=settings.tz),
        )
    heart.services.append(scheduler)
    # Stopped first (services stop in reverse): work handed over by requests finishes before
    # the scheduler, the writers and the database close under it.
    heart.services.append(heart.background)
    log.info(
        "content loaded: %d glossary entries, %d tip sheets; database %s",
        len(content.glossary),
        len(content.tipsheets),
        settings.database_path,
    )
    return heart


def check_database(path: Path) -> None:
    """Open and migrate the database as serving will, then close it: run before the server takes
    its port, so a file that can't be used stops the start with one clear line.

    :raises ConfigError: naming ``DATABASE_PATH`` (a directory, not a database, not writable...).
    """
    store = Store(path)
    try:
        store.migrate(MIGRATION_SETS)
    except (sqlite3.Error, OSError) as error:
        raise ConfigError(
            f"DATABASE_PATH {path} can't be used as heart-bot's database ({error}): "
            "point it at a writable SQLite file on a persistent volume"
        ) from None
    finally:
        store.close()


def check_start(settings: Settings) -> Content:
    """Refuse to serve on settings Slack can't use, invalid content, or a database that can't be
    used, before anything is started; the content, checked, for :func:`build_heart`.

    :raises HeartError: naming the problem (a ``ConfigError`` or a ``ContentError``).
    """
    settings.require_slack()
    content = load_content(settings.content_dir)
    check_database(settings.database_path)
    return content
