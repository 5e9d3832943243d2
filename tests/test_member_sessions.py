"""Peer support hours from a member's side, through signed HTTP requests to the real app: a way in
(link, description, facilitator), coordinators warned of what is missing, and the calendar feeds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from icalendar import Calendar

from bot.cli import main
from bot.offline.localslack import LocalSlack
from bot.offline.server import BotServer, http
from bot.sessions import core as sessions
from bot.store import Store
from tests.support.session_helpers import migrated, one_session, soon
from tests.support.waiting import eventually, text_of

COORDINATOR = "UCOORD1"
DEFAULT_SERIES = "ne-school-mental-health-peer-support-hour"


@pytest.fixture(scope="module")
def bot(local_slack: LocalSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    env = {"COORDINATOR_IDS": COORDINATOR, "HEART_RECONCILE_SECONDS": "1"}
    server = BotServer(local_slack, tmp_path_factory.mktemp("member-sessions") / "heart.db", env=env)
    server.env["PUBLIC_URL"] = server.url  # calendar feed addresses are made under it
    server.start()
    yield server
    server.stop()


@pytest.fixture
def store(bot: BotServer) -> Store:
    return Store(bot.database_path)


def home_of(bot: BotServer, slack: LocalSlack, user: str) -> str:
    """Open ``user``'s Home tab; the view published for them (not a late one for someone else)."""
    before = len(slack.calls_to("views.publish"))
    bot.event({"type": "app_home_opened", "user": user, "tab": "home"})

    def published() -> list:
        return [c for c in slack.calls_to("views.publish")[before:] if c.args.get("user_id") == user]

    return text_of(eventually(published)[-1].args)


# ----------------------------------------------------------------------------- a way in


def test_peerhour_shows_the_series_description_and_facilitator_where_members_decide(bot, store):
    answer = bot.command("/peerhour")
    assert "Facilitator:* HEART Collective coordinators" in answer.text
    assert "A monthly hour for school staff" in answer.text


def test_the_bot_warns_at_start_of_a_series_without_a_link_or_a_channel(bot):
    log = eventually(lambda: "has no join link" in bot.log() and bot.log())
    assert f"series {DEFAULT_SERIES} has no join link" in log
    assert f"series {DEFAULT_SERIES} has no channel" in log


def test_check_warns_of_a_series_without_a_link_or_a_channel(monkeypatch):
    monkeypatch.delenv("PEERHOUR_CHANNEL", raising=False)
    result = CliRunner().invoke(main, ["check", "--content"])
    assert result.exit_code == 0, result.output
    assert f"warning: series {DEFAULT_SERIES} has no join link" in result.output
    assert f"warning: series {DEFAULT_SERIES} has no channel" in result.output
    monkeypatch.setenv("PEERHOUR_CHANNEL", "C0PEERS")
    assert "has no channel" not in CliRunner().invoke(main, ["check", "--content"]).output


def test_coordinators_see_on_home_which_series_lack_a_link_or_a_channel(bot, slack, store):
    one_session(store, soon(86400 * 3), title="Linked and posted")
    unlinked = one_session(store, soon(86400 * 3 + 60), title="No link hour", link=None, channel="C0PEER")
    home = home_of(bot, slack, COORDINATOR)
    assert "Sessions that need a link or a channel" in home
    assert f"*No link hour* (`{unlinked.series_id}`) has no join link" in home
    assert "*Linked and posted*" not in home.split("Upcoming peer support hours")[0]
    slack.clear()
    assert "need a link or a channel" not in home_of(bot, slack, "UMEMBER9")


# ----------------------------------------------------------------------------- DM reminders: this session or every one


def weekly_series(store: Store, title: str, *, days_ahead: float = 2) -> list[sessions.Occurrence]:
    """A weekly series of three sessions, the first ``days_ahead`` days from now."""
    first = one_session(store, soon(86400 * days_ahead), title=title)
    with store.transaction() as db:
        db.execute("update series set frequency = 'weekly', count = 3 where id = ?", (first.series_id,))
    sessions.expand_all(store, first.starts_at - timedelta(days=1))
    return sessions.upcoming(store, first.starts_at - timedelta(hours=1), limit=3, series_id=first.series_id)


