"""Rounds: when one is due, who is in it, and its groups, decided once and kept.

A round is planned in one step: the members who are active and not skipping are read, paired
(:mod:`bot.connections.pairing`) with the round's id as the seed, and the groups written in one
transaction together with the round itself. A second process, a restart or a retried job
that plans the same round finds it planned and changes nothing, so every member is in one
group of a round at most, whoever got there first. What is sent afterwards is the claims
ledger's to keep once (:mod:`bot.connections.sending`).

A round runs until the next scheduled start. A scheduled start that falls less than
:data:`MIN_GAP` after a round a coordinator started by hand is skipped (recorded, with why),
and so is one that falls while connections are paused.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlite_utils

from bot.connections.content import ConnectionsContent, Starter
from bot.connections.core import ACTIVE, ConnectionsError, is_paused
from bot.connections.pairing import Candidate, History, Pairing, pair
from bot.connections.schedule import Schedule, follow_up_at
from bot.store import Store

PLANNED, SKIPPED = "planned", "skipped"
MIN_GAP = timedelta(days=14)  # a scheduled round this soon after another one is skipped
CATCH_UP = timedelta(days=7)  # a scheduled round missed while the bot was down starts this late at most
SCHEDULE = "schedule"
NOBODY_TO_PAIR = "nobody had joined monthly connections, or too few to make a pair"


@dataclass(frozen=True)
class Round:
    """A round as planned (or recorded as skipped)."""

    id: str
    status: str
    due_at: datetime
    follow_up_at: datetime | None
    ends_at: datetime | None
    planned_by: str | None
    detail: str | None = None


@dataclass(frozen=True)
class Member:
    """A member of a group: their id (None once they deleted their data) and sector."""

    user_id: str | None
    sector: str


@dataclass(frozen=True)
class Group:
    """A pair (or trio) of a round, with what its introduction says."""

    id: int
    round_id: str
    position: int
    members: tuple[Member, ...]
    cross_sector: bool
    shared_topics: tuple[str, ...]
    starter: Starter
    channel: str | None = None
    introduced_at: datetime | None = None

    @property
    def user_ids(self) -> tuple[str, ...]:
        """The members still known (everyone unless one deleted their data)."""
        return tuple(m.user_id for m in self.members if m.user_id)

    @property
    def key(self) -> str:
        """The group's recipient key in the claims ledger."""
        return f"pair:{self.id}"


@dataclass(frozen=True)
class Proposal:
    """The groups a round would have, decided but not written (a preview, or a plan about to be written)."""

    round_id: str
    candidates: tuple[Candidate, ...]
    skipping: tuple[str, ...]  # active members who asked to skip this round
    pairing: Pairing
    details: tuple[tuple[bool, tuple[str, ...], Starter], ...]  # per group: cross-sector, shared topics, starter


def round_id(due: datetime, timezone: str) -> str:
    """A round's id: its start in the community's zone, ``2026-12-07T10:00``."""
    return due.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


# ----------------------------------------------------------------------------- deciding


def propose(store: Store, content: ConnectionsContent, rid: str) -> Proposal:
    """The groups a round with id ``rid`` would have if it were planned now."""
    db = store.db
    candidates = tuple(
        Candidate(user_id, sector, frozenset(json.loads(topics or "[]")))
        for user_id, sector, topics in db.execute(
            "select m.user_id, coalesce(p.sector, ''), m.topics from connection_members m "
            "left join member_profiles p on p.user_id = m.user_id where m.status = ? and m.skip_next = 0 order by m.user_id",
            [ACTIVE],
        )
    )
    skipping = tuple(
        user_id
        for (user_id,) in db.execute(
            "select user_id from connection_members where status = ? and skip_next = 1 order by user_id", [ACTIVE]
        )
    )
    blocked: dict[str, set[str]] = defaultdict(set)
    for user_id, other in db.execute("select user_id, blocked_id from connection_blocks"):
        blocked[user_id].add(other)
    pairing = pair(candidates, seed=rid, blocked=blocked, history=history(store))
    by_id = {c.user_id: c for c in candidates}
    details = []
    for position, group in enumerate(pairing.groups):
        members = [by_id[user_id] for user_id in group]
        shared = _shared_topics(members)
        details.append((len({m.sector for m in members}) > 1, shared, _starter(content, shared, f"{rid}:{position}")))
    return Proposal(rid, candidates, skipping, pairing, tuple(details))


