"""Sending once, in-process against the local Slack: instances that know when another is gone,
claims taken over at once, one pace for every process, and posts whose answer was lost found by
their metadata instead of sent twice. The end-to-end versions (the real bot, kill -9, two processes)
are in tests/reliability/test_faults.py and tests/test_reminders_e2e.py.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.blocks import Message
from bot.claims import EVERYONE, OUTCOME_UNKNOWN, Claim, Claims, settled
from bot.instances import Instance
from bot.offline.localslack import Failure, LocalSlack
from bot.pacing import Pacer
from bot.sender import MAY_HAVE_BEEN_SENT, METADATA_EVENT, Sender
from bot.slack_client import delivery_client
from bot.store import Store
from tests.support.harness import ROOT
from tests.support.session_helpers import migrated

CONTENT = Message("Reminder: Peer Support Hour starts soon")
SOON = datetime.now(UTC) + timedelta(hours=1)


@pytest.fixture
def store(tmp_path) -> Store:
    return migrated(tmp_path / "heart.db")


def sender(store: Store, slack: LocalSlack, owner: str, *, timeout: float = 15, settle: float = 0.2) -> Sender:
    """A sender as the scheduler builds one, for the claims of ``owner`` (an instance id)."""
    stopping = threading.Event()
    client = delivery_client("xoxb-test", slack.api_url)
    client.timeout = timeout
    return Sender(
        client,
        Claims(store, owner),
        pace=Pacer(store, "chat.postMessage", 50, stopping),
        lookups=Pacer(store, "conversations.history", 50, stopping),
        stopping=stopping,
        settle=settle,
    )


def copies(slack: LocalSlack, channel: str) -> int:
    """How many copies of the reminder a conversation holds (a member id for the bot's DM)."""
    return sum(1 for m in slack.messages_in(channel) if str(m.get("text")).startswith("Reminder"))


def row(store: Store, claim: Claim) -> tuple:
    return store.db.execute("select state, detail, channel, ts from deliveries where id = ?", (claim.id,)).fetchone()


# ----------------------------------------------------------------------------- instances

HOLD_A_CLAIM = """
import sys, time
from bot.instances import Instance
from bot.claims import Claims
from bot.store import Store
store = Store(sys.argv[1])
instance = Instance(store)
instance.start()
Claims(store, instance.id).take("s:1", "reminder-1", "UANA")
print(instance.id, flush=True)
time.sleep(60)
"""


def test_a_process_killed_holding_a_claim_is_gone_at_once_and_its_claim_is_taken_over(store):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_A_CLAIM, str(store.path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    dead = holder.stdout.readline().strip()
    restarted = Instance(store)
    try:
        assert Claims(store, restarted.id).take("s:1", "reminder-1", "UANA") is None  # its holder lives
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        restarted.start()  # finds the dead one gone at start: no lease to wait out
        assert store.db.execute("select gone from instances where id = ?", (dead,)).fetchone() == (1,)
        assert Claims(store, restarted.id).take("s:1", "reminder-1", "UANA") is not None
    finally:
        restarted.stop()
        holder.stdout.close()


def test_an_instance_silent_for_three_heartbeats_is_gone_and_comes_back_when_it_beats_again(store, caplog):
    clock = [1000.0]
    frozen = Instance(store, heartbeat=60, clock=lambda: clock[0])  # its own thread won't beat within the test
    other = Instance(store, heartbeat=60, clock=lambda: clock[0])
    frozen.start()
    other.start()
    try:
        claim = Claims(store, frozen.id, clock=lambda: clock[0]).take("s:1", "starting", "channel")
        clock[0] += 3 * 60 - 1
        assert other.reap() == []  # alive, if quiet
        clock[0] += 2
        assert other.reap() == [frozen.id]  # three heartbeats missed, though its process lives
        taken = Claims(store, other.id, clock=lambda: clock[0]).take("s:1", "starting", "channel")
        assert taken is not None and taken.key == claim.key
        with caplog.at_level(logging.WARNING):
            frozen.beat()  # it thaws
        assert "was taken for gone" in caplog.text
        assert not Claims(store, frozen.id, clock=lambda: clock[0]).renew(claim)  # no longer its to send
        assert other.reap() == []
    finally:
        frozen.stop()
        other.stop()


def test_a_slot_held_by_a_gone_instance_is_not_settled(store):
    holder = Instance(store)
    holder.start()
    Claims(store, holder.id).take("s:1", "reminder-15", EVERYONE)
    assert settled(store, {"s:1"}, datetime.now(UTC)) == {("s:1", "reminder-15")}
    holder.stop()
    assert settled(store, {"s:1"}, datetime.now(UTC)) == set()


# ----------------------------------------------------------------------------- one pace


def test_two_processes_share_one_pace(tmp_path):
    clock = [1000.0]
    stopping = threading.Event()
    stopping.wait = lambda delay: clock.__setitem__(0, clock[0] + delay) or False  # time passes instantly
    path = tmp_path / "heart.db"
    migrated(path)
    first, second = (Pacer(Store(path), "chat.postMessage", 4, stopping, clock=lambda: clock[0]) for _ in range(2))
    turns = []
    for pace in (first, second, first, second, first, second):
        pace.wait_turn()
        turns.append(clock[0])
    assert turns == pytest.approx([1000, 1000.25, 1000.5, 1000.75, 1001, 1001.25])  # 4 a second between them
    second.pause(3)  # a 429 seen by one pauses both
    first.wait_turn()
    assert clock[0] == pytest.approx(1004.25)


def test_a_clock_set_back_does_not_stall_the_pace(store):
    clock = [1_000_000.0]
    stopping = threading.Event()
    stopping.wait = lambda delay: clock.__setitem__(0, clock[0] + delay) or False
    pace = Pacer(store, "chat.postMessage", 4, stopping, clock=lambda: clock[0])
    pace.wait_turn()
    clock[0] -= 3600  # the host's clock is set back an hour
    pace.wait_turn()
    assert clock[0] <= 1_000_000.0 - 3600 + 60


# ----------------------------------------------------------------------------- lost answers


def test_a_dm_whose_answer_is_lost_is_found_posted_and_not_sent_again(store, slack):
    post = sender(store, slack, "test:1")
    claim = post.claims.take("s:1", "reminder-15", "UANA")
    slack.fail_next("chat.postMessage", Failure(accepted=True, drop=True))
    assert post.post(claim, "UANA", CONTENT, SOON, direct=True).state == "sent"
    assert copies(slack, "UANA") == 1
    message = slack.messages_in("UANA")[0]
    assert message["metadata"] == {"event_type": METADATA_EVENT, "event_payload": {"delivery": claim.key}}
    assert row(store, claim) == ("sent", None, "DUANA", message["ts"])
    (lookup,) = slack.calls_to("conversations.history")
    assert lookup.args["include_all_metadata"] in ("true", "1", True) and lookup.args["channel"] == "DUANA"


def test_an_answer_that_comes_after_the_client_stopped_waiting_is_not_a_second_copy(store, slack):
    post = sender(store, slack, "test:1", timeout=0.5)
    claim = post.claims.take("s:1", "reminder-15", "channel")
    slack.fail_next("chat.postMessage", Failure(accepted=True, delay=1.5))  # taken at once, answered too late
    assert post.post(claim, "C0PEER", CONTENT, SOON, direct=False).state == "sent"
    assert copies(slack, "C0PEER") == 1


def test_a_post_that_never_reached_slack_is_sent(store, slack):
    post = sender(store, slack, "test:1")
    claim = post.claims.take("s:1", "reminder-15", "UBEN")
    slack.fail_next("chat.postMessage", Failure(drop=True))  # dropped before Slack took it
    assert post.post(claim, "UBEN", CONTENT, SOON, direct=True).state == "sent"
    assert copies(slack, "UBEN") == 1
    assert len(slack.calls_to("conversations.history")) == 1  # looked first, found nothing


def test_when_the_lookup_cannot_be_made_a_dm_is_recorded_as_maybe_sent_and_a_channel_post_is_sent_again(store, slack, caplog):
    post = sender(store, slack, "test:1")
    dm, channel_post = post.claims.take("s:1", "reminder-15", "UCAL"), post.claims.take("s:1", "reminder-15", "channel")
    slack.fail_next("chat.postMessage", Failure(accepted=True, drop=True), Failure(accepted=True, drop=True))
    slack.fail_next("conversations.history", Failure(error="missing_scope"), Failure(error="missing_scope"))
    with caplog.at_level(logging.INFO):
        assert post.post(dm, "UCAL", CONTENT, SOON, direct=True).state == "skipped"
        assert post.post(channel_post, "C0PEER", CONTENT, SOON, direct=False).state == "sent"
    assert copies(slack, "UCAL") == 1 and row(store, dm)[:2] == ("skipped", MAY_HAVE_BEEN_SENT)
    assert copies(slack, "C0PEER") == 2  # a channel missing it costs more than a second copy
    assert "may have been posted (missing_scope)" in caplog.text
    assert "sending it again" in caplog.text


def test_a_claim_taken_over_mid_call_is_looked_for_once_its_post_could_have_landed(store, slack):
    dead, alive = Instance(store), Instance(store)
    dead.start()
    claims = Claims(store, dead.id)
    claim = claims.take("s:1", "reminder-15", "UDEE")
    claims.renew(claim, attempt=True)  # its call is on its way when the process dies
    client = delivery_client("xoxb-test", slack.api_url)
    metadata = {"event_type": METADATA_EVENT, "event_payload": {"delivery": claim.key}}
    client.chat_postMessage(channel="UDEE", text=CONTENT.text, metadata=metadata)  # and Slack takes it
    dead.stop()
    alive.start()
    try:
        post = sender(store, slack, alive.id)
        taken = post.claims.take("s:1", "reminder-15", "UDEE", can_look=True)
        assert taken is not None and taken.in_doubt_since is not None and post.ready_at(taken) > time.time() - 1
        assert post.post(taken, "UDEE", CONTENT, SOON, direct=True).state == "sent"
        assert copies(slack, "UDEE") == 1
    finally:
        alive.stop()


def test_a_caller_that_cannot_look_records_a_message_in_doubt_as_maybe_sent(store):
    dead = Claims(store, "host:dead", lease=0)  # its lease has run out at once
    claim = dead.take("connections:r1", "introduction", "pair:1")
    dead.renew(claim, attempt=True)
    assert Claims(store, "host:alive").take("connections:r1", "introduction", "pair:1") is None
    assert row(store, claim)[:2] == ("skipped", OUTCOME_UNKNOWN)


def test_the_lookup_keeps_nothing_of_anyone_elses_messages(tmp_path, slack, caplog):
    store = migrated(tmp_path / "heart.db")
    slack.say("C0PEER", "MARKERWORD a member's words in the channel", user="UOTHER")
    slack.say("UEVE", "MARKERWORD a member's words in their DM with the bot", user="UEVE")
    post = sender(store, slack, "test:1")
    slack.fail_next("chat.postMessage", Failure(accepted=True, drop=True), Failure(accepted=True, drop=True))
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="slack_sdk")  # as the bot keeps Slack's libraries (bot.config)
    post.post(post.claims.take("s:1", "reminder-15", "channel"), "C0PEER", CONTENT, SOON, direct=False)
    post.post(post.claims.take("s:1", "reminder-15", "UEVE"), "UEVE", CONTENT, SOON, direct=True)
    store.erase_history()
    assert len(slack.calls_to("conversations.history")) == 2
    assert "MARKERWORD" not in caplog.text
    assert b"MARKERWORD" not in (tmp_path / "heart.db").read_bytes()