def test_a_member_chooses_reminders_for_this_session_or_every_session(bot, slack, store):
    first, second, _ = weekly_series(store, "Choice hour")
    listing = bot.command("/peerhour", user="UCHOOSE").text
    assert '"text": "Remind me: this session"' in listing and '"text": "Remind me: every session"' in listing

    answer = bot.click("peerhour_remind_session", first.id, block_id=f"ph_post|{first.id}", user="UCHOOSE")
    reply = text_of(slack.responses(answer.response_url)[0])
    assert "DM reminders are on for *Choice hour*" in reply and "only" in reply
    assert sessions.subscribers(store, first.series_id) == []  # the series stays as it was
    assert sessions.reminder_recipients(store, first.series_id, first.id) == ["UCHOOSE"]
    assert sessions.reminder_recipients(store, first.series_id, second.id) == []
    views = sessions.member_views(store, [first, second], "UCHOOSE")
    assert (views[0].reminded, views[1].reminded, views[0].subscribed) == (True, False, False)

    answer = bot.click("peerhour_subscribe", first.series_id, block_id=f"ph_post|{first.id}", user="UCHOOSE")
    assert "*every session*" in text_of(slack.responses(answer.response_url)[0])
    assert sessions.reminder_recipients(store, first.series_id, second.id) == ["UCHOOSE"]
    assert sessions.reminder_recipients(store, first.series_id, first.id) == ["UCHOOSE"]  # once, not twice


def test_a_reminder_dms_stop_button_stops_every_reminder_of_the_series(bot, slack, store):
    first, _, _ = weekly_series(store, "Stop hour", days_ahead=3)
    sessions.set_session_reminder(store, first.id, "USTOP", True, now=datetime.now(UTC))
    sessions.set_subscription(store, first.series_id, "USTOP", True, now=datetime.now(UTC))
    answer = bot.click("peerhour_stop_dm", first.series_id, block_id=f"ph_post|dm|{first.id}", user="USTOP")
    assert "for this session or any other" in text_of(slack.responses(answer.response_url)[0])
    assert sessions.reminder_recipients(store, first.series_id, first.id) == []


def test_a_one_off_session_offers_one_reminder_button(bot, store):
    one_session(store, soon(86400 * 4), title="Single hour", offsets=())
    listing = bot.command("/peerhour", user="USINGLE").text
    single = listing[listing.index("Single hour"):]
    assert '"text": "Remind me by DM"' in single[:3000]


# ----------------------------------------------------------------------------- times, running now, links once


def test_a_session_running_now_is_marked_with_join_first_and_its_link_once(bot, store):
    running = one_session(store, soon(-600), title="Running hour", offsets=(), link="https://meet.example.org/running")
    listing = bot.command("/peerhour", user="URUN").json
    card = next(i for i, b in enumerate(listing["blocks"]) if "Running hour" in text_of(b))
    assert ":large_green_circle: *Happening now* · *Running hour*" in text_of(listing["blocks"][card])
    buttons = next(b for b in listing["blocks"][card:] if b["type"] == "actions")["elements"]
    assert (buttons[0]["text"]["text"], buttons[0]["url"]) == ("Join now", "https://meet.example.org/running")
    assert text_of(listing).count("https://meet.example.org/running") == 1
    assert running.id in text_of(listing)


def test_a_session_shows_its_zone_once_and_its_join_link_once(bot, store):
    later = one_session(store, soon(3600 * 2), title="Zone hour", offsets=(), link="https://meet.example.org/zone")
    listing = text_of(bot.command("/peerhour", user="UZONE").json)
    start = later.starts_at.astimezone(later.tz)
    zone = start.tzname()
    assert f"at {start.strftime('%-I:%M %p')}|" in listing or f"at {start.strftime('%-I:%M %p')}>" in listing
    card = listing[listing.index("Zone hour"):listing.index("Zone hour") + 600]
    assert card.count(zone) == 1, card
    assert "Happening now" not in card and "Join link" not in listing
    assert listing.count("https://meet.example.org/zone") == 1


