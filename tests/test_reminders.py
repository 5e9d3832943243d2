"""Reminders in-process against the local Slack: who gets what, claims, failures, and resuming.

The end-to-end versions (the real app as a subprocess, kill -9, two processes) are in
test_reminders_e2e.py.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.claims import CLAIMED, SENT, Claims
from bot.config import Settings
from bot.instances import Instance
from bot.offline.localslack import Failure, LocalSlack
from bot.pacing import Pacer
from bot.sender import Sender
from bot.sessions import blocks
from bot.sessions import core as sessions
from bot.sessions.core import Series, SessionView
from bot.sessions.delivery import Deliverer
from bot.sessions.form import SessionForm, check_form
from bot.sessions.recurrence import HORIZON, WEEKLY, Recurrence, before_start
from bot.scheduling import Scheduler
from bot.sessions.scheduler import LOOKAHEAD, SessionScheduler
from bot.sessions.slots import pending_slots, skip_reason, slots_for
from bot.slack_client import delivery_client
from bot.store import Store
from tests.support.session_helpers import migrated, one_session

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path) -> Store:
    return migrated(tmp_path / "heart.db")


def deliverer(
    store: Store, slack: LocalSlack, *, owner: str = "test:1", rate: float = 50.0, clock=time.time, timeout: float = 15
) -> Deliverer:
    """A deliverer as the scheduler builds one, held by ``owner`` (an instance id), with Slack's
    answers awaited ``timeout`` seconds."""
    stopping = threading.Event()
    client = delivery_client("xoxb-test", slack.api_url)
    client.timeout = timeout
    claims = Claims(store, owner, clock=clock)
    sender = Sender(
        client,
        claims,
        pace=Pacer(store, "chat.postMessage", rate, stopping, clock),
        lookups=Pacer(store, "conversations.history", rate, stopping, clock),
        stopping=stopping,
        clock=clock,
    )
    return Deliverer(
        store,
        client,
        claims=claims,
        sender=sender,
        coordinators=lambda: ["UCOORD1", "UCOORD2"],
        stopping=stopping,
        clock=clock,
    )


def posted(slack: LocalSlack) -> list:
    """Successful chat.postMessage calls."""
    return [call for call in slack.calls_to("chat.postMessage") if "_failed" not in call.args]


def state(store: Store, occurrence_id: str, kind: str, recipient: str) -> tuple:
    return store.db.execute(
        "select state, attempts, detail from deliveries where occurrence_id = ? and kind = ? and recipient = ?",
        (occurrence_id, kind, recipient),
    ).fetchone()


def subscribe(store: Store, series_id: str, *members: str) -> None:
    for member in members:
        sessions.set_subscription(store, series_id, member, True, now=NOW)


# ----------------------------------------------------------------------------- slots


def test_a_reminder_missed_while_down_is_sent_if_the_session_has_not_started(store):
    occurrence = one_session(store, NOW + timedelta(minutes=5))
    slots = slots_for(occurrence, (1440, 15))
    day_before, quarter = slots[0], slots[1]
    assert skip_reason(quarter, occurrence, slots, NOW) is None
    assert skip_reason(day_before, occurrence, slots, NOW) == "superseded by a later reminder"
    assert skip_reason(quarter, occurrence, slots, NOW + timedelta(minutes=5)) == "too late"


def test_starting_now_is_useful_for_ten_minutes_and_the_share_out_prompt_for_hours(store):
    occurrence = one_session(store, NOW)
    slots = {slot.base: slot for slot in slots_for(occurrence, (15,))}
    assert skip_reason(slots["starting"], occurrence, list(slots.values()), NOW + timedelta(minutes=9)) is None
    assert skip_reason(slots["starting"], occurrence, list(slots.values()), NOW + timedelta(minutes=10)) == "too late"
    assert skip_reason(slots["shareout"], occurrence, list(slots.values()), NOW + timedelta(hours=3)) is None


def test_a_session_added_late_skips_the_reminders_that_fell_due_before_it_existed(store):
    occurrence = one_session(store, NOW + timedelta(hours=2), created=NOW)
    slots = slots_for(occurrence, (1440, 15))
    assert skip_reason(slots[0], occurrence, slots, NOW) == "due before the session was scheduled"


def test_a_moved_session_gets_fresh_reminders_and_a_notice(store):
    occurrence = one_session(store, NOW + timedelta(days=3))
    moved = sessions.move_occurrence(store, occurrence.id, datetime(2026, 12, 4, 14, 0), by="UCOORD1", now=NOW)
    kinds = [slot.kind for slot in slots_for(moved, (1440, 15))]
    assert kinds == ["moved.r1", "reminder-1440.r1", "reminder-15.r1", "starting.r1", "shareout.r1"]
    cancelled = sessions.cancel_occurrence(store, occurrence.id, by="UCOORD1", now=NOW, reason="Snow day")
    assert [slot.kind for slot in slots_for(cancelled, (1440, 15))] == ["cancelled"]


def test_a_session_200_days_ahead_is_made_at_once_and_reminded_when_it_comes_into_range(store, slack):
    """Beyond the 120 days over which sessions are made: a one-off months ahead, and a series that
    starts then (its later sessions are made as each comes within 120 days), on a controlled clock."""
    eastern = ZoneInfo("America/New_York")
    day = (NOW + timedelta(days=200)).astimezone(eastern).date()
    form = SessionForm(title="Spring conference", date=day.isoformat(), time="11:00", channel="C0CONF", topic="Keynote")
    checked = check_form(form, now=NOW, default_timezone="America/New_York")
    conference = sessions.add_series(store, checked.series, now=NOW, created_by="UCOORD1", topic=checked.topic)
    september = Recurrence(WEEKLY, datetime(2027, 9, 8, 15, 30), "America/New_York", count=3)
    weekly = Series(id="", title="Kickoff", recurrence=september)
    kickoff = sessions.add_series(store, weekly, now=NOW, created_by="UCOORD1")

    def made(series_id: str) -> list[str]:
        return [o.id for o in sessions.occurrences_between(store, NOW, None) if o.series_id == series_id]

    [occurrence] = sessions.upcoming(store, NOW, series_id=conference.id)  # on the calendar, open to RSVPs
    assert (occurrence.id, occurrence.topic) == (f"spring-conference:{day}", "Keynote")
    assert made(kickoff.id) == ["kickoff:2027-09-08"]  # the series' first session only, for now
    sessions.set_rsvp(store, occurrence.id, "UANA", sessions.GOING, now=NOW)
    subscribe(store, conference.id, "UBEN")

    second = datetime(2027, 9, 15, 15, 30, tzinfo=eastern)
    assert sessions.expand_all(store, second - HORIZON - timedelta(hours=1)) == 0
    assert sessions.expand_all(store, second - HORIZON + timedelta(hours=1)) == 1
    assert made(kickoff.id) == ["kickoff:2027-09-08", "kickoff:2027-09-15"]

    due = before_start(occurrence.starts_at, 1440, eastern)  # the day-before reminder
    assert not [s for s in pending_slots(store, NOW, LOOKAHEAD) if s.occurrence_id == occurrence.id]
    planned = [s for s in pending_slots(store, due - timedelta(hours=1), LOOKAHEAD) if s.occurrence_id == occurrence.id]
    assert [(s.kind, s.due_at) for s in planned] == [("reminder-1440", due)]
    sent = deliverer(store, slack, clock=lambda: (due + timedelta(seconds=1)).timestamp()).deliver(occurrence.id, "reminder-1440")
    assert sent == "2 sent"
    assert [call.args["channel"] for call in posted(slack)] == ["C0CONF", "UBEN"]
    assert "1 going" in json.dumps(posted(slack)[0].args)


# ----------------------------------------------------------------------------- claims


def test_a_claim_is_taken_once_and_taken_over_only_after_its_lease_runs_out(store):
    clock = [1000.0]
    first = Claims(store, "host:1", lease=60, clock=lambda: clock[0])
    second = Claims(store, "host:2", lease=60, clock=lambda: clock[0])
    claim = first.take("s:1", "reminder-15", "U1")
    assert claim is not None
    assert second.take("s:1", "reminder-15", "U1") is None
    clock[0] += 61  # host 1 died holding it
    taken_over = second.take("s:1", "reminder-15", "U1")
    assert taken_over is not None and taken_over.id == claim.id
    assert not first.renew(claim)  # host 1, had it survived, may not send any more
    second.finish(taken_over, SENT)
    clock[0] += 1000
    assert second.take("s:1", "reminder-15", "U1") is None  # sent is final


def test_twenty_threads_on_two_connections_race_for_one_claim_and_one_wins(tmp_path):
    path = tmp_path / "heart.db"
    migrated(path)
    stores = [Store(path), Store(path)]
    won: list = []
    barrier = threading.Barrier(20)

    def race(index: int) -> None:
        claims = Claims(stores[index % 2], f"host:{index}")
        barrier.wait()
        if claims.take("s:1", "starting", "channel"):
            won.append(index)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1


def test_the_database_itself_refuses_a_second_row_for_one_message(store):
    """The unique index under claims: BEGIN IMMEDIATE hides its absence from the races above, so
    it is tested on its own (a second process, or a code path without the lock, must fail)."""
    row = {"occurrence_id": "s:1", "kind": "reminder-15", "recipient": "U1", "state": SENT}
    store.db["deliveries"].insert(row)
    with pytest.raises(sqlite3.IntegrityError):
        store.db["deliveries"].insert({**row, "state": CLAIMED})
    store.db["deliveries"].insert({**row, "recipient": "U2"})  # another recipient is another message


# ----------------------------------------------------------------------------- delivery


def test_a_reminder_goes_to_the_channel_and_to_subscribers_except_those_who_declined(store, slack):
    occurrence = one_session(store, datetime.now(UTC) + timedelta(minutes=10), title="Peer <!channel> Hour")
    subscribe(store, occurrence.series_id, "UANA", "UBEN", "UCAL")
    sessions.set_rsvp(store, occurrence.id, "UBEN", sessions.NOT_GOING, now=datetime.now(UTC))
    sessions.set_rsvp(store, occurrence.id, "UDEE", sessions.GOING, now=datetime.now(UTC))
    assert deliverer(store, slack).deliver(occurrence.id, "reminder-15") == "3 sent"
    calls = posted(slack)
    assert [call.args["channel"] for call in calls] == ["C0PEER", "UANA", "UCAL"]
    channel_post, dm = json.dumps(calls[0].args), json.dumps(calls[1].args)
    assert "<!channel>" not in channel_post and "&lt;!channel&gt;" in channel_post
    assert "1 going" in channel_post
    assert "Stop DM reminders" in dm and "Stop DM reminders" not in channel_post
    assert deliverer(store, slack, owner="test:2").deliver(occurrence.id, "reminder-15") == "busy"
    assert len(posted(slack)) == 3


def test_429_with_retry_after_then_500s_still_delivers_exactly_once(store, slack):
    occurrence = one_session(store, datetime.now(UTC) + timedelta(minutes=10), offsets=(15,))
    slack.fail_next("chat.postMessage", Failure(status=429, retry_after=1), Failure(status=500), Failure(status=503))
    assert deliverer(store, slack).deliver(occurrence.id, "reminder-15") == "1 sent"
    assert len(posted(slack)) == 1
    assert state(store, occurrence.id, "reminder-15", "channel")[:2] == ("sent", 4)
    rate_limited, retried = slack.calls_to("chat.postMessage")[:2]
    assert retried.at - rate_limited.at >= 1  # Retry-After: 1 was honoured


def test_a_dropped_connection_is_retried(store, slack):
    occurrence = one_session(store, datetime.now(UTC) + timedelta(minutes=10), offsets=(15,))
    slack.fail_next("chat.postMessage", Failure(drop=True))
    deliverer(store, slack).deliver(occurrence.id, "reminder-15")
    assert len(posted(slack)) == 1


def test_a_failure_that_never_ends_gives_up_once_the_message_is_useless(store, slack):
    # "Starting now" is useful for 10 minutes: this session started 9 minutes 57 seconds ago.
    occurrence = one_session(store, datetime.now(UTC) - timedelta(minutes=9, seconds=57), offsets=())
    slack.fail_next("chat.postMessage", *[Failure(status=500)] * 50)
    now = [time.time()]

    def clock() -> float:  # half a second passes each time the deliverer looks, however slow the machine
        now[0] += 0.5
        return now[0]

    deliverer(store, slack, clock=clock).deliver(occurrence.id, "starting")
    assert state(store, occurrence.id, "starting", "channel")[0::2] == ("failed", "gave up: no longer useful")
    assert posted(slack) == []


def test_not_in_channel_marks_the_series_and_tells_the_coordinators_once(store, slack):
    occurrence = one_session(store, datetime.now(UTC) + timedelta(minutes=10))
    slack.fail_next("chat.postMessage", Failure(error="not_in_channel"))
    deliverer(store, slack).deliver(occurrence.id, "reminder-15")
    assert sessions.get_series(store, occurrence.series_id).channel_problem == "not_in_channel"
    told = posted(slack)
    assert sorted(call.args["channel"] for call in told) == ["UCOORD1", "UCOORD2"]
    assert "/invite @heart-bot" in json.dumps(told[0].args)
    card = blocks.session_blocks(
        SessionView(sessions.get_occurrence(store, occurrence.id)), surface=blocks.LIST, coordinator=True
    )
    assert "can't post in <#C0PEER>" in json.dumps([block.to_dict() for block in card])
    slack.clear()
    slack.fail_next("chat.postMessage", Failure(error="not_in_channel"))
    deliverer(store, slack).deliver(occurrence.id, "starting")
    assert posted(slack) == []  # already told


def test_a_fan_out_cut_short_by_a_crash_resumes_without_sending_twice(store, slack):
    occurrence = one_session(store, datetime.now(UTC) + timedelta(minutes=10), channel=None, offsets=(15,))
    members = [f"UM{n:03d}" for n in range(10)]
    subscribe(store, occurrence.series_id, *members)
    crashed = Claims(store, "host:dead", lease=60)
    whole = crashed.take(occurrence.id, "reminder-15", "*")
    for member in members[:4]:  # reached before the crash
        crashed.finish(crashed.take(occurrence.id, "reminder-15", member), SENT)
    crashed.take(occurrence.id, "reminder-15", members[4])  # claimed when it died, never answered
    assert whole is not None
    later = time.time() + 61
    assert deliverer(store, slack, clock=lambda: later).deliver(occurrence.id, "reminder-15") == "4 already handled, 6 sent"
    assert [call.args["channel"] for call in posted(slack)] == members[4:]


def test_two_processes_fanning_out_at_once_share_one_pace(tmp_path, slack):
    path = tmp_path / "heart.db"
    store = migrated(path)
    fan_outs = []
    for n in range(2):
        occurrence = one_session(
            store, datetime.now(UTC) + timedelta(minutes=10), title=f"Hour {n}", offsets=(15,), channel=f"C0PACE{n}"
        )
        subscribe(store, occurrence.series_id, *[f"UP{n}{m:02d}" for m in range(12)])
        fan_outs.append(occurrence.id)
    # Slack answers 429 past 10 a second. Each process paces 6 a second: together 12 if each kept a
    # pace of its own, 6 if they share one (room for a busy machine's bunched calls).
    slack.rate_limit("chat.postMessage", 10)
    processes = [deliverer(Store(path), slack, owner=f"host:{n}", rate=6) for n in range(2)]
    threads = [
        threading.Thread(target=process.deliver, args=(occurrence_id, "reminder-15"))
        for process, occurrence_id in zip(processes, fan_outs, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [call.args["_failed"] for call in slack.calls_to("chat.postMessage") if "_failed" in call.args] == []
    assert len(posted(slack)) == 2 * 13


def test_a_fan_out_does_not_wait_for_a_post_whose_answer_was_lost(store, slack):
    occurrence = one_session(store, datetime.now(UTC) + timedelta(minutes=10), channel=None, offsets=(15,))
    members = [f"UM{n:03d}" for n in range(5)]
    subscribe(store, occurrence.series_id, *members)
    slack.fail_next("chat.postMessage", Failure(accepted=True, drop=True))  # the first DM is made, its answer lost
    assert deliverer(store, slack).deliver(occurrence.id, "reminder-15") == "5 sent"
    assert [call.args["channel"] for call in posted(slack)] == members  # once each
    order = [call.method for call in slack.calls if call.method in ("chat.postMessage", "conversations.history")]
    assert order == ["chat.postMessage"] * 5 + ["conversations.history"]  # the others first, then the lookup


def test_rsvp_counts_in_channel_posts_are_redrawn_in_place(store, slack):
    occurrence = one_session(store, datetime.now(UTC) + timedelta(minutes=10), offsets=(15,))
    sender = deliverer(store, slack)
    sender.deliver(occurrence.id, "reminder-15")
    post = posted(slack)[0]
    sessions.set_rsvp(store, occurrence.id, "UANA", sessions.GOING, now=datetime.now(UTC))
    sessions.set_rsvp(store, occurrence.id, "UBEN", sessions.GOING, now=datetime.now(UTC))
    assert sender.refresh_posts(occurrence.id) == 1
    update = slack.calls_to("chat.update")[0]
    assert update.args["channel"] == "C0PEER" and update.args["ts"] == post.answer["ts"]
    assert "2 going" in json.dumps(update.args)


def test_the_share_out_prompt_carries_the_share_out_button(store, slack):
    occurrence = one_session(store, datetime.now(UTC) - timedelta(minutes=61), offsets=())
    sessions_going = ["UANA"]
    with store.transaction() as db:  # RSVPs made before the session ended
        db.execute("insert into rsvps values (?, ?, 'going', 0)", (occurrence.id, sessions_going[0]))
    assert deliverer(store, slack).deliver(occurrence.id, "shareout") == "2 sent"
    share = posted(slack)[0].blocks()[-1]["elements"][0]
    assert (share["action_id"], share["value"]) == ("shareout_open", occurrence.id)


def test_the_pace_spaces_calls_and_waits_out_a_pause(store):
    clock = [1000.0]
    stopping = threading.Event()
    stopping.wait = lambda delay: clock.__setitem__(0, clock[0] + delay) or False  # time passes instantly
    pace = Pacer(store, "chat.postMessage", 10, stopping, clock=lambda: clock[0])
    for _ in range(5):
        assert pace.wait_turn()
    assert clock[0] == pytest.approx(1000.4)
    pace.pause(2)
    pace.wait_turn()
    assert clock[0] == pytest.approx(1002.4)


# ----------------------------------------------------------------------------- the scheduler


def test_stopping_while_a_reconcile_runs_does_not_hang(tmp_path):
    store = migrated(tmp_path / "heart.db")
    settings = Settings(database_path=tmp_path / "heart.db")
    scheduler = Scheduler(store, settings, instance=Instance(store))
    reminders = SessionScheduler(scheduler, coordinators=list)
    reconciling = threading.Event()

    def slow_reconcile() -> None:
        reconciling.set()
        time.sleep(0.5)  # stop() is called meanwhile
        reminders.reconcile()  # reads APScheduler's jobs, under its job store lock

    scheduler.every_day("slow", slow_reconcile)
    scheduler.start()
    assert reconciling.wait(10)
    stopper = threading.Thread(target=scheduler.stop, daemon=True)
    stopper.start()
    stopper.join(10)
    assert not stopper.is_alive(), "stop() and the running reconcile are waiting for each other"
