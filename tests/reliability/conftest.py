"""Fixtures for the reliability tests: the bot they attack, run once per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.offline.localslack import LocalSlack
from bot.offline.server import BotServer

COORDINATOR = "UCOORD1"
MEMBER = "UMEMBER1"


@pytest.fixture(scope="module")
def bot(local_slack: LocalSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    """One bot for the whole module, with a coordinator, logging at DEBUG, its scheduler re-reading
    the database every second (so notices go out at once)."""
    env = {"COORDINATOR_IDS": COORDINATOR, "LOG_LEVEL": "DEBUG", "HEART_RECONCILE_SECONDS": "1"}
    server = BotServer(local_slack, tmp_path_factory.mktemp("reliability") / "heart.db", env=env).start()
    yield server
    server.stop()