def test_the_shell_shows_the_running_mark_and_the_zone_once(tmp_path):
    database = tmp_path / "heart.db"
    store = migrated(database)
    one_session(store, soon(-300), title="Shell running hour", offsets=(), created=datetime.now(UTC) - timedelta(days=1))
    store.close()
    result = CliRunner().invoke(main, ["shell", "--db", str(database)], input="/peerhour\n")
    assert result.exit_code == 0, result.output
    card = result.output[result.output.index("Happening now"):]
    assert card.index("[link] Join now: https://meet.example.org/peer") < card.index("[1] Going")
    assert ":calendar: " in card and card.split(":calendar: ")[1].split("\n")[0].count("EST") <= 1
    assert "WARNING" not in result.output  # the shell is for trying; the warnings go to a serving bot's log
    assert result.output.count("A monthly hour for school staff") == 1  # a series' description once in a list


# ----------------------------------------------------------------------------- coordinators at the terminal


def cli(tmp_path, *args: str):
    return CliRunner().invoke(main, ["sessions", *args, "--db", str(tmp_path / "heart.db")])


def in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def test_a_moved_session_is_found_by_its_old_id_or_its_new_date(tmp_path):
    added = cli(tmp_path, "add", "--title", "Moving circle", "--date", in_days(5), "--time", "1pm", "--channel", "C0PEER")
    assert added.exit_code == 0, added.output
    assert "no --channel" not in added.output
    old_id = added.output.splitlines()[1].strip()
    series_id = old_id.rpartition(":")[0]
    moved = cli(tmp_path, "move", old_id, "--date", in_days(6), "--time", "13:00")
    assert moved.exit_code == 0 and "1:00 PM" in moved.output, moved.output
    new_id = f"{series_id}:{in_days(6)}"
    again = cli(tmp_path, "move", new_id, "--date", in_days(7), "--time", "1:30pm")
    assert again.exit_code == 0, again.output
    assert f"note: {new_id} is {old_id}, moved to {in_days(6)}" in again.output and "1:30 PM" in again.output
    listed = cli(tmp_path, "list").output
    assert old_id in listed and "(moved; was" in listed
    missing = cli(tmp_path, "cancel", f"{series_id}:{in_days(9)}")
    assert missing.exit_code == 1
    near = f"Sessions of {series_id} near that date: {old_id} (now {in_days(7)}, moved)"
    assert f"There is no session {series_id}:{in_days(9)}. {near}" in missing.output
    cancelled = cli(tmp_path, "cancel", f"{series_id}:{in_days(7)}")
    assert cancelled.exit_code == 0 and f"cancelled {old_id}" in cancelled.output


def test_times_are_taken_as_1pm_or_13_00_and_a_wrong_one_is_explained(tmp_path):
    for typed in ("1pm", "1 PM", "13:00", "1:00 p.m."):
        added = cli(tmp_path, "add", "--title", f"Clock {typed}", "--date", in_days(4), "--time", typed)
        assert added.exit_code == 0, (typed, added.output)
    listed = cli(tmp_path, "list").output
    assert listed.count("1:00 PM") == 4
    wrong = cli(tmp_path, "add", "--title", "Bad clock", "--date", in_days(4), "--time", "13pm")
    assert wrong.exit_code == 1 and "--time: Choose a start time, like 15:30 or 3:30pm." in wrong.output


def test_add_without_a_channel_says_no_channel_reminders_go_out(tmp_path):
    added = cli(tmp_path, "add", "--title", "Quiet circle", "--date", in_days(4), "--time", "15:30")
    assert added.exit_code == 0
    assert "note: no --channel: no reminder will be posted in a channel" in added.output