def history(store: Store) -> History:
    """Whom each member was introduced to in planned rounds, and who was left out or a third in the last one."""
    met: dict[str, set[str]] = defaultdict(set)
    groups: dict[int, list[str]] = defaultdict(list)
    for pair_id, user_id in store.db.execute(
        "select pair_id, user_id from connection_pair_members where user_id is not null order by pair_id, id"
    ):
        groups[pair_id].append(user_id)
    for members in groups.values():
        for user_id in members:
            met[user_id].update(m for m in members if m != user_id)
    last = store.db.execute(
        "select id from connection_rounds where status = ? order by due_at desc limit 1", [PLANNED]
    ).fetchone()
    left_out: frozenset[str] = frozenset()
    trio: frozenset[str] = frozenset()
    if last:
        left_out = frozenset(u for (u,) in store.db.execute("select user_id from connection_left_out where round_id = ?", last))
        # The third member of a trio is the last one written.
        trio = frozenset(
            u
            for (u,) in store.db.execute(
                "select m.user_id from connection_pair_members m join connection_pairs p on p.id = m.pair_id "
                "where p.round_id = ? and m.id = (select max(id) from connection_pair_members where pair_id = p.id) "
                "and (select count(*) from connection_pair_members where pair_id = p.id) = 3 and m.user_id is not null",
                last,
            )
        )
    return History({user_id: frozenset(others) for user_id, others in met.items()}, left_out, trio)


def _shared_topics(members: list[Candidate]) -> tuple[str, ...]:
    """Topics at least two members of the group picked, in a stable order."""
    counts: dict[str, int] = defaultdict(int)
    for member in members:
        for topic in member.topics:
            counts[topic] += 1
    return tuple(sorted(topic for topic, count in counts.items() if count >= 2))


def _starter(content: ConnectionsContent, shared: tuple[str, ...], seed: str) -> Starter:
    """A conversation starter for a group: from a topic they share, else from the default sheet."""
    rng = random.Random(seed)
    pools = [content.starters[topic] for topic in shared if content.starters.get(topic)]
    pool = rng.choice(pools) if pools else content.default_starters
    if not pool:
        return Starter("", "")
    return rng.choice(pool)


# ----------------------------------------------------------------------------- planning


def plan_round(
    store: Store,
    content: ConnectionsContent,
    schedule: Schedule,
    *,
    due: datetime,
    planned_by: str,
    now: datetime,
    proposal: Proposal | None = None,
) -> tuple[Round, bool]:
    """Plan the round starting at ``due``: pair its members (or take the ``proposal`` already
    made for it) and write its groups, once.

    :returns: the round, and False when it had already been planned (or skipped) before.
    """
    rid = round_id(due, schedule.timezone)
    existing = get_round(store, rid)
    if existing is not None:
        return existing, False
    proposal = proposal or propose(store, content, rid)
    ends = schedule.next_after(due)
    if ends - due < MIN_GAP:  # that start will be skipped: this round runs until the one after
        ends = schedule.next_after(ends)
    follow_up = follow_up_at(due, ends)
    with store.transaction() as db:
        if db.execute("select 1 from connection_rounds where id = ?", [rid]).fetchone():
            return get_round(store, rid), False  # type: ignore[return-value]
        db["connection_rounds"].insert(
            {
                "id": rid,
                "status": PLANNED,
                "due_at": due.timestamp(),
                "follow_up_at": follow_up.timestamp(),
                "ends_at": ends.timestamp(),
                "seed": rid,
                "planned_at": now.timestamp(),
                "planned_by": planned_by,
            }
        )
        _write_groups(db, proposal)
        # The skips this round honoured are used up (one asked for since it was decided waits for the next).
        db.conn.executemany("update connection_members set skip_next = 0 where user_id = ?", [(u,) for u in proposal.skipping])
    return get_round(store, rid), True  # type: ignore[return-value]


def plan_scheduled(store: Store, content: ConnectionsContent, schedule: Schedule, *, due: datetime, now: datetime) -> Round:
    """Plan the scheduled round starting at ``due``, or record it as skipped when it would have
    no group: a planned round of nobody would hold off a coordinator's "start a round now" for
    two weeks, while its members (none) were "still meeting"."""
    proposal = propose(store, content, round_id(due, schedule.timezone))
    if not proposal.pairing.groups:
        return skip_round(store, schedule, due, NOBODY_TO_PAIR, now=now)
    return plan_round(store, content, schedule, due=due, planned_by=SCHEDULE, now=now, proposal=proposal)[0]


