"""A member's own data, from the Home tab: everything heart-bot keeps, downloaded, then deleted,
over signed HTTP against the real bot, a real SQLite file and LocalSlack."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.connections import core as connections
from bot.connections import rounds
from bot.connections.schedule import Schedule
from bot.group_commit import GroupCommit
from bot.offline.server import SHAREOUT_HASH_SECRET, BotServer
from bot.runtime import load_content
from bot.sessions import core as sessions
from bot.shareouts.core import Draft, Owner, Visibility, record_post, save
from bot.store import Store
from tests.conftest import REAL_CONTENT
from tests.support.connections_helpers import join

MEMBER = "UMYDATA"
NEIGHBOUR = "UNEIGHBOUR"
PARTNER = "UPARTNER"  # introduced to MEMBER in a connections round
MARK = "wombat"  # in every text of MEMBER's, to find it anywhere on disk
POST_TS = "1700000000.000100"
ZONE = ZoneInfo("America/New_York")  # the bot's HEART_TIMEZONE


# A column that holds the id of the member it is about: who answered, shared, subscribed, looked
# something up or was sent a reminder. (Columns ending in _by name the coordinator or process that
# made a change, not a member's own data.)
MEMBER_COLUMN = re.compile(r"^(user|member|recipient)(_id)?$")


def member_columns(server: BotServer) -> list[tuple[str, str]]:
    """Every (table, column) in the schema that holds a member id, found anew each run so a new
    table can't be forgotten by the seeding or the deletion."""
    with sqlite3.connect(server.database_path) as db:
        tables = [name for (name,) in db.execute("select name from sqlite_master where type = 'table'")]
        return [
            (table, column)
            for table in tables
            for (_, column, *_) in db.execute(f"pragma table_info({table})")
            if MEMBER_COLUMN.match(column)
        ]


def query(server: BotServer, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(server.database_path) as db:
        return db.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def seeded(server, local_slack):
    """MEMBER has a share-out of each kind, one posted in a channel, an RSVP, DM reminders (one
    already sent to them) and lookups; NEIGHBOUR has a share-out, an RSVP and a sent reminder that
    must survive MEMBER's deletion."""
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
        with store.transaction() as db:
            for user in (MEMBER, NEIGHBOUR):
                db["deliveries"].insert({"occurrence_id": session.id, "kind": "reminder-15", "recipient": user, "state": "sent"})
        join(store, MEMBER, "school-staff", topics=["collaboration"], blocked=["USOMEONE"])
        join(store, PARTNER, "community-health-center", topics=["collaboration"])
        due = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)
        connecting = load_content(REAL_CONTENT).connections
        planned, _ = rounds.plan_round(store, connecting, Schedule(), due=due, planned_by="test", now=due)
        (group,) = rounds.groups_of(store, planned.id)
        connections.record_answer(store, group.id, MEMBER, connections.YES, now=now)
        with store.transaction() as db:  # and left out of an earlier round (an odd number to group)
            db["connection_left_out"].insert({"round_id": "2026-09", "user_id": MEMBER})
        sessions.set_session_reminder(store, session.id, MEMBER, True, now=now)
        sessions.set_prompts_by_dm(store, MEMBER, False, now=now)
        with store.transaction() as db:  # marked present, a profile, asked for the pulse
            db["attendance_members"].insert({"occurrence_id": session.id, "user_id": MEMBER})
            db["member_profiles"].insert({"user_id": MEMBER, "sector": "school-staff", "state": "MA", "updated_at": 0.0})
            db["pulse_asked"].insert({"occurrence_id": session.id, "user_id": MEMBER})
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
    mine = data["connections"]
    assert mine["profile"]["sector"] == "School staff" and mine["profile"]["never_pair_me_with"] == ["USOMEONE"]
    (past,) = mine["past_connections"]
    assert past["introduced_to"] == [{"member": PARTNER, "sector": "Community health center"}] and past["did_you_meet"] == "yes"
    assert json.dumps({k: v for k, v in data.items() if k != "connections"}).count(PARTNER) == 0


def test_delete_removes_your_data_everywhere_and_keeps_only_anonymous_counts(server, slack, seeded):
    columns = member_columns(server)
    known = ("rsvps", "subscriptions", "events", "shareouts", "connection_members", "connection_blocks", "connection_pair_members")
    assert {*((name, "user_id") for name in (*known, "connection_answers")), ("deliveries", "recipient")} <= set(columns)
    unseeded = [(t, c) for t, c in columns if query(server, f"select count(*) from {t} where {c} = ?", MEMBER) == [(0,)]]
    assert not unseeded, f"seed MEMBER in {unseeded}, so their deletion is tested"
    events_before = query(server, "select count(*) from events")[0][0]
    server.click("member_data_delete", "delete", user=MEMBER)
    (deleted_post,) = slack.wait_for("chat.delete")
    assert (deleted_post.args["channel"], deleted_post.args["ts"]) == ("C0HEART", POST_TS)
    told = next(c for c in slack.wait_for("chat.postMessage") if c.args["channel"] == MEMBER)
    text = json.dumps(told.args)
    assert "Your data is deleted" in text and "4 share-outs deleted, with 1 channel post" in text
    assert "1 RSVP deleted" in text and "DM reminders turned off for 1 series" in text
    assert "monthly connections profile deleted" in text
    slack.wait_for("views.publish")  # the Home tab, redrawn

    assert query(server, "select count(*) from shareouts where user_id = ? or text like ?", MEMBER, f"%{MARK}%") == [(0,)]
    for table, column in columns:
        assert query(server, f"select count(*) from {table} where {column} = ?", MEMBER) == [(0,)], table
    assert query(server, "select recipient from deliveries") == [(NEIGHBOUR,)]
    assert query(server, "select count(*) from events")[0][0] == events_before  # counted, without a name
    assert query(server, "select user_id from rsvps where occurrence_id = ?", seeded.id) == [(NEIGHBOUR,)]
    assert query(server, "select text from shareouts where user_id = ?", NEIGHBOUR) == [("the neighbour's words",)]
    # The partner keeps their side of the introduction; MEMBER's answer still counts, with no name.
    assert set(query(server, "select user_id from connection_pair_members")) == {(None,), (PARTNER,)}
    assert query(server, "select user_id, answer from connection_answers") == [(None, "yes")]
    on_disk = b"".join(path.read_bytes() for path in server.database_path.parent.glob("heart.db*") if path.is_file())
    assert MEMBER.encode() not in on_disk and MARK.encode() not in on_disk


def test_deleting_again_says_there_is_nothing_left(server, slack):
    """A member who had data, deleted it, and presses Delete again."""
    again = "UAGAIN"
    store = Store(server.database_path)
    try:
        now = datetime.now(UTC)
        sessions.set_rsvp(store, sessions.upcoming(store, now, limit=1)[0].id, again, sessions.GOING, now=now)
    finally:
        store.close()
    assert query(server, "select count(*) from rsvps where user_id = ?", again) == [(1,)]
    for told_of in ("Your data is deleted", "had no data about you to delete"):
        slack.clear()
        server.click("member_data_delete", "delete", user=again)
        told = next(c for c in slack.wait_for("chat.postMessage") if c.args["channel"] == again)
        assert told_of in json.dumps(told.args)
    assert query(server, "select count(*) from rsvps where user_id = ?", again) == [(0,)]