def test_edit_changes_a_series_and_a_session_and_ends_a_series(tmp_path):
    weekly = ("--repeat", "weekly", "--count", "3")
    added = cli(tmp_path, "add", "--title", "Edit circle", "--date", in_days(4), "--time", "15:30", *weekly)
    first = added.output.splitlines()[1].strip()
    series_id = first.rpartition(":")[0]
    edited = cli(
        tmp_path, "edit", series_id, "--title", "Counselor circle", "--link", "https://meet.example.org/c",
        "--description", "For counselors.", "--facilitator", "Dana", "--remind", "2h", "--channel", "C0NEW",
    )
    assert edited.exit_code == 0, edited.output
    assert f"updated series {series_id}: channel, description, facilitator, link, remind, title" in edited.output
    store = Store(tmp_path / "heart.db")
    series = sessions.get_series(store, series_id)
    assert (series.title, series.join_url) == ("Counselor circle", "https://meet.example.org/c")
    assert series.description == "For counselors."
    assert (series.facilitator, series.reminder_offsets, series.channel_id) == ("Dana", (120,), "C0NEW")
    session = cli(tmp_path, "edit", first, "--topic", "Boundaries", "--link", "https://meet.example.org/special")
    assert session.exit_code == 0 and "topic Boundaries" in session.output, session.output
    assert sessions.get_occurrence(store, first).join_url == "https://meet.example.org/special"
    wrong = cli(tmp_path, "edit", first, "--title", "Nope")
    assert wrong.exit_code == 1
    assert f"--title: a series' setting; change it with `python -m bot sessions edit {series_id} ...`" in wrong.output
    assert cli(tmp_path, "edit", series_id, "--topic", "x").exit_code == 1
    bad = cli(tmp_path, "edit", series_id, "--link", "meet.example.org")
    assert bad.exit_code == 1 and "--link: The link must be a web address" in bad.output
    ended = cli(tmp_path, "edit", series_id, "--end", "--note", "Thanks, all")
    assert ended.exit_code == 0 and "3 coming sessions cancelled" in ended.output, ended.output
    assert sessions.upcoming(store, datetime.now(UTC), series_id=series_id) == []
    assert sessions.get_occurrence(store, first).change_note == "Thanks, all"


def test_a_series_declared_in_content_is_edited_in_its_file(tmp_path):
    store = migrated(tmp_path / "heart.db")
    from bot.runtime import load_content
    from tests.conftest import REAL_CONTENT

    sessions.import_series(store, list(load_content(REAL_CONTENT).sessions), now=datetime.now(UTC))
    refused = cli(tmp_path, "edit", DEFAULT_SERIES, "--link", "https://meet.example.org/x")
    assert refused.exit_code == 1 and "declared in content/sessions.yml: change it there" in refused.output


def test_past_sessions_are_added_for_the_record_without_reminders(tmp_path):
    refused = cli(tmp_path, "add", "--title", "Last month", "--date", in_days(-20), "--time", "15:30")
    assert refused.exit_code == 1 and "add --past" in refused.output
    recorded = cli(
        tmp_path, "add", "--title", "Last month", "--date", in_days(-21), "--time", "15:30", "--repeat", "weekly",
        "--count", "3", "--channel", "C0PEER", "--past",
    )
    assert recorded.exit_code == 0, recorded.output
    assert "3 past sessions, no reminders and no channel posts" in recorded.output
    store = Store(tmp_path / "heart.db")
    series_id = recorded.output.split()[2].rstrip(":")
    series = sessions.get_series(store, series_id)
    assert (series.status, series.channel_id, series.reminder_offsets) == ("ended", None, ())
    ids = [line.strip() for line in recorded.output.splitlines()[1:]]
    assert all(sessions.get_occurrence(store, oid).ends_at < datetime.now(UTC) for oid in ids)
    assert sessions.expand_all(store, datetime.now(UTC)) == 0  # no new session is made


# ----------------------------------------------------------------------------- the share-out prompt by DM