def start_now(store: Store, content: ConnectionsContent, schedule: Schedule, *, by: str, now: datetime) -> Round:
    """A coordinator's "start a round now": plan a round that starts this minute.

    :raises ConnectionsError: while connections are paused, when a round started less than
        :data:`MIN_GAP` ago (its members are still meeting), or when it would have no group (nobody
        has joined yet): a round of nobody would only put the next one off.
    """
    if is_paused(store):
        raise ConnectionsError("Connections are paused. Resume them first, then start a round.")
    last = latest_round(store)
    if last is not None and now - last.due_at < MIN_GAP:
        raise ConnectionsError(
            f"A round started {last.id.replace('T', ' at ')}, less than two weeks ago, and its members are still "
            "meeting. Start the next one two weeks after it at the earliest."
        )
    due = now.replace(second=0, microsecond=0)
    proposal = propose(store, content, round_id(due, schedule.timezone))
    if not proposal.pairing.groups:
        raise ConnectionsError(
            "No round was started: nobody has joined monthly connections yet (or too few members are in to make "
            "a pair). Nothing was changed, and the next round starts on schedule."
        )
    planned, _ = plan_round(store, content, schedule, due=due, planned_by=by, now=now, proposal=proposal)
    return planned


def _write_groups(db: sqlite_utils.Database, proposal: Proposal) -> None:
    """Write a proposal's groups, their members and who was left out (in the open transaction ``db``)."""
    by_id = {c.user_id: c for c in proposal.candidates}
    db["connection_pairs"].insert_all(
        {
            "round_id": proposal.round_id,
            "position": position,
            "cross_sector": int(cross),
            "shared_topics": json.dumps(list(shared)),
            "starter_sheet": starter.sheet,
            "starter_tip": starter.tip,
        }
        for position, (cross, shared, starter) in enumerate(proposal.details)
    )
    pair_ids = dict(db.execute("select position, id from connection_pairs where round_id = ?", [proposal.round_id]))
    db["connection_pair_members"].insert_all(
        {"pair_id": pair_ids[position], "user_id": user_id, "sector": by_id[user_id].sector}
        for position, group in enumerate(proposal.pairing.groups)
        for user_id in group
    )
    db["connection_left_out"].insert_all([{"round_id": proposal.round_id, "user_id": u} for u in proposal.pairing.left_out])


def skip_round(store: Store, schedule: Schedule, due: datetime, detail: str, *, now: datetime) -> Round:
    """Record a scheduled start as skipped (connections paused, a round started by hand just before)."""
    rid = round_id(due, schedule.timezone)
    with store.transaction() as db:
        db.execute(
            "insert into connection_rounds (id, status, due_at, planned_at, planned_by, detail) values (?, ?, ?, ?, ?, ?) "
            "on conflict (id) do nothing",
            [rid, SKIPPED, due.timestamp(), now.timestamp(), SCHEDULE, detail],
        )
    return get_round(store, rid)  # type: ignore[return-value]


def next_start(store: Store, schedule: Schedule, now: datetime) -> datetime | None:
    """When the next round will start on schedule (a start too soon after the last round is
    skipped), or None while connections are paused."""
    if is_paused(store):
        return None
    start = schedule.first_at_or_after(now)
    last = latest_round(store)
    while last is not None and start - last.due_at < MIN_GAP:
        start = schedule.next_after(start)
    return start


def scheduled_start_due(store: Store, schedule: Schedule, now: datetime) -> tuple[datetime, str | None] | None:
    """The scheduled start to act on now, if any, with why it must be skipped (None: plan it).

    A start counts from the moment it falls due until :data:`CATCH_UP` later (the bot may have
    been down). It is skipped when a round started less than :data:`MIN_GAP` before it.
    """
    due = schedule.latest_by(now, CATCH_UP)
    if due is None or get_round(store, round_id(due, schedule.timezone)) is not None:
        return None
    earlier = store.db.execute(
        "select id from connection_rounds where status = ? and due_at > ? and due_at <= ? order by due_at desc limit 1",
        [PLANNED, (due - MIN_GAP).timestamp(), now.timestamp()],
    ).fetchone()
    if earlier:
        return due, f"a round had started at {earlier[0]}"
    return due, None


# ----------------------------------------------------------------------------- reading


def get_round(store: Store, rid: str) -> Round | None:
    """A round by id."""
    row = store.db.execute(
        "select id, status, due_at, follow_up_at, ends_at, planned_by, detail from connection_rounds where id = ?", [rid]
    ).fetchone()
    return _round(row) if row else None


