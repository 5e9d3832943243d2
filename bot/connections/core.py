"""Monthly connections' tables, and every change members and coordinators make to them.

- ``connection_members``: who opted in, their topics and Slack time zone, whether they are
  active, paused or have left, and whether they skip the next round. Their sector and state are
  the member's one profile (``member_profiles``, :mod:`bot.profiles`), which reach figures count too.
- ``connection_blocks``: whom a member asked never to be paired with.
- ``connection_settings``: the coordinators' switches (connections paused, the schedule).
- ``connection_rounds``, ``connection_pairs``, ``connection_pair_members``,
  ``connection_left_out``: each round's groups, as planned once (:mod:`bot.connections.rounds`).
- ``connection_answers``: each member's answer to "Did you two meet?".

Nobody is ever in a round without having joined. Deleting a member's data removes their
profile and the list of members they excluded, and takes their id off the rounds they were
in and the answers they gave, so coordinators' counts stay true and point to no one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlite_utils
from sqlite_utils import Migrations

from bot.connections.content import ConnectionsContent
from bot.connections.schedule import DEFAULT_DAY, DEFAULT_TIME, Schedule
from bot.errors import HeartError
from bot.profiles import STATES
from bot.profiles import Profile as MemberProfile
from bot.profiles import put as put_profile
from bot.store import Store

migrations = Migrations("heart.connections")

ACTIVE, PAUSED, LEFT = "active", "paused", "left"
YES, NOT_YET, NO = "yes", "not_yet", "no"
ANSWERS = (YES, NOT_YET, NO)
MAX_TOPICS = 5
MAX_BLOCKED = 25
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")



@migrations()
def create_connections(db: sqlite_utils.Database) -> None:
    db["connection_members"].create(
        {
            "user_id": str,
            "status": str,  # active | paused | left
            "sector": str,
            "state": str,
            "topics": str,  # JSON list of topic ids
            "skip_next": int,  # 1: leave me out of the next round (cleared when it is planned)
            "tz": str,  # the member's Slack time zone, for suggested times
            "joined_at": float,
            "updated_at": float,
        },
        pk="user_id",
        not_null={"status", "sector", "skip_next"},
        defaults={"skip_next": 0, "topics": "[]"},
    )
    db["connection_members"].create_index(["status"])
    db["connection_blocks"].create({"user_id": str, "blocked_id": str, "created_at": float}, pk=("user_id", "blocked_id"))
    db["connection_settings"].create({"key": str, "value": str}, pk="key")
    db["connection_rounds"].create(
        {
            "id": str,  # the local start, YYYY-MM-DDTHH:MM in HEART_TIMEZONE
            "status": str,  # planned | skipped
            "due_at": float,
            "follow_up_at": float,
            "ends_at": float,
            "seed": str,
            "planned_at": float,
            "planned_by": str,  # "schedule", a coordinator's id, or "cli"
            "detail": str,  # why a round was skipped
        },
        pk="id",
        not_null={"status", "due_at"},
    )
    db["connection_rounds"].create_index(["due_at"])
    db["connection_pairs"].create(
        {
            "id": int,
            "round_id": str,
            "position": int,
            "cross_sector": int,
            "shared_topics": str,  # JSON list of topic ids
            "starter_sheet": str,
            "starter_tip": str,
            "channel": str,  # the group DM, once opened
            "introduced_at": float,  # when its introduction was posted
            "suggested_at": float,  # the meeting time it suggested
        },
        pk="id",
        foreign_keys=[("round_id", "connection_rounds", "id")],
        not_null={"round_id", "position", "cross_sector"},
    )
    db["connection_pairs"].create_index(["round_id", "position"], unique=True)
    db["connection_pair_members"].create(
        {"id": int, "pair_id": int, "user_id": str, "sector": str},
        pk="id",
        foreign_keys=[("pair_id", "connection_pairs", "id")],
        not_null={"pair_id"},
    )
    db["connection_pair_members"].create_index(["pair_id"])
    db["connection_pair_members"].create_index(["user_id", "pair_id"])
    db["connection_left_out"].create({"round_id": str, "user_id": str}, pk=("round_id", "user_id"))
    db["connection_answers"].create(
        {"id": int, "pair_id": int, "user_id": str, "answer": str, "at": float},
        pk="id",
        foreign_keys=[("pair_id", "connection_pairs", "id")],
        not_null={"pair_id", "answer"},
    )
    db["connection_answers"].create_index(["pair_id", "user_id"], unique=True)


class ConnectionsError(HeartError):
    """Something a member or coordinator asked that can't be done; the message says why."""