def test_members_going_get_the_share_out_prompt_by_dm_unless_they_turned_it_off_on_home(bot, slack, store):
    occurrence = one_session(store, soon(-3600 + 4), title="Prompt hour", offsets=(), channel="C0PROMPT")  # ends in 4 s
    for member in ("UWENT", "UQUIET"):
        sessions.set_rsvp(store, occurrence.id, member, sessions.GOING, now=datetime.now(UTC))
    home = home_of(bot, slack, "UQUIET")
    assert "Stop share-out prompts by DM" in home
    view = {"id": "VHOME", "type": "home", "callback_id": "heart_home"}
    bot.click("peerhour_prompt_dm", "off", block_id="ph_home|prompts", user="UQUIET", view=view)
    eventually(lambda: not sessions.prompts_by_dm(store, "UQUIET"))
    assert "Send me share-out prompts by DM" in home_of(bot, slack, "UQUIET")

    def prompts() -> list:
        posts = slack.calls_to("chat.postMessage")
        return [c for c in posts if "shareout_open" in text_of(c.args) and occurrence.id in text_of(c.args)]

    eventually(lambda: {c.args["channel"] for c in prompts()} >= {"C0PROMPT", "UWENT"}, timeout=20)
    time.sleep(1.5)  # a second round of the scheduler sends nothing more
    sent = [c.args["channel"] for c in prompts()]
    assert sorted(sent) == ["C0PROMPT", "UWENT"]  # once each; not to the member who turned it off
    dm = next(c for c in prompts() if c.args["channel"] == "UWENT")
    assert "You get this because you said you were going" in text_of(dm.args)
    assert "No more of these DMs" in text_of(dm.args)
    assert "You get this because" not in text_of(next(c for c in prompts() if c.args["channel"] == "C0PROMPT").args)


def test_deleting_a_members_data_forgets_their_prompt_and_reminder_choices(bot, slack, store):
    occurrence = one_session(store, soon(86400 * 9), title="Forget hour", offsets=())
    sessions.set_prompts_by_dm(store, "UFORGET", False, now=datetime.now(UTC))
    sessions.set_session_reminder(store, occurrence.id, "UFORGET", True, now=datetime.now(UTC))
    bot.click("member_data_delete", "delete", user="UFORGET")
    eventually(lambda: sessions.prompts_by_dm(store, "UFORGET"))
    assert store.db.execute("select count(*) from session_reminders where user_id = 'UFORGET'").fetchone() == (0,)


# ----------------------------------------------------------------------------- calendar subscriptions

HOME_VIEW = {"id": "VHOME", "type": "home", "callback_id": "heart_home"}


def new_feed(bot: BotServer, slack: LocalSlack, user: str) -> str:
    """Press Get my calendar address on Home; the https address the DM gives."""
    before = len(slack.calls_to("chat.postMessage"))
    bot.click("peerhour_feed_new", "new", block_id="ph_home|feed", user=user, view=HOME_VIEW)
    eventually(lambda: len([c for c in slack.calls_to("chat.postMessage")[before:] if c.args["channel"] == user]))
    dm = next(c for c in slack.calls_to("chat.postMessage")[before:] if c.args["channel"] == user)
    text = text_of(dm.args)
    assert "Your private calendar address" in text and "webcal://" in text and "calendar.google.com/calendar/r?cid=" in text
    return text.split("`")[1]


def events_in(url: str) -> dict[str, object]:
    answer = http("GET", url)
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/calendar"), answer
    return {str(event["uid"]): event for event in Calendar.from_ical(answer.body).walk("VEVENT")}