def rounds_between(store: Store, start: datetime, end: datetime) -> list[Round]:
    """Rounds (planned or skipped) due from ``start`` to before ``end``, oldest first."""
    rows = store.db.execute(
        "select id, status, due_at, follow_up_at, ends_at, planned_by, detail from connection_rounds "
        "where due_at >= ? and due_at < ? order by due_at",
        [start.timestamp(), end.timestamp()],
    )
    return [_round(row) for row in rows]


def rounds_owing(store: Store, now: datetime, introductions_useful: timedelta) -> list[Round]:
    """Planned rounds that may still owe messages: introductions (until ``introductions_useful``
    after the start) or follow-ups (until the round ends)."""
    rows = store.db.execute(
        "select id, status, due_at, follow_up_at, ends_at, planned_by, detail from connection_rounds "
        "where status = ? and (due_at > ? or ends_at > ?) order by due_at",
        [PLANNED, (now - introductions_useful).timestamp(), now.timestamp()],
    )
    return [_round(row) for row in rows]


def latest_round(store: Store) -> Round | None:
    """The round planned most recently by its start."""
    row = store.db.execute(
        "select id, status, due_at, follow_up_at, ends_at, planned_by, detail from connection_rounds "
        "where status = ? order by due_at desc limit 1",
        [PLANNED],
    ).fetchone()
    return _round(row) if row else None


def _round(row: tuple) -> Round:
    rid, status, due_at, follow_up, ends_at, planned_by, detail = row
    return Round(
        rid, status, _utc(due_at), _utc(follow_up) if follow_up else None, _utc(ends_at) if ends_at else None, planned_by, detail
    )


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def groups_of(store: Store, rid: str) -> list[Group]:
    """A round's groups, in the order they were made."""
    rows = store.db.execute(
        "select id, position, cross_sector, shared_topics, starter_sheet, starter_tip, channel, introduced_at "
        "from connection_pairs where round_id = ? order by position",
        [rid],
    ).fetchall()
    members: dict[int, list[Member]] = defaultdict(list)
    for pair_id, user_id, sector in store.db.execute(
        "select m.pair_id, m.user_id, m.sector from connection_pair_members m join connection_pairs p on p.id = m.pair_id "
        "where p.round_id = ? order by m.id",
        [rid],
    ):
        members[pair_id].append(Member(user_id, sector))
    return [
        Group(
            id=pair_id,
            round_id=rid,
            position=position,
            members=tuple(members[pair_id]),
            cross_sector=bool(cross),
            shared_topics=tuple(json.loads(shared or "[]")),
            starter=Starter(sheet or "", tip or ""),
            channel=channel,
            introduced_at=_utc(introduced) if introduced else None,
        )
        for pair_id, position, cross, shared, sheet, tip, channel, introduced in rows
    ]


def get_group(store: Store, pair_id: int) -> Group | None:
    """One group by id."""
    row = store.db.execute("select round_id from connection_pairs where id = ?", [pair_id]).fetchone()
    if row is None:
        return None
    return next((group for group in groups_of(store, row[0]) if group.id == pair_id), None)


def record_introduced(store: Store, pair_id: int, channel: str, at: datetime, suggested: datetime | None) -> None:
    """Remember that a pair was introduced, in which group DM (its follow-up goes there too), and
    the meeting time it was offered."""
    with store.transaction() as db:
        db.execute(
            "update connection_pairs set channel = ?, introduced_at = ?, suggested_at = ? where id = ?",
            [channel, at.timestamp(), suggested.timestamp() if suggested else None, pair_id],
        )


def active_members(store: Store, user_ids: tuple[str, ...]) -> set[str]:
    """Which of ``user_ids`` are still active members (not paused, not left)."""
    if not user_ids:
        return set()
    marks = ",".join("?" * len(user_ids))
    rows = store.db.execute(
        f"select user_id from connection_members where status = ? and user_id in ({marks})", [ACTIVE, *user_ids]
    )
    return {user_id for (user_id,) in rows}


def time_zones(store: Store, user_ids: tuple[str, ...]) -> dict[str, str | None]:
    """The Slack time zones remembered for ``user_ids`` (None when not known yet)."""
    found: dict[str, str | None] = dict.fromkeys(user_ids)
    if user_ids:
        marks = ",".join("?" * len(user_ids))
        found.update(store.db.execute(f"select user_id, tz from connection_members where user_id in ({marks})", list(user_ids)))
    return found