class InvalidProfile(ConnectionsError):
    """A profile form with problems, by the form's block id."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(" ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class Profile:
    """A member who joined connections, as they set it up."""

    user_id: str
    status: str
    sector: str
    state: str | None
    topics: tuple[str, ...]
    skip_next: bool
    tz: str | None
    blocked: tuple[str, ...]
    joined_at: float

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


@dataclass(frozen=True)
class ProfileForm:
    """What a member chose on the profile form, unchecked."""

    sector: str | None = None
    state: str | None = None
    topics: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()


def check_profile(form: ProfileForm, content: ConnectionsContent, user_id: str) -> ProfileForm:
    """The form, checked against the content's choices.

    :raises InvalidProfile: with a kind message for each field that is wrong.
    """
    problems: dict[str, str] = {}
    if form.sector not in {choice.id for choice in content.sectors}:
        problems["sector"] = "Please choose the sector you work in (or Other)."
    if form.state is not None and form.state not in STATES:
        problems["state"] = "Please choose a state from the list, or leave it empty."
    known = {choice.id for choice in content.topics}
    if any(topic not in known for topic in form.topics):
        problems["topics"] = "Please choose topics from the list."
    elif len(set(form.topics)) > MAX_TOPICS:
        problems["topics"] = f"Please choose up to {MAX_TOPICS} topics, the ones you most want to talk about."
    blocked = tuple(dict.fromkeys(b for b in form.blocked if b != user_id))
    if any(not _USER_ID.match(b) for b in blocked) or len(blocked) > MAX_BLOCKED:
        problems["blocked"] = f"Please choose up to {MAX_BLOCKED} members from the list."
    if problems:
        raise InvalidProfile(problems)
    return ProfileForm(form.sector, form.state, tuple(dict.fromkeys(form.topics)), blocked)


# ----------------------------------------------------------------------------- profiles


def get_profile(store: Store, user_id: str) -> Profile | None:
    """The member's profile, or None if they never joined (or deleted their data)."""
    db = store.db
    row = db.execute(
        "select m.status, coalesce(p.sector, ''), p.state, m.topics, m.skip_next, m.tz, m.joined_at "
        "from connection_members m left join member_profiles p on p.user_id = m.user_id where m.user_id = ?",
        [user_id],
    ).fetchone()
    if row is None:
        return None
    status, sector, state, topics, skip_next, tz, joined_at = row
    blocked = [b for (b,) in db.execute("select blocked_id from connection_blocks where user_id = ? order by 1", [user_id])]
    return Profile(
        user_id, status, sector, state, tuple(json.loads(topics or "[]")), bool(skip_next), tz, tuple(blocked), joined_at
    )


def save_profile(store: Store, user_id: str, form: ProfileForm, *, now: datetime) -> tuple[Profile, bool]:
    """Join connections with ``form`` (checked), or update the profile; joining again after
    pausing or leaving makes the member active.

    :returns: the profile and whether the member has just joined (or rejoined).
    """
    at = now.timestamp()
    with store.transaction() as db:
        before = db.execute("select status from connection_members where user_id = ?", [user_id]).fetchone()
        db.execute(
            "insert into connection_members (user_id, status, topics, skip_next, joined_at, updated_at) "
            "values (?, 'active', ?, 0, ?, ?) on conflict (user_id) do update set status = 'active', "
            "topics = excluded.topics, updated_at = excluded.updated_at",
            [user_id, json.dumps(list(form.topics)), at, at],
        )
        put_profile(db, user_id, MemberProfile(form.sector, form.state), now=now)
        db.execute("delete from connection_blocks where user_id = ?", [user_id])
        db.conn.executemany(
            "insert into connection_blocks (user_id, blocked_id, created_at) values (?, ?, ?)",
            [(user_id, blocked, at) for blocked in form.blocked],
        )
    joined = before is None or before[0] != ACTIVE
    return _must(store, user_id), joined


