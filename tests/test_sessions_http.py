"""/peerhour, its buttons and forms, and the Home tab, through signed HTTP requests to the real app."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from bot.offline.localslack import LocalSlack
from bot.offline.server import BotServer
from bot.sessions import core as sessions
from bot.store import Store
from tests.support.forms import add_form
from tests.support.session_helpers import next_clock_change, one_session, soon
from tests.support.waiting import eventually, text_of

COORDINATOR = "UCOORD1"


@pytest.fixture(scope="module")
def bot(local_slack: LocalSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    env = {"COORDINATOR_IDS": COORDINATOR, "HEART_RECONCILE_SECONDS": "1"}
    server = BotServer(local_slack, tmp_path_factory.mktemp("sessions") / "heart.db", env=env).start()
    yield server
    server.stop()


@pytest.fixture
def store(bot: BotServer) -> Store:
    return Store(bot.database_path)


def recorded(store: Store, kind: str, subject: str) -> list[tuple]:
    return store.db.execute("select user_id, query from events where kind = ? and subject = ?", (kind, subject)).fetchall()


def posts_to(slack: LocalSlack, channel: str) -> list[str]:
    return [
        text_of(c.args)
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("channel") == channel and "_failed" not in c.args
    ]


# ----------------------------------------------------------------------------- members


def test_peerhour_shows_the_next_sessions_with_times_in_each_readers_zone(bot, store):
    occurrence = one_session(store, soon(86400 + 3600), title="Winter <@U0BOSS> check-in", offsets=())
    answer = bot.command("/peerhour")
    assert answer.status == 200
    start = int(occurrence.starts_at.timestamp())
    assert f"<!date^{start}^{{date_short_pretty}} at {{time}}|" in answer.text
    assert "Winter &lt;@U0BOSS&gt; check-in" in answer.text and "<@U0BOSS>" not in answer.text
    for label in ("Going", "Can't make it", "Remind me by DM", "Add to calendar", "Join"):
        assert f'"text": "{label}"' in answer.text
    assert "Add session" not in answer.text  # members manage nothing
    assert bot.command("/peerhour", "next").text == answer.text


def test_going_from_the_list_redraws_it_and_is_counted(bot, slack, store):
    occurrence = one_session(store, soon(86400 + 7200), title="RSVP hour", offsets=())
    answer = bot.click("peerhour_going", occurrence.id, block_id=f"ph_list|{occurrence.id}")
    redrawn = slack.responses(answer.response_url)[0]
    assert redrawn["replace_original"] is True
    assert "✓ Going" in text_of(redrawn) and "You're going" in text_of(redrawn)
    assert sessions.rsvp_counts(store, occurrence.id) == sessions.Counts(going=1)
    assert eventually(lambda: recorded(store, "rsvp", occurrence.id)) == [("UMEMBER1", "going")]
    bot.click("peerhour_not_going", occurrence.id, block_id=f"ph_list|{occurrence.id}")
    eventually(lambda: sessions.rsvp_counts(store, occurrence.id) == sessions.Counts(not_going=1))


def test_remind_me_by_dm_turns_on_and_off_per_series(bot, slack, store):
    occurrence = one_session(store, soon(86400 + 9000), title="DM hour", offsets=())
    bot.click("peerhour_subscribe", occurrence.series_id, block_id=f"ph_list|{occurrence.id}", user="UANA")
    eventually(lambda: sessions.subscribers(store, occurrence.series_id) == ["UANA"])
    answer = bot.click("peerhour_unsubscribe", occurrence.series_id, block_id=f"ph_post|dm|{occurrence.id}", user="UANA")
    reply = slack.responses(answer.response_url)[0]
    assert reply["replace_original"] is False and "won't get DM reminders" in text_of(reply)
    assert sessions.subscribers(store, occurrence.series_id) == []
    eventually(lambda: recorded(store, "unsubscribe", occurrence.series_id))
    assert recorded(store, "subscribe", occurrence.series_id) == [("UANA", None)]


def test_add_to_calendar_sends_an_ics_file_by_dm_and_a_google_link(bot, slack, store):
    occurrence = one_session(store, soon(86400 + 10000), title="Calendar hour", offsets=())
    answer = bot.click("peerhour_calendar", occurrence.id, block_id=f"ph_list|{occurrence.id}")
    reply = slack.responses(answer.response_url)[0]
    assert "calendar.google.com/calendar/render?action=TEMPLATE" in text_of(reply)
    upload = slack.wait_for("file_upload")[0]
    event = Calendar.from_ical(upload.args["bytes"]).walk("VEVENT")[0]
    assert str(event["summary"]) == "Calendar hour"
    assert str(event["uid"]) == f"{occurrence.id}@{sessions.deployment_uid(store)}.heart-bot"
    assert event.decoded("dtstart") == occurrence.starts_at
    assert str(event["location"]) == "https://meet.example.org/peer"
    completed = slack.wait_for("files.completeUploadExternal")[0]
    assert completed.args["channel_id"].startswith("D")


def test_the_home_tab_shows_sessions_state_and_quick_links(bot, slack, store):
    occurrence = one_session(store, soon(3600 * 5), title="Home hour", offsets=())
    sessions.set_rsvp(store, occurrence.id, "UHOME1", sessions.GOING, now=datetime.now(UTC))
    bot.event({"type": "app_home_opened", "user": "UHOME1", "tab": "home"})
    home = text_of(slack.wait_for("views.publish")[0].args)
    assert "Upcoming peer support hours" in home and "Home hour" in home and "You're going" in home
    assert "/glossary" in home and "/tipsheet" in home and "Add session" not in home
    bot.event({"type": "app_home_opened", "user": COORDINATOR, "tab": "home"})
    assert "Add session" in text_of(slack.wait_for("views.publish", 2)[1].args)


def test_a_click_on_the_home_tab_republishes_it(bot, slack, store):
    occurrence = one_session(store, soon(3600 * 6), title="Home click hour", offsets=())
    view = {"id": "VHOME", "type": "home", "callback_id": "heart_home"}
    bot.click("peerhour_subscribe", occurrence.series_id, block_id=f"ph_home|{occurrence.id}", user="UHOME2", view=view)
    published = slack.wait_for("views.publish")[0]
    assert published.args["user_id"] == "UHOME2" and "Stop DM reminders" in text_of(published.args)


# ----------------------------------------------------------------------------- channel posts


def test_rsvps_to_a_channel_reminder_update_its_counts_in_place(bot, slack, store):
    occurrence = one_session(store, soon(86400 + 3), title="Live count hour", offsets=(1440,))  # due in 3 s
    post = slack.wait_for("chat.postMessage", timeout=60)[0]  # useful for a day: a loaded machine may take a while
    assert post.args["channel"] == "C0PEER" and "0 going" in text_of(post.args)
    answer = bot.click("peerhour_going", occurrence.id, block_id=f"ph_post|{occurrence.id}", user="UANA")
    reply = slack.responses(answer.response_url)[0]
    assert reply["replace_original"] is False and "You're going" in text_of(reply)
    update = slack.wait_for("chat.update")[0]
    assert (update.args["channel"], update.args["ts"]) == ("C0PEER", post.answer["ts"])  # the message Slack made
    assert "1 going" in text_of(update.args)


# ----------------------------------------------------------------------------- coordinators


def test_members_cannot_add_sessions_even_by_replaying_a_coordinators_form(bot, slack, store):
    assert "Only coordinators" in bot.command("/peerhour", "add").text
    assert slack.calls_to("views.open") == []
    answer = bot.submit("peerhour_add", add_form(title="Sneaky series"), user="UMEMBER1")
    assert answer.json["response_action"] == "errors" and "Only coordinators" in answer.json["errors"]["title"]
    assert all(s.title != "Sneaky series" for s in sessions.all_series(store))
    menu = bot.click("peerhour_manage", "cancel|anything", user="UMEMBER1")
    assert "Only coordinators" in text_of(slack.responses(menu.response_url)[0])


def test_a_coordinator_opens_the_add_form_and_gets_each_problem_by_field(bot, slack):
    assert bot.command("/peerhour", "add", user=COORDINATOR).status == 200
    view = slack.wait_for("views.open")[0].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "peerhour_add"
    assert {block["block_id"] for block in view["blocks"]} >= {
        "title",
        "date",
        "time",
        "timezone",
        "repeat",
        "channel",
        "reminders",
    }
    answer = bot.submit("peerhour_add", add_form(title=" ", date="2020-01-06", link="javascript:alert(1)"), user=COORDINATOR)
    assert answer.json["response_action"] == "errors"
    assert set(answer.json["errors"]) == {"title", "date", "link"}


def test_a_coordinator_adds_a_weekly_series_in_another_time_zone(bot, store):
    answer = bot.submit("peerhour_add", add_form(), user=COORDINATOR)
    assert answer.json["response_action"] == "update"
    assert "Weekly on" in answer.text and "America/Chicago" in answer.text
    series = next(s for s in sessions.all_series(store) if s.title == "Book club for counselors")
    coming = sessions.upcoming(store, datetime.now(UTC), series_id=series.id)
    assert len(coming) == 2 and coming[0].topic == "Chapter 1" and coming[1].topic is None
    assert {o.starts_at.astimezone(coming[0].tz).strftime("%H:%M") for o in coming} == {"16:00"}
    assert (series.channel_id, series.reminder_offsets, series.duration_minutes) == ("C0BOOK", (1440,), 45)


def test_the_add_form_refuses_a_time_the_clocks_skip_and_says_which_1_30_it_means(bot, store):
    spring = next_clock_change("America/Los_Angeles", "02:30", skipped=True).isoformat()
    once = {"repeat": "once", "count": ""}
    skipped = add_form(title="Night owls", date=spring, time="02:30", timezone="America/Los_Angeles", **once)
    answer = bot.submit("peerhour_add", skipped, user=COORDINATOR)
    assert answer.json["response_action"] == "errors" and set(answer.json["errors"]) == {"time"}
    assert "the clocks jump from 2:00 AM to 3:00 AM that night" in answer.json["errors"]["time"]
    assert all(s.title != "Night owls" for s in sessions.all_series(store))
    autumn = next_clock_change("America/New_York", "01:30", skipped=False).isoformat()
    twice = add_form(title="Night owls", date=autumn, time="01:30", timezone="America/New_York", **once)
    answer = bot.submit("peerhour_add", twice, user=COORDINATOR)
    assert answer.json["response_action"] == "update" and "Session added" in answer.text
    assert "the session starts at the first 1:30 AM (EDT), not the second (EST)" in answer.text
    series = next(s for s in sessions.all_series(store) if s.title == "Night owls")
    occurrence = sessions.get_occurrence(store, f"{series.id}:{autumn}")
    assert occurrence.starts_at.astimezone(occurrence.tz).strftime("%H:%M %Z") == "01:30 EDT"


def test_the_move_form_refuses_a_time_the_clocks_skip(bot, store):
    occurrence = one_session(store, soon(3 * 86400), title="Pacific hour", offsets=(), timezone="America/Los_Angeles")
    spring = next_clock_change("America/Los_Angeles", "02:30", skipped=True).isoformat()
    values = {
        "date": {"date": {"type": "datepicker", "selected_date": spring}},
        "time": {"time": {"type": "timepicker", "selected_time": "02:30"}},
        "note": {"note": {"type": "plain_text_input", "value": None}},
    }
    answer = bot.submit("peerhour_move", values, user=COORDINATOR, private_metadata=f"ph_list|{occurrence.id}")
    assert answer.json["response_action"] == "errors"
    assert "2:30 AM doesn't exist on" in answer.json["errors"]["time"]
    assert sessions.get_occurrence(store, occurrence.id).status == "scheduled"


def test_the_add_form_takes_a_session_200_days_ahead(bot, store):
    far = (datetime.now(UTC) + timedelta(days=200)).date().isoformat()
    answer = bot.submit("peerhour_add", add_form(title="Spring conference", date=far, repeat="once", count=""), user=COORDINATOR)
    assert answer.json["response_action"] == "update" and "Session added" in answer.text
    series = next(s for s in sessions.all_series(store) if s.title == "Spring conference")
    occurrence = sessions.get_occurrence(store, f"{series.id}:{far}")
    assert occurrence is not None and occurrence.topic == "Chapter 1"


def test_cancelling_a_session_tells_the_channel_and_everyone_going(bot, slack, store):
    occurrence = one_session(store, soon(2 * 86400), title="Cancel hour", offsets=())
    sessions.set_rsvp(store, occurrence.id, "UGOING", sessions.GOING, now=datetime.now(UTC))
    menu = bot.click("peerhour_manage", f"cancel|{occurrence.id}", block_id=f"ph_list|{occurrence.id}", user=COORDINATOR)
    assert menu.status == 200
    form = slack.wait_for("views.open")[0].args["view"]
    assert "peerhour_cancel" in text_of(form)
    note = {"note": {"note": {"type": "plain_text_input", "value": "Snow day <!here>"}}}
    replayed = bot.submit("peerhour_cancel", note, user="UMEMBER1", private_metadata=f"ph_list|{occurrence.id}")
    assert replayed.json["response_action"] == "errors"
    answer = bot.submit("peerhour_cancel", note, user=COORDINATOR, private_metadata=f"ph_list|{occurrence.id}")
    assert answer.json["response_action"] == "update" and "is cancelled" in answer.text
    eventually(lambda: posts_to(slack, "C0PEER") and posts_to(slack, "UGOING"))
    notice = posts_to(slack, "C0PEER")[0]
    assert "Cancel hour" in notice and "is cancelled" in notice
    assert "Snow day &lt;!here&gt;" in notice and "<!here>" not in notice
    assert sessions.get_occurrence(store, occurrence.id).status == "cancelled"
    again = bot.submit("peerhour_cancel", note, user=COORDINATOR, private_metadata=f"ph_list|{occurrence.id}")
    assert "already cancelled" in text_of(again.json["errors"])


def test_moving_a_session_keeps_rsvps_and_tells_everyone_going(bot, slack, store):
    occurrence = one_session(store, soon(3 * 86400), title="Move hour", offsets=())
    sessions.set_rsvp(store, occurrence.id, "UMOVER", sessions.GOING, now=datetime.now(UTC))
    new_day = (occurrence.starts_at.astimezone(occurrence.tz) + timedelta(days=1)).date().isoformat()
    values = {
        "date": {"date": {"type": "datepicker", "selected_date": new_day}},
        "time": {"time": {"type": "timepicker", "selected_time": "09:15"}},
        "note": {"note": {"type": "plain_text_input", "value": None}},
    }
    answer = bot.submit("peerhour_move", values, user=COORDINATOR, private_metadata=f"ph_list|{occurrence.id}")
    assert answer.json["response_action"] == "update" and "moved to" in answer.text
    moved = sessions.get_occurrence(store, occurrence.id)
    assert moved.status == "moved" and moved.starts_at.astimezone(moved.tz).strftime("%Y-%m-%d %H:%M") == f"{new_day} 09:15"
    assert sessions.responders(store, occurrence.id) == ["UMOVER"]
    eventually(lambda: posts_to(slack, "C0PEER") and posts_to(slack, "UMOVER"))
    assert "has moved from" in posts_to(slack, "C0PEER")[0]
    bad = {**values, "time": {"time": {"type": "timepicker", "selected_time": None}}}
    assert (
        "time" in bot.submit("peerhour_move", bad, user=COORDINATOR, private_metadata=f"ph_list|{occurrence.id}").json["errors"]
    )
