"""A member's own data, from the Home tab: everything heart-bot keeps, downloaded, then deleted,
over signed HTTP against the real bot, a real SQLite file and LocalSlack."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.group_commit import GroupCommit
from bot.offline.server import SHAREOUT_HASH_SECRET, BotServer
from bot.sessions import core as sessions
from bot.shareouts.core import Draft, Owner, Visibility, record_post, save
from bot.store import Store

MEMBER = "UMYDATA"
NEIGHBOUR = "UNEIGHBOUR"
MARK = "wombat"  # in every text of MEMBER's, to find it anywhere on disk
POST_TS = "1700000000.000100"
ZONE = ZoneInfo("America/New_York")  # the bot's HEART_TIMEZONE


def query(server: BotServer, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(server.database_path) as db:
        return db.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def seeded(server, local_slack):
    """MEMBER has a share-out of each kind, one posted in a channel, an RSVP, DM reminders and
    lookups; NEIGHBOUR has a share-out and an RSVP that must survive MEMBER's deletion."""
    store = Store(server.database_path)
    commits = GroupCommit(store)
    now = datetime.now(UTC)
    mine, theirs = Owner.of(MEMBER, SHAREOUT_HASH_SECRET), Owner.of(NEIGHBOUR, SHAREOUT_HASH_SECRET)
    try:
        for n, visibility in enumerate(Visibility):
            draft = Draft(f"{MARK} reflection {n}", visibility, themes=("win",))
            saved = save(commits, draft, mine, request_key=f"mydata-{n}", now=now, zone=ZONE).result().shareout
            if visibility is Visibility.CHANNEL_NAMED:
                record_post(store, saved.id, "C0HEART", POST_TS)
        save(commits, Draft("the neighbour's words"), theirs, request_key="neighbour", now=now, zone=ZONE).result()
        session = sessions.upcoming(store, now, limit=1)[0]
        for user in (MEMBER, NEIGHBOUR):
            sessions.set_rsvp(store, session.id, user, sessions.GOING, now=now)
        sessions.set_subscription(store, session.series_id, MEMBER, True, now=now)
    finally:
        commits.close()
        store.close()
    server.command("/glossary", "trauma-informed care", user=MEMBER)
    return session


def home_blocks(server, slack, user):
    slack.clear()
    assert server.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0HOME"}).status == 200
    (published,) = slack.wait_for("views.publish")
    view = published.args["view"]
    return (json.loads(view) if isinstance(view, str) else view)["blocks"]


def test_the_home_tab_offers_to_download_or_delete_your_data(server, slack):
    blocks = home_blocks(server, slack, MEMBER)
    assert any(b["type"] == "header" and b["text"]["text"] == "Your data" for b in blocks)
    buttons = {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert buttons["member_data_download"]["text"]["text"] == "Download my data"
    delete = buttons["member_data_delete"]
    assert delete["style"] == "danger" and delete["confirm"]["title"]["text"] == "Delete your data?"


def test_download_sends_everything_heart_bot_keeps_about_you_and_nothing_of_others(server, slack, seeded):
    server.click("member_data_download", "download", user=MEMBER)
    (upload,) = slack.wait_for("file_upload")
    (complete,) = slack.wait_for("files.completeUploadExternal")
    assert complete.args["channel_id"].startswith("D")
    data = json.loads(upload.args["bytes"].decode())
    assert data["member"] == MEMBER
    assert sorted(s["visibility"] for s in data["shareouts"]) == sorted(v.value for v in Visibility)
    assert all(MARK in s["text"] for s in data["shareouts"])  # the anonymous one too: only its author matches it
    assert [(r["session_id"], r["response"]) for r in data["rsvps"]] == [(seeded.id, "going")]
    assert [r["series_id"] for r in data["dm_reminders"]] == [seeded.series_id]
    assert any(a["kind"] == "glossary_lookup" and a["found"] for a in data["activity"])
    assert NEIGHBOUR not in json.dumps(data) and "the neighbour's words" not in json.dumps(data)


def test_delete_removes_your_data_everywhere_and_keeps_only_anonymous_counts(server, slack, seeded):
    events_before = query(server, "select count(*) from events")[0][0]
    server.click("member_data_delete", "delete", user=MEMBER)
    (deleted_post,) = slack.wait_for("chat.delete")
    assert (deleted_post.args["channel"], deleted_post.args["ts"]) == ("C0HEART", POST_TS)
    told = next(c for c in slack.wait_for("chat.postMessage") if c.args["channel"] == MEMBER)
    text = json.dumps(told.args)
    assert "Your data is deleted" in text and "4 share-outs deleted, with 1 channel post" in text
    assert "1 RSVP deleted" in text and "DM reminders turned off for 1 series" in text
    slack.wait_for("views.publish")  # the Home tab, redrawn

    assert query(server, "select count(*) from shareouts where user_id = ? or text like ?", MEMBER, f"%{MARK}%") == [(0,)]
    for table, column in (("rsvps", "user_id"), ("subscriptions", "user_id"), ("events", "user_id")):
        assert query(server, f"select count(*) from {table} where {column} = ?", MEMBER) == [(0,)], table
    assert query(server, "select count(*) from report_participation where user_id = ?", MEMBER) == [(0,)]
    assert query(server, "select count(*) from events")[0][0] == events_before  # counted, without a name
    assert query(server, "select user_id from rsvps where occurrence_id = ?", seeded.id) == [(NEIGHBOUR,)]
    assert query(server, "select text from shareouts where user_id = ?", NEIGHBOUR) == [("the neighbour's words",)]
    on_disk = b"".join(path.read_bytes() for path in server.database_path.parent.glob("heart.db*") if path.is_file())
    assert MEMBER.encode() not in on_disk and MARK.encode() not in on_disk


def test_deleting_again_says_there_is_nothing_left(server, slack, seeded):
    server.click("member_data_delete", "delete", user="UNEVERSEEN")
    told = next(c for c in slack.wait_for("chat.postMessage") if c.args["channel"] == "UNEVERSEEN")
    assert "had no data about you to delete" in json.dumps(told.args)