def set_status(store: Store, user_id: str, status: str, *, now: datetime) -> Profile:
    """Pause, resume or leave connections.

    :raises ConnectionsError: if the member never joined.
    """
    if status not in (ACTIVE, PAUSED, LEFT):
        raise ValueError(status)
    _change(store, user_id, "status = ?", [status], now)
    return _must(store, user_id)


def set_skip_next(store: Store, user_id: str, skip: bool, *, now: datetime) -> Profile:
    """Leave the member out of the next round (or take that back).

    :raises ConnectionsError: if the member never joined.
    """
    _change(store, user_id, "skip_next = ?", [int(skip)], now)
    return _must(store, user_id)


def set_timezone(store: Store, user_id: str, tz: str) -> None:
    """Remember the member's Slack time zone (for suggested meeting times)."""
    with store.transaction() as db:
        db.execute("update connection_members set tz = ? where user_id = ?", [tz, user_id])


def _change(store: Store, user_id: str, assignment: str, values: list[Any], now: datetime) -> None:
    with store.transaction() as db:
        changed = db.execute(
            f"update connection_members set {assignment}, updated_at = ? where user_id = ?", [*values, now.timestamp(), user_id]
        ).rowcount
    if not changed:
        raise ConnectionsError("You haven't joined monthly connections yet. Type `/connect` to join.")


def _must(store: Store, user_id: str) -> Profile:
    profile = get_profile(store, user_id)
    if profile is None:  # deleted in the moment between the write and the read
        raise ConnectionsError("You haven't joined monthly connections yet. Type `/connect` to join.")
    return profile


@dataclass(frozen=True)
class Membership:
    """How many members have joined, by status, and how many skip the next round."""

    active: int = 0
    paused: int = 0
    left: int = 0
    skipping: int = 0


def membership(store: Store) -> Membership:
    """Counts of members by status (for coordinators)."""
    rows = store.db.execute(
        "select status, count(*), coalesce(sum(skip_next), 0) from connection_members group by status"
    ).fetchall()
    counts = {status: (count, skipping) for status, count, skipping in rows}
    return Membership(
        active=counts.get(ACTIVE, (0, 0))[0],
        paused=counts.get(PAUSED, (0, 0))[0],
        left=counts.get(LEFT, (0, 0))[0],
        skipping=counts.get(ACTIVE, (0, 0))[1],
    )


# ----------------------------------------------------------------------------- coordinators' switches


def is_paused(store: Store) -> bool:
    """True when coordinators paused connections: no round starts, nothing is sent."""
    return _setting(store, "paused") == "1"


def set_paused(store: Store, paused: bool) -> None:
    """Pause connections for everyone, or resume them."""
    _set_setting(store, "paused", "1" if paused else "0")


def get_schedule(store: Store, timezone: str) -> Schedule:
    """The schedule coordinators set (by default the first Monday of each month at 10:00), in ``timezone``."""
    return Schedule(_setting(store, "day") or DEFAULT_DAY, _setting(store, "time") or DEFAULT_TIME, timezone)


def set_schedule(store: Store, schedule: Schedule) -> None:
    """Store a checked schedule (see :func:`bot.connections.schedule.check_schedule`)."""
    with store.transaction() as db:
        db["connection_settings"].upsert_all(
            [{"key": "day", "value": schedule.day}, {"key": "time", "value": schedule.time}], pk="key"
        )


def _setting(store: Store, key: str) -> str | None:
    row = store.db.execute("select value from connection_settings where key = ?", [key]).fetchone()
    return row[0] if row else None


def _set_setting(store: Store, key: str, value: str) -> None:
    with store.transaction() as db:
        db["connection_settings"].upsert({"key": key, "value": value}, pk="key")


