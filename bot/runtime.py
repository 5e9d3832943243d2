"""The running bot's core: settings, store, content and background services, built once.

:func:`build_heart` is the one place that turns settings into a ready core. The Slack
app, the offline shell and the CLI all start from it, so they share one core. This module
sits above the features: it composes their content (:func:`load_content`), lists their
migration sets in order (:data:`MIGRATION_SETS`), and owns the checks made before serving
(:func:`check_start`). No feature imports it; features take what they use.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
import os
import pickle
import sqlite3
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Protocol, TypeVar

import sqlite_utils

from bot import cache, claims, events, instances, pacing, profiles
from bot.background import Background
from bot.claims import Claims
from bot.config import Settings
from bot.connections import core as connections
from bot.connections.content import Choice as ConnectionChoice
from bot.connections.content import ConnectionsContent, Sheet, load_connections_content
from bot.connections.scheduler import ConnectionsScheduler
from bot.content import Problems
from bot.engagement import attendance, kept, pulse, report, rollups
from bot.engagement.pulse_service import PulseService
from bot.engagement.report import Labels
from bot.errors import ConfigError, ContentError
from bot.events import Event, EventRecorder
from bot.group_commit import GroupCommit
from bot.instances import Instance
from bot.library.entries import Category, GlossaryEntry, TipSheet
from bot.library.glossary import GlossaryIndex
from bot.library.loaders import load_library, tipsheet_files
from bot.library.mrkdwn import tips
from bot.library.tipsheets import TipSheetLibrary
from bot.members.coordinators import Coordinators
from bot.pacing import Pacer
from bot.preflight import SlackFindings, check_slack
from bot.scheduling import Scheduler
from bot.sessions import core as sessions
from bot.sessions.content import load_session_content
from bot.sessions.core import Series
from bot.sessions.scheduler import SessionScheduler
from bot.shareouts import core as shareouts
from bot.shareouts.content import ShareoutContent, load_shareout_content, shareout_files
from bot.shareouts.posts import TAKEDOWNS_PER_SECOND, apply_retention
from bot.slack_client import last_success, web_client
from bot.store import MIGRATION_WAIT_SECONDS, Store

log = logging.getLogger(__name__)

T = TypeVar("T")

# Every feature's tables, in the order they are made.
MIGRATION_SETS = [
    events.migrations,
    shareouts.migrations,
    sessions.migrations,
    instances.migrations,
    claims.migrations,
    pacing.migrations,
    connections.migrations,
    report.migrations,  # indexes on the tables above, for reports: keep it after them
    attendance.migrations,
    profiles.migrations,  # after connections: the one profile took over their sector and state
    pulse.migrations,
    rollups.migrations,  # counts of the tables above, kept by triggers: keep it after them
    kept.migrations,
]


@dataclass(frozen=True)
class Content:
    """Everything under ``content/`` that the bot serves, validated."""

    categories: tuple[Category, ...]
    glossary: tuple[GlossaryEntry, ...]
    tipsheets: tuple[TipSheet, ...]
    shareout: ShareoutContent = field(default_factory=ShareoutContent)
    sessions: tuple[Series, ...] = ()  # series declared in sessions.yml
    connections: ConnectionsContent = field(default_factory=ConnectionsContent)


def load_content(root: Path, *, apart: bool = False) -> Content:
    """Read and validate all content under ``root``, each feature its own part.

    Content that was read and found valid before, by the same code and libraries, is taken
    from the cache folder (:mod:`bot.cache`) instead: reading and checking it costs a few
    tenths of a second of every start, unpickling it some milliseconds. Any change to a file
    under ``root``, to heart-bot's code or to the libraries that read content is a new key,
    so it is read and checked afresh; invalid content is never cached.

    :param apart: where the cache lacks the content, read and check it in a child process
        that keeps it there, and take it from the cache (a serving process: see :func:`_read_apart`).
    :raises ContentError: listing every problem, one per line.
    """
    root = Path(root)
    if not root.is_dir():
        raise ContentError(f"{root}: the content folder does not exist (set CONTENT_DIR or restore content/)")
    version = _content_version(root)
    if (content := _cached(CONTENT_CACHE, version, Content)) is not None:
        return content
    if apart and _read_apart(root) and (content := _cached(CONTENT_CACHE, version, Content)) is not None:
        return content
    pickled = pickle.dumps(_read_content(root), protocol=pickle.HIGHEST_PROTOCOL)
    cache.write(CONTENT_CACHE, version, pickled)
    # Returned as the cache returns it next time: the safety net still pickled until first used,
    # and the objects that reading and checking the files made freed all together, so the
    # memory they took goes back to the system (kept, they left a start after a deploy about
    # 7 MB larger for the life of the process).
    return pickle.loads(pickled)  # noqa: S301 (bytes pickled just above)


def _cached(name: str, version: str, kind: type[T]) -> T | None:
    """The ``kind`` of content kept in the cache folder as ``name`` for ``version``, if any (and readable)."""
    if (kept := cache.read(name, version)) is None:
        return None
    try:
        content = pickle.loads(kept)  # noqa: S301 (written by this code, in a folder only its user writes)
    except Exception as error:  # a file cut short or from another Python: read the content instead
        log.debug("cached %s unreadable (%s): reading it afresh", name, error)
        return None
    return content if isinstance(content, kind) else None


def _read_apart(root: Path) -> bool:
    """Read and check the content under ``root`` in a child process (``python -m bot check
    --content``), which keeps it in the cache folder; True if the child succeeded.

    Reading and checking make far more objects than the content keeps (the safety net's
    patterns compiled into one search, every rule's examples heard), and, freed, they left the
    process that made them some 13 MB larger for its life: a serving process started with the
    cache empty (after a deploy, or on a host whose disk starts empty) ends as small as one
    started from the cache. A child that fails (invalid content, a cache folder it can't write)
    leaves the reading to this process, which tells the problems.
    """
    command = [sys.executable, "-m", "bot", "check", "--content"]
    try:
        done = subprocess.run(
            command, env={**os.environ, "CONTENT_DIR": str(root)}, capture_output=True, timeout=READ_APART_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        log.warning("could not read the content in a child process (%s): reading it here", error)
        return False
    if done.returncode:
        log.debug("reading the content in a child process failed (exit %s): reading it here", done.returncode)
    return done.returncode == 0


READ_APART_TIMEOUT = 300  # seconds: compiling the patterns takes some 7 of CPU; past this, this process reads them


CONTENT_CACHE = "content"
SHAREOUT_CACHE = "shareout-content"  # the share-out form and the safety net, kept apart too (see _shareout_content)
# The libraries whose reading of the files is part of the content (parsing, stems, the typo reader's words),
# or whose objects it pickles (the word models' arrays).
CONTENT_LIBRARIES = ("PyYAML", "python-frontmatter", "markdown-it-py", "snowballstemmer", "pyspellchecker", "rapidfuzz", "numpy")


def _content_version(root: Path) -> str:
    """The cache key of the content under ``root``: every file there, and what reads them (:func:`_reader_version`)."""
    return cache.key(_reader_version(), *_file_parts(root, root.rglob("*")))


@functools.cache
def _reader_version() -> str:
    """The part of every content key that is not the files: heart-bot's code, the libraries
    that read content and the Python that pickles it."""
    code = Path(__file__).parent
    libraries = [f"{name} {metadata.version(name)}" for name in CONTENT_LIBRARIES]
    return cache.key(sys.version, *libraries, *_file_parts(code, (p for p in code.rglob("*") if p.suffix != ".pyc")))


def _file_parts(folder: Path, paths: Iterable[Path]) -> list[str | bytes]:
    """Each of the files among ``paths``, in order of name, as its name in ``folder`` and its bytes."""
    files = sorted(path for path in paths if path.is_file())
    return [part for path in files for part in (str(path.relative_to(folder)), path.read_bytes())]


def _read_content(root: Path) -> Content:
    """:func:`load_content`, read from the files."""
    problems = Problems(root)
    library = load_library(root, problems.read_yaml, problems.add)
    shareout = _shareout_content(root, problems)
    declared = load_session_content(root, problems.read_yaml, problems.add)
    # Connections offer the share-out form's sectors and themes, and draw starters from the tip sheets.
    connected = load_connections_content(
        root,
        problems.read_yaml,
        problems.add,
        sectors=tuple(ConnectionChoice(choice.id, choice.label) for choice in shareout.sectors),
        themes={choice.id: choice.label for choice in shareout.themes},
        sheets={
            sheet.slug: Sheet(sheet.title, {heading: tuple(found) for heading, found in tips(sheet.body).items()})
            for sheet in library.tipsheets
        },
        sheet_files=tipsheet_files(root).keys(),
    )
    problems.raise_if_any()
    return Content(library.categories, library.glossary, library.tipsheets, shareout, declared, connected)


def _shareout_content(root: Path, problems: Problems) -> ShareoutContent:
    """The share-out form and the safety net, taken from the cache folder when their own
    files were read before, by the same code: building the safety net is most of the work
    of reading the content (seconds), and an editor changes the glossary, the tip sheets
    or the sessions far more often than the crisis rules. Kept only when valid."""
    version = cache.key(_reader_version(), *_file_parts(root, shareout_files(root)))
    if (content := _cached(SHAREOUT_CACHE, version, ShareoutContent)) is not None:
        return content
    known = len(problems.lines)
    content = load_shareout_content(root, problems.read_yaml, problems.add)
    if len(problems.lines) == known:
        cache.write(SHAREOUT_CACHE, version, pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL))
    return content


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
    recorder: EventRecorder
    commits: GroupCommit
    coordinators: Coordinators
    # Work a request goes on with after it is answered (Slack calls, a write the database made wait).
    background: Background = field(default_factory=Background)
    services: list[Service] = field(default_factory=list)
    reminders: SessionScheduler | None = None  # the features on the process's scheduler (None in the CLI)
    introductions: ConnectionsScheduler | None = None

    # The search indexes are built when first asked for: stemming every name, definition and
    # tip sheet section takes about a tenth of a second that a start need not wait for. A
    # serving process builds them, and the safety net (see ShareoutContent), right after it
    # starts (see start_services).
    @functools.cached_property
    def glossary(self) -> GlossaryIndex:
        """The glossary's search index."""
        return GlossaryIndex(self.content.glossary)

    @functools.cached_property
    def tipsheets(self) -> TipSheetLibrary:
        """The tip sheets, searchable by title, alias and section."""
        return TipSheetLibrary(self.content.tipsheets)

    @property
    def categories(self) -> dict[str, Category]:
        """Glossary categories by id."""
        return {category.id: category for category in self.content.categories}

    @functools.cached_property
    def labels(self) -> Labels:
        """Names for the ids a report shows."""
        return report_labels(self.content)

    @property
    def instance(self) -> Instance | None:
        """This process as the others see it (claims are its), or None where nothing is sent on a schedule."""
        return next((s for s in self.services if isinstance(s, Instance)), None)

    @property
    def scheduler(self) -> SessionScheduler | None:
        """This process's running reminders, or None (the offline shell and the CLI have none)."""
        return self.reminders if self.reminders is not None and self.reminders.running else None

    @property
    def connections(self) -> ConnectionsScheduler | None:
        """This process's running connections rounds, or None (the offline shell and the CLI have none)."""
        return self.introductions if self.introductions is not None and self.introductions.running else None

    def is_coordinator(self, user_id: str | None) -> bool:
        """True when ``user_id`` may use coordinator commands (checked on every request).

        Coordinators are ``COORDINATOR_IDS`` plus the members of ``COORDINATOR_GROUP``.
        """
        return self.coordinators.is_coordinator(user_id)

    def record(self, event: Event) -> None:
        """Record an engagement event without waiting for the disk."""
        self.recorder.record(event)

    def start_services(self) -> None:
        """Start background services (only the serving process calls this), after warning the
        coordinators' log of any series that will remind people with no join link or no channel."""
        for series, gaps in sessions.series_needing_setup(self.store, datetime.now(UTC)):
            for gap in gaps:
                log.warning("series %s %s", series.id, gap)
        for service in self.services:
            service.start()
        gc.enable()  # off while the process started (bot/__main__.py); the indexes' build below collects once
        # Built now rather than at a member's first lookup (one that comes sooner builds them itself).
        self.background.submit(self._build_indexes, lambda error: log.error("could not build the search indexes: %s", error))

    def _build_indexes(self) -> None:
        self.content.shareout.crisis  # noqa: B018 (unpickled on first use)
        self.glossary  # noqa: B018 (built on first use)
        self.tipsheets  # noqa: B018
        # What the process holds by now (libraries, content, indexes) lives as long as it does.
        # Frozen, the garbage collector no longer walks it: a full collection walked some 80,000
        # objects, tens of milliseconds during which no request could run.
        gc.collect()
        gc.freeze()
        _return_freed_memory()

    def close(self) -> None:
        """Stop services and write what is still queued."""
        for service in reversed(self.services):
            service.stop()
        self.commits.close()
        self.recorder.close()


def _return_freed_memory() -> None:
    """Hand the memory freed while loading back to the system. Loading the content and the
    safety net frees much of what it made (parsed files, the packed model's pieces), and
    glibc's allocator holds on to what was freed: some 12 MB of an idle bot's resident
    memory. Elsewhere (no glibc), nothing to do."""
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def build_heart(settings: Settings, content: Content | None = None) -> Heart:
    """Load and validate content, open and migrate the database.

    :param content: the content of ``settings.content_dir``, if it was loaded already.
    :raises ContentError: if the content is invalid (nothing is started).
    """
    content = content or load_content(settings.content_dir)
    store = Store(settings.database_path)
    # Then, once, what the features wrote to the second before that should keep only its day in
    # the community's zone. Emptying the write-ahead log wipes the earlier versions, and whatever
    # a crash or a busy reader left there of the order of the last writes.
    store.migrate(migration_sets(settings))
    store.erase_history()
    coordinators = Coordinators.from_settings(settings)
    heart = Heart(
        settings=settings,
        store=store,
        content=content,
        recorder=EventRecorder(store, settings.tz),
        commits=GroupCommit(store),
        coordinators=coordinators,
    )
    # Sessions declared in content/sessions.yml, and every series' sessions up to the horizon.
    now = datetime.now(UTC)
    sessions.import_series(store, list(content.sessions), now=now, default_channel=settings.peerhour_channel)
    sessions.expand_all(store, now)
    instance = Instance(store, heartbeat=settings.heartbeat_seconds)
    # One scheduler for the process; each feature registers its jobs on it.
    scheduler = Scheduler(store, settings, instance=instance)
    heart.reminders = SessionScheduler(scheduler, coordinators=coordinators.all)
    heart.introductions = ConnectionsScheduler(scheduler, content.connections)
    PulseService(scheduler, web_client(settings))
    if settings.shareout_retention_days:
        takedowns = Pacer(store, "chat.delete", TAKEDOWNS_PER_SECOND, scheduler.stopping)
        scheduler.every_day(
            shareouts.RETENTION_JOB,
            functools.partial(
                apply_retention,
                store,
                web_client(settings),
                settings.shareout_retention_days,
                claims=Claims(store, instance.id),
                pace=takedowns,
                zone=settings.tz,
            ),
        )
    heart.services += [instance, scheduler]  # started in this order, stopped in the reverse
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


def check_database(path: Path, *, wait: float = MIGRATION_WAIT_SECONDS) -> None:
    """Open and migrate the database as serving will, then close it: run before the server takes
    its port, so a database that can't be used stops the start with one clear line.

    :param wait: how long to wait for another process that holds the write lock (one migrating).
    :raises ConfigError: naming ``DATABASE_PATH`` and what is wrong: the file (a directory, not a
        database, not writable), the disk, another process holding it, or the schema.
    """
    store = Store(path)
    try:
        store.migrate(MIGRATION_SETS, wait=wait)
    except (sqlite3.Error, OSError) as error:
        raise ConfigError(f"DATABASE_PATH {path}: {database_problem(error, wait)}") from None
    finally:
        store.close()


def database_problem(error: sqlite3.Error | OSError, wait: float) -> str:
    """What to tell the person starting heart-bot about ``error``, blaming the file only when the
    file is the problem."""
    text = str(error)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return (
            f"another process kept its write lock for over {wait:.0f} s ({text}): is a tool holding it open, or "
            "another heart-bot stuck while starting? Stop that process and start again; the file itself is fine"
        )
    if "disk is full" in lowered or "disk i/o" in lowered:
        return f"the disk failed or is full ({text}): free space on the volume, then start again"
    if isinstance(error, OSError) or "not a database" in lowered or "unable to open" in lowered or "readonly" in lowered:
        return f"can't be used as heart-bot's database ({text}): point it at a writable SQLite file on a persistent volume"
    return f"heart-bot could not prepare its tables ({text}); the file was left as it was"


def migration_sets(settings: Settings) -> list[sqlite_utils.Migrations]:
    """Every migration set a database of these settings gets, in order."""
    return [*MIGRATION_SETS, events.day_migrations(settings.tz), shareouts.day_migrations(settings.tz)]


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database file stands against this code's migrations."""

    exists: bool
    applied: int = 0  # the schema version: how many of this code's migrations the file has
    pending: tuple[str, ...] = ()  # "set: name" of each migration the next start applies
    unknown: tuple[str, ...] = ()  # migrations the file has that this code does not know (a newer release made it)

    @property
    def version(self) -> int:
        """The schema version: the number of migrations applied."""
        return self.applied + len(self.unknown)

    def describe(self) -> str:
        """One line for ``check``."""
        if not self.exists:
            return "no database yet: the first start creates it"
        if self.unknown:
            return (
                f"schema version {self.version}, newer than this code knows ({', '.join(self.unknown)}): "
                "run the release that made it, or restore a backup made by this one"
            )
        if self.pending:
            return f"schema version {self.version}; the next start applies {len(self.pending)} migrations: {', '.join(self.pending)}"
        return f"schema version {self.version}, up to date"


def schema_status(path: Path, settings: Settings) -> SchemaStatus:
    """Read, without writing, which migrations ``path`` has and which the next start applies."""
    if not Path(path).is_file():
        return SchemaStatus(exists=False)
    connection = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        db = sqlite_utils.Database(connection)
        sets = migration_sets(settings)
        known = {(s.name, m.name) for s in sets for m in s._migrations}
        pending = tuple(f"{s.name}: {m.name}" for s in sets for m in s.pending(db))
        applied_rows = (
            list(db.query("select migration_set, name from _sqlite_migrations order by id"))
            if db["_sqlite_migrations"].exists()
            else []
        )
    finally:
        connection.close()
    applied = [(row["migration_set"], row["name"]) for row in applied_rows]
    unknown = tuple(f"{name}: {migration}" for name, migration in applied if (name, migration) not in known)
    return SchemaStatus(True, len(applied) - len(unknown), pending, unknown)


def series_channels(settings: Settings, content: Content) -> list[tuple[str, str]]:
    """``(title, channel id)`` of each active series that posts to a channel: those declared in
    content (with ``PEERHOUR_CHANNEL`` for those naming none) and those the database holds.
    Read without writing; a database not made yet adds none."""
    found = {s.channel_id or settings.peerhour_channel: s.title for s in content.sessions}
    path = Path(settings.database_path)
    if path.is_file():
        connection = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
        try:
            db = sqlite_utils.Database(connection)
            if db["series"].exists():
                for row in db.query("select title, channel_id from series where status = 'active' order by title"):
                    found.setdefault(row["channel_id"], row["title"])
        finally:
            connection.close()
    return [(title, channel) for channel, title in found.items() if channel]


def health(heart: Heart) -> tuple[dict[str, object], bool]:
    """What ``/healthz?verbose=1`` says: whether the database takes a write (nothing is written),
    whether the scheduler runs and when it runs next, and when Slack last answered a call.

    :returns: the details, and whether all is well.
    """
    try:
        connection = sqlite3.connect(heart.settings.database_path, timeout=2)
        try:
            connection.execute("BEGIN IMMEDIATE")  # takes the write lock, writes nothing
            connection.execute("ROLLBACK")
        finally:
            connection.close()
        writable: object = True
    except sqlite3.Error as error:
        writable = f"no: {error}"
    scheduler = heart.scheduler
    upcoming = scheduler.next_run() if scheduler else None
    last = last_success()
    details: dict[str, object] = {
        "database_writable": writable,
        "scheduler_running": scheduler is not None,
        "scheduler_next_run": upcoming.isoformat() if upcoming else None,
        "slack_last_success": datetime.fromtimestamp(last, UTC).isoformat() if last else None,
    }
    well = writable is True and scheduler is not None
    return {"status": "ok" if well else "degraded", **details}, well


@dataclass(frozen=True)
class Checked:
    """What :func:`check_start` found fit to serve: the content, read and validated (serving
    builds its core on it rather than reading it again), and what Slack said."""

    content: Content
    findings: SlackFindings | None = None  # None when Slack was not asked


def check_start(settings: Settings, *, online: bool = True) -> Checked:
    """Refuse to serve on settings Slack can't use, invalid content, a database that can't be
    used, or (``online``) a token or scopes Slack refuses, before anything is started.

    Every settings problem is named at once, one per line.

    :returns: the content, and what Slack said (its warnings are for the caller to log).
    :raises HeartError: naming the problems (a ``ConfigError`` or a ``ContentError``).
    """
    if problems := settings.slack_problems():
        raise ConfigError("\n".join(problems))
    content = load_content(settings.content_dir, apart=True)
    check_database(settings.database_path)
    if not online:
        return Checked(content)
    findings = check_slack(settings, series_channels(settings, content))
    if findings.fatal:
        raise ConfigError("\n".join(findings.fatal))
    return Checked(content, findings)
