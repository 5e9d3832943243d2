"""Share-outs about sessions: the default session, closed sessions, the post-session button, the session's channel."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.offline.server import BotServer
from bot.sessions import core as sessions
from bot.sessions.core import Occurrence, Series
from bot.sessions.recurrence import ONCE, Recurrence
from bot.store import Store
from tests.support.forms import buttons, element, metadata, query, submit, view_of


def a_session(store: Store, starts_at: datetime, title: str, channel: str = "C0PEER") -> Occurrence:
    """A one-off session starting at ``starts_at`` (saved as if planned a week before)."""
    local = starts_at.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None, microsecond=0)
    series = Series(id="", title=title, recurrence=Recurrence(ONCE, local, "America/New_York"), channel_id=channel)
    saved = sessions.add_series(store, series, now=starts_at - timedelta(days=7), created_by="UCOORD1")
    occurrence = sessions.get_occurrence(store, saved.occurrence_id(starts_at))
    assert occurrence is not None
    return occurrence


@pytest.fixture(scope="module")
def server(local_slack, tmp_path_factory):
    bot = BotServer(local_slack, tmp_path_factory.mktemp("shareout-sessions") / "heart.db").start()
    yield bot
    bot.stop()


@pytest.fixture(scope="module")
def held(server):
    """Sessions around now: one running, one yesterday, one too old to share about, one cancelled."""
    now = datetime.now(UTC)
    store = Store(server.database_path)
    try:
        cancelled = a_session(store, now - timedelta(hours=3), "Cancelled Hour")
        sessions.cancel_occurrence(store, cancelled.id, by="UCOORD1", now=now - timedelta(days=2))
        return {
            "running": a_session(store, now - timedelta(minutes=20), "Running Hour"),
            "yesterday": a_session(store, now - timedelta(days=1), "Yesterday Hour", channel="C0YESTER"),
            "old": a_session(store, now - timedelta(days=40), "Old Hour"),
            "cancelled": cancelled,
        }
    finally:
        store.close()


def test_the_form_offers_recent_sessions_and_starts_on_the_one_running_now(server, slack, held):
    server.command("/shareout", user="USESS")
    view = view_of(slack.wait_for("views.open")[0])
    menu = element(view, "session")
    offered = [option["value"] for option in menu["options"]]
    assert offered[0] == "none" and held["running"].id in offered and held["yesterday"].id in offered
    assert held["old"].id not in offered and held["cancelled"].id not in offered
    assert menu["initial_option"]["value"] == held["running"].id
    assert menu["initial_option"]["text"]["text"].startswith("Running Hour · ")


def test_the_quick_path_attaches_no_session_the_member_did_not_see_and_the_form_offers_it(server, slack, held):
    answer = server.command("/shareout", "the running hour helped", user="USESSQ")
    assert "*Session:* not about a session" in answer.text
    assert query(server, "select occurrence_id from shareouts where user_id = 'USESSQ'") == [(None,)]
    add_details = buttons(answer.json)["Add details"]
    server.click(add_details["action_id"], add_details["value"], user="USESSQ")
    (call,) = slack.wait_for("views.open")
    offered = [o["value"] for o in element(view_of(call), "session")["options"]]
    assert held["running"].id in offered  # seen, and chosen, in the form


@pytest.mark.parametrize("which, words", [("old", "Share-outs for that session are closed"), ("cancelled", "closed")])
def test_a_closed_session_is_a_field_error(server, held, which, words):
    answer = submit(server, "about an old hour", user="USESSX", session=held[which].id)
    assert answer.json["response_action"] == "errors" and words in answer.json["errors"]["session"]
    assert query(server, "select 1 from shareouts where user_id = 'USESSX'") == []


def test_the_post_session_button_opens_the_form_on_that_session(server, slack, held):
    server.click("shareout_open", held["yesterday"].id, user="USESSB")
    view = view_of(slack.wait_for("views.open")[0])
    assert element(view, "session")["initial_option"]["value"] == held["yesterday"].id


def test_the_post_session_button_of_a_closed_session_falls_back_to_the_default(server, slack, held):
    server.click("shareout_open", held["old"].id, user="USESSB")
    view = view_of(slack.wait_for("views.open")[0])
    assert element(view, "session")["initial_option"]["value"] == held["running"].id


def test_a_channel_share_out_goes_to_its_sessions_channel_even_from_a_dm(server, slack, held):
    answer = submit(
        server,
        "shared with the group",
        user="USESSC",
        session=held["yesterday"].id,
        visibility="channel_anonymous",
        meta=metadata(channel="D0DM"),
    )
    assert "It's posted in <#C0YESTER> without your name," in answer.body
    (post,) = slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C0YESTER" and "Yesterday Hour" in json.dumps(post.args)


def test_mine_and_the_export_name_the_session(server, slack, held):
    submit(server, "named session please", user="USESSM", session=held["yesterday"].id)
    mine = server.command("/shareout", "mine", user="USESSM")
    assert "Yesterday Hour" in mine.body and "Edit" in buttons(mine.json)
    server.command("/shareout", "export", user="USESSM")
    exported = b"".join(call.args["bytes"] for call in slack.wait_for("file_upload", 2))
    assert b"Yesterday Hour" in exported and held["yesterday"].id.encode() in exported


def test_editing_keeps_a_session_that_has_closed_since(server, held):
    submit(server, "written long ago", user="USESSE")
    (shareout_id,) = query(server, "select id from shareouts where user_id = 'USESSE'")[0]
    with sqlite3.connect(server.database_path) as db:  # as if it had been about the old session all along
        db.execute("update shareouts set occurrence_id = ? where id = ?", (held["old"].id, shareout_id))
    answer = submit(server, "written long ago, edited", user="USESSE", session=held["old"].id, meta=metadata(editing=shareout_id))
    assert "Your changes are saved." in answer.body
    assert query(server, "select occurrence_id, text from shareouts where id = ?", shareout_id) == [
        (held["old"].id, "written long ago, edited")
    ]