# ----------------------------------------------------------------------------- answers and history


def record_answer(store: Store, pair_id: int, user_id: str, answer: str, *, now: datetime) -> None:
    """Record (or change) a member's answer to "Did you two meet?".

    :raises ConnectionsError: if the member was not in that pair (or it is gone).
    """
    if answer not in ANSWERS:
        raise ConnectionsError("That answer isn't one heart-bot knows.")
    with store.transaction() as db:
        member = db.execute(
            "select 1 from connection_pair_members where pair_id = ? and user_id = ?", [pair_id, user_id]
        ).fetchone()
        if member is None:
            raise ConnectionsError("Only the members introduced in this conversation can answer for it.")
        db.execute(
            "insert into connection_answers (pair_id, user_id, answer, at) values (?, ?, ?, ?) "
            "on conflict (pair_id, user_id) do update set answer = excluded.answer, at = excluded.at",
            [pair_id, user_id, answer, now.timestamp()],
        )


@dataclass(frozen=True)
class PastConnection:
    """One round a member took part in: whom they were introduced to, and what they answered."""

    round_id: str
    due_at: datetime
    partners: tuple[tuple[str | None, str], ...]  # (member id, or None once they deleted their data; sector)
    answer: str | None


def past_connections(store: Store, user_id: str) -> list[PastConnection]:
    """The member's introductions, newest first."""
    rows = store.db.execute(
        "select p.id, r.id, r.due_at, a.answer from connection_pair_members m "
        "join connection_pairs p on p.id = m.pair_id join connection_rounds r on r.id = p.round_id "
        "left join connection_answers a on a.pair_id = p.id and a.user_id = m.user_id "
        "where m.user_id = ? order by r.due_at desc",
        [user_id],
    ).fetchall()
    found = []
    for pair_id, round_id, due_at, answer in rows:
        partners = store.db.execute(
            "select user_id, sector from connection_pair_members where pair_id = ? and (user_id is null or user_id != ?) "
            "order by id",
            [pair_id, user_id],
        ).fetchall()
        found.append(PastConnection(round_id, datetime.fromtimestamp(due_at, UTC), tuple(partners), answer))
    return found


# ----------------------------------------------------------------------------- a member's own data


def export_rows(store: Store, content: ConnectionsContent, user_id: str) -> dict[str, Any] | None:
    """Everything connections keep about the member, as plain records (None if nothing)."""
    profile = get_profile(store, user_id)
    history = past_connections(store, user_id)
    if profile is None and not history:
        return None
    return {
        "profile": None
        if profile is None
        else {
            "status": profile.status,
            "sector": content.sector_label(profile.sector),
            "state": STATES.get(profile.state or "", profile.state),
            "topics": [content.topic_label(topic) for topic in profile.topics],
            "skip_next_round": profile.skip_next,
            "time_zone": profile.tz,
            "never_pair_me_with": list(profile.blocked),
            "joined_at": _iso(profile.joined_at),
        },
        "past_connections": [
            {
                "round": past.round_id,
                "started_at": past.due_at.isoformat(timespec="seconds"),
                "introduced_to": [
                    {"member": member or "(deleted their data)", "sector": content.sector_label(sector)}
                    for member, sector in past.partners
                ],
                "did_you_meet": past.answer,
            }
            for past in history
        ],
    }


def forget_member(db: sqlite_utils.Database, user_id: str) -> int:
    """Delete the member's profile and exclusions, and take their id off the rounds and answers
    they were in, in the open transaction ``db``; how many records there were.

    Another member's "never pair me with" that names them stays: it protects that member.
    """
    deleted = db.execute("delete from connection_members where user_id = ?", [user_id]).rowcount
    deleted += db.execute("delete from connection_blocks where user_id = ?", [user_id]).rowcount
    deleted += db.execute("update connection_pair_members set user_id = null where user_id = ?", [user_id]).rowcount
    db.execute("update connection_answers set user_id = null where user_id = ?", [user_id])
    db.execute("delete from connection_left_out where user_id = ?", [user_id])
    return deleted


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")