def test_a_members_feed_follows_a_move_and_a_cancel_in_place(bot, slack, store):
    going = one_session(store, soon(86400 * 11), title="Feed hour", offsets=())
    other = one_session(store, soon(86400 * 12), title="Not mine hour", offsets=())
    bot.click("peerhour_going", going.id, block_id=f"ph_list|{going.id}", user="UFEED")
    eventually(lambda: sessions.responders(store, going.id) == ["UFEED"])
    assert "Get my calendar address by DM" in home_of(bot, slack, "UFEED")
    url = new_feed(bot, slack, "UFEED")
    assert url.startswith(f"{bot.url}/calendar/") and url.endswith(".ics")
    uid = f"{going.id}@{sessions.deployment_uid(store)}.heart-bot"
    event = events_in(url)[uid]
    assert event["sequence"] == 0 and event.decoded("dtstart") == going.starts_at
    assert not any(other.id in key for key in events_in(url))  # only the member's sessions

    new_start = (going.starts_at + timedelta(days=1)).astimezone(going.tz).replace(tzinfo=None)
    sessions.move_occurrence(store, going.id, new_start, by=COORDINATOR, now=datetime.now(UTC))
    moved = events_in(url)[uid]
    assert moved["sequence"] == 1 and moved.decoded("dtstart") == going.starts_at + timedelta(days=1)
    assert str(moved["status"]) == "CONFIRMED"

    sessions.cancel_occurrence(store, going.id, by=COORDINATOR, now=datetime.now(UTC))
    cancelled = events_in(url)[uid]
    assert cancelled["sequence"] == 2 and str(cancelled["status"]) == "CANCELLED"
    assert list(events_in(url)) == [uid]  # the same entry, updated in place

    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in bot.log()  # a member's feed token is a secret: never logged
    stored = store.db.execute("select token_hash, token from calendar_feeds where subject = 'UFEED'").fetchall()
    assert len(stored) == 1 and stored[0][1] is None and token not in stored[0][0]  # only a hash is kept


def test_an_unknown_or_revoked_feed_answers_404_and_reveals_nothing(bot, slack, store):
    one = one_session(store, soon(86400 * 13), title="Revoke hour", offsets=())
    sessions.set_rsvp(store, one.id, "UREVOKE", sessions.GOING, now=datetime.now(UTC))
    first = new_feed(bot, slack, "UREVOKE")
    assert "Turn off my feed" in home_of(bot, slack, "UREVOKE")
    second = new_feed(bot, slack, "UREVOKE")  # a new address: the old one stops
    unknown = http("GET", f"{bot.url}/calendar/{'x' * 32}.ics")
    replaced = http("GET", first)
    assert (unknown.status, replaced.status) == (404, 404)
    assert unknown.body == replaced.body == "Not found\n" and unknown.headers["Content-Type"] == replaced.headers["Content-Type"]
    assert http("GET", second).status == 200
    bot.click("peerhour_feed_off", "off", block_id="ph_home|feed", user="UREVOKE", view=HOME_VIEW)
    eventually(lambda: http("GET", second).status == 404)
    assert http("GET", second).body == "Not found\n"


def test_deleting_a_members_data_removes_their_feed(bot, slack, store):
    session = one_session(store, soon(86400 * 14), title="Deleted feed hour", offsets=())
    sessions.set_rsvp(store, session.id, "UGONE", sessions.GOING, now=datetime.now(UTC))
    url = new_feed(bot, slack, "UGONE")
    bot.click("member_data_delete", "delete", user="UGONE")
    eventually(lambda: http("GET", url).status == 404)
    assert store.db.execute("select count(*) from calendar_feeds where subject = 'UGONE'").fetchone() == (0,)


def test_a_series_has_a_public_feed_on_home_with_a_google_add_by_url_link(bot, slack, store):
    session = one_session(store, soon(3600 * 3), title="Public feed hour", offsets=())
    home = home_of(bot, slack, "UPUBLIC")
    assert "Every session of a series" in home and "Public feed hour" in home
    webcal = next(part for part in home.split("<") if part.startswith("webcal://") and "|Public feed hour" in part)
    url = "http://" + webcal.split("|")[0].removeprefix("webcal://")
    encoded = url.split("://")[1].replace("/", "%2F").replace(":", "%3A")
    assert f"calendar.google.com/calendar/r?cid=webcal%3A%2F%2F{encoded}" in home
    found = events_in(url)
    assert list(found) == [f"{session.id}@{sessions.deployment_uid(store)}.heart-bot"]
    assert home_of(bot, slack, "UPUBLIC2").count(url.split("://")[1]) == 1  # the same public address for everyone
