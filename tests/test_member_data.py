"""A member's own data, from the Home tab: everything heart-bot keeps, downloaded, then deleted,
over signed HTTP against the real bot, a real SQLite file and LocalSlack."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.connections import core as connections
from bot.connections import rounds
from bot.connections.schedule import Schedule
from bot.group_commit import GroupCommit
from bot.offline.localslack import Failure
from bot.offline.server import SHAREOUT_HASH_SECRET, BotServer
from bot.runtime import load_content
from bot.sessions import core as sessions
from bot.shareouts.core import Draft, Owner, Visibility, record_post, save
from bot.store import Store
from tests.conftest import REAL_CONTENT
from tests.support.connections_helpers import join
from tests.support.engagement_data import add_event, add_rsvp, add_session, add_shareout

MEMBER = "UMYDATA"
NEIGHBOUR = "UNEIGHBOUR"
PARTNER = "UPARTNER"  # introduced to MEMBER in a connections round
MARK = "wombat"  # in every text of MEMBER's, to find it anywhere on disk
POST_TS = "1700000000.000100"
ZONE = ZoneInfo("America/New_York")  # the bot's HEART_TIMEZONE
COORDINATOR = "UCOORD1"
OTHERS = ("UPAST1", "UPAST2", "UPAST3")  # took part beside MEMBER in a session weeks ago


@pytest.fixture(scope="module")
def server(local_slack, tmp_path_factory):
    """The bot, with a coordinator who exports reports."""
    bot = BotServer(local_slack, tmp_path_factory.mktemp("mydata") / "heart.db", env={"COORDINATOR_IDS": COORDINATOR}).start()
    yield bot
    bot.stop()


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
            db["member_profiles"].upsert({"user_id": MEMBER, "sector": "school-staff", "state": "MA"}, pk="user_id")
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
    says = delete["confirm"]["text"]["text"]  # what goes, and exactly what stays
    assert "What stays names no one and holds none of your share-out words" in says and "reports already exported" in says


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


def closed_period(server) -> str:
    """Weeks ago, MEMBER and three others RSVP'd going to a session, shared out about it and looked
    things up: enough of each that MEMBER's part shows in the figures. The days around it, as typed."""
    today = datetime.now(ZONE).date()
    day = datetime.combine(today - timedelta(days=45), time(15, 30), ZONE).timestamp()
    store = Store(server.database_path)
    try:
        with store.transaction() as db:
            add_session(db, "past-session", day, series_id=sessions.upcoming(store, datetime.now(UTC), limit=1)[0].series_id)
            for user in (MEMBER, *OTHERS):
                add_rsvp(db, "past-session", user)
                words = f"{MARK if user == MEMBER else user} then"
                add_shareout(db, day + 3600, user_id=user, occurrence_id="past-session", text=words)
                add_event(db, day + 7200, "glossary_lookup", user, "trauma-informed-care", "trauma-informed care", True)
    finally:
        store.close()
    return f"{today - timedelta(days=50)}..{today - timedelta(days=40)}"


def exported(server, slack, period: str) -> tuple[str, dict[str, bytes], str]:
    """The closed period as handed to a funder: the CLI's JSON, the CSV files and the summary from Slack."""
    cli = CliRunner().invoke(main, ["report", "--db", str(server.database_path), "--period", period, "--format", "json"])
    assert cli.exit_code == 0, cli.output
    slack.clear()
    assert server.command("/heart", f"export {period}", user=COORDINATOR).status == 200
    (complete,) = slack.wait_for("files.completeUploadExternal")
    sent = {call.path.rsplit("/", 1)[-1]: call.args["bytes"] for call in slack.calls_to("file_upload")}
    files = complete.args["files"]
    files = json.loads(files) if isinstance(files, str) else files
    csvs = {f["title"].rsplit("-", 1)[1]: sent[f["id"]] for f in files}  # by what follows the dates
    answer = server.command("/heart", f"summary {period}", user=COORDINATOR)
    summary = json.dumps(slack.responses(answer.response_url)[-1]["blocks"])
    slack.wait_for("files.completeUploadExternal", 2)
    return cli.output, csvs, summary


