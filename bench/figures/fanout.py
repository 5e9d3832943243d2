"""Figure 4, the reminder fan-out: every subscriber gets the DM once, as fast as Slack allows.

A session's reminder falls due a few seconds after heart-bot starts; its series has
``subscribers`` members asking for DM reminders. The local Slack allows ``dm_rate``
``chat.postMessage`` calls a second and answers 429 with ``Retry-After`` beyond, and
heart-bot is configured to pace its DMs at that rate (``REMINDER_DM_PER_SECOND``). The
floor is the least time Slack's limit allows: recipients / rate. Meanwhile /glossary is
offered at the usual open-loop rate, before the fan-out (its floor) and during it.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.context import Bench
from bench.figures.commands import GLOSSARY
from bench.load import LoadResult, write_requests
from bench.results import Bar, Row
from bot.offline.server import BotServer
from bot.runtime import MIGRATION_SETS
from bot.sessions import core as sessions
from bot.sessions.core import Series
from bot.sessions.recurrence import ONCE, Recurrence
from bot.store import Store

FIGURE = "4. Reminder fan-out"
LEAD_SECONDS = 12  # from start-up to the reminder falling due: room for the baseline latency run
REMINDER = "reminder-15"
TIMEZONE = "America/New_York"


def run(bench: Bench) -> list[Row]:
    plan = bench.plan
    floor = plan.subscribers / plan.dm_rate
    totals, during, before, failures = [], [], [], []
    for number in range(plan.runs):
        total, quiet, busy, problems = _fan_out(bench, f"run {number + 1}", plan.dm_rate)
        totals.append(total)
        if busy.p99_ms is None or quiet.p99_ms is None:
            problems = [*problems, f"no /glossary request of {'run ' + str(number + 1)} was answered"]
        else:
            during.append(busy.p99_ms)
            before.append(quiet.p99_ms)
        failures += problems
    bench.note(
        FIGURE,
        f"{plan.subscribers:,} subscribers; the local Slack allows {plan.dm_rate:g} chat.postMessage calls a "
        f"second (429 with Retry-After: 1 beyond) and heart-bot paces DMs at REMINDER_DM_PER_SECOND={plan.dm_rate:g}. "
        "Total time runs from the moment the reminder fell due to the last subscriber's DM accepted by Slack; "
        "each subscriber is checked to have exactly one.",
    )
    failure = "; ".join(dict.fromkeys(failures))
    # Once more with the rate set twice as high as Slack allows: 429s must cost time, never a message.
    overshoot, _, _, overshoot_problems = _fan_out(bench, "set too fast", plan.dm_rate * 2)
    return [
        Row(
            FIGURE,
            f"Fan-out to {plan.subscribers:,} DM subscribers, total time",
            "s",
            totals,
            [floor],
            f"{plan.subscribers:,} / {plan.dm_rate:g} per s",
            Bar("<=", 1.15, of="ratio", text="<= 1.15x floor"),
            failure=failure,
        ),
        Row(
            FIGURE,
            "/glossary p99 during the fan-out",
            "ms",
            during,
            before,
            "before the fan-out",
            Bar("<=", 50.0, text="<= 50 ms"),
        ),
        Row(
            FIGURE,
            f"Fan-out with REMINDER_DM_PER_SECOND={plan.dm_rate * 2:g}, twice what Slack allows (one run)",
            "s",
            [overshoot],
            [floor],
            f"{plan.subscribers:,} / {plan.dm_rate:g} per s",
            failure="; ".join(overshoot_problems),
        ),
    ]


def _fan_out(bench: Bench, name: str, pace: float) -> tuple[float, LoadResult, LoadResult, list[str]]:
    """One fan-out with DMs paced at ``pace`` a second: its total time, /glossary before and
    during it, and what went wrong (someone missed or reached twice)."""
    plan = bench.plan
    tag = name.replace(" ", "-")
    server = bench.server(f"fanout-{tag}", env={"REMINDER_DM_PER_SECOND": f"{pace:g}"})
    members = [f"USUB{n:05d}" for n in range(plan.subscribers)]
    due = _one_session_with_subscribers(server.database_path, members)
    bench.slack.clear()
    bench.slack.rate_limit("chat.postMessage", plan.dm_rate)
    try:
        server.start()
        quiet = _glossary_p99(bench, server, f"q-{tag}", min(5.0, (due - datetime.now(UTC)).total_seconds() - 2))
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
        busy = _glossary_p99(bench, server, f"b-{tag}", max(2.0, min(plan.latency_seconds, plan.subscribers / plan.dm_rate - 2)))
        timeout = plan.subscribers / plan.dm_rate * 3 + 30
        accepted = _accepted_dms(bench, len(members), timeout)
        rate_limited = sum(1 for call in bench.slack.calls_to("chat.postMessage") if "_failed" in call.args)
    finally:
        server.stop()
        bench.slack.clear()
    problems = _check(members, accepted)
    total = (max(call.at for call in accepted) - due.timestamp()) if accepted else float("nan")
    if accepted:
        bench.note(
            FIGURE,
            f"{name.capitalize()}: first DM {min(call.at for call in accepted) - due.timestamp():.2f} s after the "
            f"reminder fell due, last at {total:.2f} s; 429 answers from Slack: {rate_limited}.",
        )
    return total, quiet, busy, problems


def _one_session_with_subscribers(database: Path, members: list[str]) -> datetime:
    """A one-off session whose 15-minute reminder falls due ``LEAD_SECONDS`` from now, without a channel."""
    store = Store(database)
    store.migrate(MIGRATION_SETS)
    due = (datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)).replace(microsecond=0)
    start = due + timedelta(minutes=15)
    local = start.astimezone(ZoneInfo(TIMEZONE)).replace(tzinfo=None)
    series = Series(id="", title="Peer Support Hour", recurrence=Recurrence(ONCE, local, TIMEZONE), reminder_offsets=(15,))
    # Scheduled well before its reminder falls due, so the reminder is owed.
    saved = sessions.add_series(store, series, now=start - timedelta(days=30), created_by="bench")
    now = datetime.now(UTC)
    for member in members:
        sessions.set_subscription(store, saved.id, member, True, now=now)
    store.close()
    return due


def _glossary_p99(bench: Bench, server: BotServer, tag: str, seconds: float) -> LoadResult:
    count = int(bench.plan.rate * seconds) + 1
    path = write_requests(bench.workdir / f"fanout-{tag}.requests", GLOSSARY.bodies(bench, tag, count))
    return bench.load.open(server.url + "/slack/events", path, rate=bench.plan.rate, seconds=seconds)


def _accepted_dms(bench: Bench, expected: int, timeout: float) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        accepted = [call for call in bench.slack.calls_to("chat.postMessage") if "_failed" not in call.args]
        if len(accepted) >= expected:
            time.sleep(1)  # anything sent twice would arrive now
            break
        time.sleep(0.2)
    return [call for call in bench.slack.calls_to("chat.postMessage") if "_failed" not in call.args]


def _check(members: list[str], accepted: list) -> list[str]:
    reached = Counter(call.args.get("channel") for call in accepted)
    problems = []
    missing = [member for member in members if not reached[member]]
    doubled = [member for member, count in reached.items() if count > 1]
    strangers = [channel for channel in reached if channel not in set(members)]
    if missing:
        problems.append(f"{len(missing)} subscribers not reached")
    if doubled:
        problems.append(f"{len(doubled)} subscribers reached twice")
    if strangers:
        problems.append(f"{len(strangers)} messages to others")
    return problems
