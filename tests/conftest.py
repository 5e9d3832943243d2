"""Shared fixtures: a local Slack Web API, and the real bot running over HTTP against it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.group_commit import GroupCommit
from bot.offline.localslack import LocalSlack
from bot.offline.server import BotServer
from bot.runtime import load_content
from bot.store import Store
from tests.support.harness import ROOT

FIXTURE_CONTENT = ROOT / "tests" / "fixtures" / "content"
REAL_CONTENT = ROOT / "content"


def pytest_configure(config: pytest.Config) -> None:
    """The run's own cache folder (bot/cache.py), shared by its processes (pytest-xdist's
    workers take the one made before they started) and the bots they start, and removed
    after it: tests leave nothing in the home folder's cache.

    The content is read into it once, before any test: the safety net's pattern set takes
    seconds to compile (bot/pattern_set.py), and a bot stopped at the end of a short test
    would otherwise be stopped while compiling it, for the next bot to compile it again.
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # a worker: the run's folder is already set up, and filled
    folder = tempfile.mkdtemp(prefix="heart-test-cache-")
    os.environ["HEART_CACHE_DIR"] = folder
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    for content in (FIXTURE_CONTENT, REAL_CONTENT):
        load_content(content).shareout.crisis  # noqa: B018 (the safety net is built when first used)


@pytest.fixture(scope="session")
def local_slack() -> Iterator[LocalSlack]:
    """One local Slack Web API on 127.0.0.1 for the whole run."""
    with LocalSlack() as slack:
        yield slack


@pytest.fixture
def slack(local_slack: LocalSlack) -> LocalSlack:
    """The local Slack, with nothing recorded or scripted from earlier tests."""
    local_slack.clear()
    return local_slack


@pytest.fixture(scope="module")
def server(local_slack: LocalSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    """The bot, started as the Procfile starts it, once per test module."""
    bot = BotServer(local_slack, tmp_path_factory.mktemp("server") / "heart.db").start()
    yield bot
    bot.stop()


@pytest.fixture
def commits(store: Store) -> Iterator[GroupCommit]:
    """Group commit over the test module's ``store`` fixture, as the running bot saves share-outs."""
    commits = GroupCommit(store)
    yield commits
    commits.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for in-process tests: the test content and a fresh database file."""
    return Settings(database_path=tmp_path / "heart.db", content_dir=FIXTURE_CONTENT, coordinator_ids=frozenset({"UCOORD1"}))