def test_delete_removes_your_data_everywhere_and_keeps_only_anonymous_counts(server, slack, seeded):
    period = closed_period(server)
    before_cli, before_files, before_summary = exported(server, slack, period)
    engaged = json.loads(before_cli)["summary"]["Members engaged"]
    assert int(engaged) >= 4 and "Figures as first exported on" in before_summary  # MEMBER is among them
    slack.clear()
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
    assert "Your data is deleted" in text and "5 share-outs deleted, with 1 channel post" in text
    assert "2 RSVPs deleted" in text and "DM reminders turned off for 1 series" in text
    assert "monthly connections profile deleted" in text
    assert "Backups made before still hold your data until they are deleted, within 32 days." in text
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

    # The closed period's figures, exported again from every face, are the ones already handed out.
    after_cli, after_files, after_summary = exported(server, slack, period)
    assert after_cli == before_cli and after_summary == before_summary
    for name in ("sessions.csv", "rsvps.csv", "daily.csv", "connections.csv"):
        assert after_files[name] == before_files[name], name
    assert MARK.encode() in before_files["shareouts.csv"] and b"UPAST1 then" in before_files["shareouts.csv"]
    assert MARK.encode() not in after_files["shareouts.csv"] and MEMBER.encode() not in after_files["shareouts.csv"]
    assert b"UPAST1 then" in after_files["shareouts.csv"]  # the others' words stay; MEMBER's went with their data
    # Counted afresh (as --recompute does on purpose), the period no longer counts MEMBER.
    asked = ["report", "--db", str(server.database_path), "--period", period, "--format", "json", "--recompute"]
    again = CliRunner().invoke(main, asked)
    assert json.loads(again.output)["summary"]["Members engaged"] == str(int(engaged) - 1)

    on_disk = b"".join(path.read_bytes() for path in server.database_path.parent.glob("heart.db*") if path.is_file())
    assert MEMBER.encode() not in on_disk and MARK.encode() not in on_disk


def test_a_channel_post_slack_refuses_to_delete_is_named_and_the_data_goes_all_the_same(server, slack):
    """Slack refuses one of two channel posts: the member is told which is still up and who can take it down."""
    refused = "UREFUSED"
    store = Store(server.database_path)
    commits = GroupCommit(store)
    try:
        for n, (channel, ts) in enumerate((("C0HEART", "1700000100.000100"), ("C0OTHER", "1700000200.000200"))):
            draft = Draft(f"{MARK} posted {n}", Visibility.CHANNEL_ANONYMOUS)
            owner = Owner.of(refused, SHAREOUT_HASH_SECRET)
            saved = save(commits, draft, owner, request_key=f"refused-{n}", now=datetime.now(UTC), zone=ZONE).result()
            record_post(store, saved.shareout.id, channel, ts)
    finally:
        commits.close()
        store.close()
    slack.fail_next("chat.delete", Failure(error="cant_delete_message"))  # the older post, tried first
    server.click("member_data_delete", "delete", user=refused)
    failed, removed = slack.wait_for("chat.delete", 2)
    assert (failed.args["_failed"], failed.args["channel"]) == ("cant_delete_message", "C0HEART")
    assert removed.args["channel"] == "C0OTHER"
    told = next(c for c in slack.wait_for("chat.postMessage") if c.args["channel"] == refused)
    text = json.dumps(told.args)
    assert "2 share-outs deleted, with 1 channel post" in text
    assert "Slack didn't let heart-bot remove 1 channel post of your share-outs, so it is still up" in text
    assert "in <#C0HEART>, posted <!date^1700000100^" in text and "C0OTHER" not in text
    assert "If Slack lets you, delete it there yourself; if not, ask a coordinator to have it removed." in text
    assert query(server, "select count(*) from shareouts where user_id = ?", refused) == [(0,)]


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
