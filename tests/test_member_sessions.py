"""Peer support hours from a member's side, through signed HTTP requests to the real app: a way in
(link, description, facilitator), coordinators warned of what is missing, and the calendar feeds."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.offline.localslack import LocalSlack
from bot.offline.server import BotServer
from bot.sessions import core as sessions
from bot.store import Store
from tests.support.session_helpers import one_session, soon

COORDINATOR = "UCOORD1"
DEFAULT_SERIES = "ne-school-mental-health-peer-support-hour"


@pytest.fixture(scope="module")
def bot(local_slack: LocalSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    env = {"COORDINATOR_IDS": COORDINATOR, "HEART_RECONCILE_SECONDS": "1"}
    server = BotServer(local_slack, tmp_path_factory.mktemp("member-sessions") / "heart.db", env=env).start()
    yield server
    server.stop()


@pytest.fixture
def store(bot: BotServer) -> Store:
    return Store(bot.database_path)


def wait_until(check: Callable[[], object], timeout: float = 15) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise TimeoutError("waited too long")


def text_of(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False)


def home_of(bot: BotServer, slack: LocalSlack, user: str) -> str:
    bot.event({"type": "app_home_opened", "user": user, "tab": "home"})
    return text_of(slack.wait_for("views.publish")[-1].args)


# ----------------------------------------------------------------------------- a way in


def test_peerhour_shows_the_series_description_and_facilitator_where_members_decide(bot, store):
    answer = bot.command("/peerhour")
    assert "Facilitator:* HEART Collective coordinators" in answer.text
    assert "A monthly hour for school staff" in answer.text


def test_the_bot_warns_at_start_of_a_series_without_a_link_or_a_channel(bot):
    log = wait_until(lambda: "has no join link" in bot.log() and bot.log())
    assert f"series {DEFAULT_SERIES} has no join link" in log
    assert f"series {DEFAULT_SERIES} has no channel" in log


def test_check_warns_of_a_series_without_a_link_or_a_channel(monkeypatch):
    monkeypatch.delenv("PEERHOUR_CHANNEL", raising=False)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert f"warning: series {DEFAULT_SERIES} has no join link" in result.output
    assert f"warning: series {DEFAULT_SERIES} has no channel" in result.output
    monkeypatch.setenv("PEERHOUR_CHANNEL", "C0PEERS")
    assert "has no channel" not in CliRunner().invoke(main, ["check"]).output


def test_coordinators_see_on_home_which_series_lack_a_link_or_a_channel(bot, slack, store):
    one_session(store, soon(86400 * 3), title="Linked and posted")
    unlinked = one_session(store, soon(86400 * 3 + 60), title="No link hour", link=None, channel="C0PEER")
    home = home_of(bot, slack, COORDINATOR)
    assert "Sessions that need a link or a channel" in home
    assert f"*No link hour* (`{unlinked.series_id}`) has no join link" in home
    assert "*Linked and posted*" not in home.split("Upcoming peer support hours")[0]
    slack.clear()
    assert "need a link or a channel" not in home_of(bot, slack, "UMEMBER9")
