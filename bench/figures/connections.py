"""Figure 6, a monthly connections round: pairing 5,000 members, then introducing every pair
as fast as Slack allows.

Pairing is timed in process, as the running bot plans a round: read the members who are in,
their exclusions and eleven earlier rounds of history, pair them, and write the groups in one
transaction. Its floor reads the same members and pairs them off in a shuffled order, writing
nothing. The introductions are sent by heart-bot started exactly as the Procfile starts it:
the round falls due a few seconds after start-up, the local Slack allows ``connection_rate``
calls a second of each of ``conversations.open`` and ``chat.postMessage`` (429 with
``Retry-After`` beyond), and heart-bot paces them at that rate (``CONNECTIONS_PER_MINUTE``).
The floor is the least time Slack's limit allows: pairs / rate. Every pair is checked to get
exactly one introduction, in its own group DM.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.context import Bench
from bench.results import Bar, Row
from bot.config import PROJECT_ROOT
from bot.connections import rounds
from bot.connections.core import ACTIVE
from bot.connections.pairing import Candidate, pair
from bot.connections.schedule import Schedule
from bot.profiles import Profile, put_many
from bot.runtime import MIGRATION_SETS, load_content
from bot.store import Store

FIGURE = "6. Monthly connections"
ZONE = "America/New_York"
SECTORS = (
    "school-staff",
    "school-clinician",
    "community-health-center",
    "behavioral-health-agency",
    "community-organization",
    "lived-experience",
    "other",
)
HISTORY_ROUNDS = 11
LEAD_SECONDS = 8  # from start-up to the round falling due


def run(bench: Bench) -> list[Row]:
    plan = bench.plan
    members = plan.connection_members
    content = load_content(PROJECT_ROOT / "content").connections
    planning, floor, pairing_only = [], [], []
    for number in range(plan.runs):
        store = _community(bench.workdir / f"connections-plan-{number}" / "heart.db", members, content)
        try:
            due = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
            floor.append(_seconds(lambda store=store: _shuffled_pairs(store)))
            candidates, earlier = _candidates(store), rounds.history(store)
            pairing_only.append(_seconds(lambda c=candidates, h=earlier: pair(c, seed="bench", history=h)))
            planning.append(
                _seconds(
                    lambda store=store, due=due: rounds.plan_round(
                        store, content, Schedule(timezone=ZONE), due=due, planned_by="bench", now=due
                    )
                )
            )
        finally:
            store.close()
    pairs = members // 2
    send_floor = pairs / plan.connection_rate
    totals, failures = [], []
    for number in range(plan.runs):
        total, problems = _introduce(bench, f"run-{number + 1}", members, content)
        totals.append(total)
        failures += problems
    bench.note(
        FIGURE,
        f"{members:,} members in seven sectors, a fifth with someone they never want to meet, after "
        f"{HISTORY_ROUNDS} earlier rounds. Planning is timed in process (read, pair, write the groups); its floor reads "
        "the same members and pairs them off in a shuffled order without writing. Introductions: the local Slack allows "
        f"{plan.connection_rate:g} conversations.open and {plan.connection_rate:g} chat.postMessage calls a second (429 "
        f"with Retry-After: 1 beyond) and heart-bot paces them at CONNECTIONS_PER_MINUTE={plan.connection_rate * 60:g}; "
        "total time runs from the moment the round fell due to the last introduction Slack accepted, and each pair is "
        "checked to have exactly one.",
    )
    return [
        Row(
            FIGURE,
            f"Plan a round of {members:,} members (read, pair, write)",
            "s",
            planning,
            floor,
            "read and pair off in order",
            Bar("<=", 2.0, text="<= 2 s"),
        ),
        Row(FIGURE, f"Pairing alone, {members:,} members", "s", pairing_only),
        Row(
            FIGURE,
            f"Introduce {pairs:,} pairs, total time",
            "s",
            totals,
            [send_floor],
            f"{pairs:,} / {plan.connection_rate:g} per s",
            Bar("<=", 1.15, of="ratio", text="<= 1.15x floor"),
            failure="; ".join(dict.fromkeys(failures)),
        ),
    ]


def _seconds(work) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def _community(path: Path, members: int, content, *, seed: int = 7) -> Store:
    """``members`` who joined, a fifth excluding someone, and :data:`HISTORY_ROUNDS` earlier rounds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(path)
    store.migrate(MIGRATION_SETS)
    rng = random.Random(seed)
    topics = [topic.id for topic in content.topics]
    ids = [f"UBENCH{n:05d}" for n in range(members)]
    now = time.time()
    with store.transaction() as db:
        rows = [
            {
                "user_id": user_id,
                "status": ACTIVE,
                "sector": rng.choice(SECTORS),
                "state": rng.choice(("MA", "CT", "RI", "VT", "NH", "ME")),
                "topics": json.dumps(rng.sample(topics, rng.randint(0, 3))),
                "skip_next": 0,
                "tz": rng.choice(("America/New_York", "America/Chicago", "America/Los_Angeles")),
                "joined_at": now,
                "updated_at": now,
            }
            for user_id in ids
        ]
        # The sector and state are the member's profile; the rest, their connections membership.
        put_many(db, [(row["user_id"], Profile(row.pop("sector"), row.pop("state"))) for row in rows], now=datetime.now(UTC))
        db["connection_members"].insert_all(rows, batch_size=1000)
        db["connection_blocks"].insert_all(
            ({"user_id": user_id, "blocked_id": rng.choice(ids), "created_at": now} for user_id in rng.sample(ids, members // 5)),
            batch_size=1000,
            ignore=True,
        )
    schedule = Schedule(timezone=ZONE)
    start = datetime.now(UTC) - timedelta(days=31 * (HISTORY_ROUNDS + 1))
    for _ in range(HISTORY_ROUNDS):
        start = schedule.next_after(start)
        rounds.plan_round(store, content, schedule, due=start, planned_by="bench", now=start)
    return store


def _candidates(store: Store) -> list[Candidate]:
    return [
        Candidate(user_id, sector, frozenset())
        for user_id, sector in store.db.execute(
            "select m.user_id, p.sector from connection_members m join member_profiles p on p.user_id = m.user_id "
            "where m.status = 'active'"
        )
    ]


def _shuffled_pairs(store: Store) -> list[tuple[str, str]]:
    """The floor: the same members read, shuffled and paired off in order."""
    ids = [user_id for (user_id,) in store.db.execute("select user_id from connection_members where status = 'active'")]
    random.Random(1).shuffle(ids)
    return list(zip(ids[::2], ids[1::2], strict=False))


def _introduce(bench: Bench, name: str, members: int, content) -> tuple[float, list[str]]:
    """One round's introductions by the real bot against a rate-limited local Slack: total time and problems."""
    plan = bench.plan
    server = bench.server(
        f"connections-{name}",
        env={"CONNECTIONS_PER_MINUTE": f"{plan.connection_rate * 60:g}", "HEART_RECONCILE_SECONDS": "1", "HEART_TIMEZONE": ZONE},
    )
    store = Store(server.database_path)
    store.migrate(MIGRATION_SETS)
    rng = random.Random(3)
    now = time.time()
    with store.transaction() as db:
        put_many(db, ((f"UINTRO{n:05d}", Profile(rng.choice(SECTORS))) for n in range(members)), now=datetime.now(UTC))
        db["connection_members"].insert_all(
            (
                {
                    "user_id": f"UINTRO{n:05d}",
                    "status": ACTIVE,
                    "topics": "[]",
                    "skip_next": 0,
                    "tz": "America/New_York",
                    "joined_at": now,
                    "updated_at": now,
                }
                for n in range(members)
            ),
            batch_size=1000,
        )
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=LEAD_SECONDS)
    planned, _ = rounds.plan_round(store, content, Schedule(timezone=ZONE), due=due, planned_by="bench", now=datetime.now(UTC))
    groups = rounds.groups_of(store, planned.id)
    store.close()
    bench.slack.clear()
    bench.slack.rate_limit("conversations.open", plan.connection_rate)
    bench.slack.rate_limit("chat.postMessage", plan.connection_rate)
    try:
        server.start()
        accepted = _accepted(bench, len(groups), timeout=len(groups) / plan.connection_rate * 3 + 60)
        limited = sum(1 for call in bench.slack.calls if "_failed" in call.args)
    finally:
        server.stop()
        bench.slack.clear()
    reached = Counter(call.args["channel"] for call in accepted)
    problems = []
    if len(reached) != len(groups):
        problems.append(f"{len(groups) - len(reached)} pairs not introduced")
    if any(count > 1 for count in reached.values()):
        problems.append(f"{sum(1 for count in reached.values() if count > 1)} pairs introduced twice")
    total = (max(call.at for call in accepted) - due.timestamp()) if accepted else float("nan")
    if accepted:
        bench.note(
            FIGURE,
            f"{name.capitalize()}: first introduction {min(call.at for call in accepted) - due.timestamp():.2f} s after the "
            f"round fell due, last at {total:.2f} s; 429 answers from Slack: {limited}.",
        )
    return total, problems


def _accepted(bench: Bench, expected: int, timeout: float) -> list:
    """The introductions Slack accepted, once ``expected`` have arrived (and a moment for any double)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(_posts(bench)) >= expected:
            time.sleep(1)
            break
        time.sleep(0.2)
    return _posts(bench)


def _posts(bench: Bench) -> list:
    return [call for call in bench.slack.calls_to("chat.postMessage") if "_failed" not in call.args]
