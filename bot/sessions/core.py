"""Peer support hour sessions: series, their occurrences, RSVPs and DM subscriptions.

SQLite is the one source of truth. A *series* says when sessions happen (its recurrence,
in its own time zone) and how members hear of them (channel, reminder offsets); its
*occurrences* are the dated sessions, created up to :data:`bot.sessions.recurrence.HORIZON`
ahead with stable ids (``<series id>:<local date>``), so creating them again is a no-op; a
series whose next session lies further ahead (a one-off months away) has that one session
created at once, and the rest as they come within the horizon.
A moved occurrence keeps its id and RSVPs and takes the status ``moved``; a cancelled
one keeps its row with the status ``cancelled``.

Slack, the CLI and the start-up import all call these functions; nothing here knows
about Slack. Every time is stored as UTC unix seconds and returned as an aware datetime.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlite_utils
from sqlite_utils import Migrations

from bot.errors import HeartError
from bot.sessions.recurrence import HORIZON, Recurrence, skipped_problem, to_utc
from bot.store import Store

ACTIVE, ENDED = "active", "ended"  # "ended": no new sessions are made
SCHEDULED, CANCELLED, MOVED = "scheduled", "cancelled", "moved"
LIVE_STATUSES = (SCHEDULED, MOVED)  # a moved session still takes place, at its new time
GOING, NOT_GOING = "going", "not_going"
RESPONSES = (GOING, NOT_GOING)
DEFAULT_OFFSETS = (1440, 15)  # minutes before the start: a day, and a quarter of an hour
SHAREABLE_DAYS = 30
MAX_SHAREABLE = 25  # a Slack menu shows 100 options; a month of sessions is plenty

migrations = Migrations("heart.sessions")


@migrations()
def create_session_tables(db: sqlite_utils.Database) -> None:
    db["series"].create(
        {
            "id": str,
            "title": str,
            "description": str,
            "channel_id": str,
            "join_url": str,
            "facilitator": str,
            "duration_minutes": int,
            "timezone": str,
            "frequency": str,  # once | weekly | biweekly | monthly
            "first_start": str,  # ISO wall-clock time of the first session, in `timezone`
            "week_of_month": int,  # monthly: 1-4, or -1 for the last
            "until_date": str,  # ISO date, inclusive
            "count": int,
            "reminder_offsets": str,  # JSON list of minutes before the start
            "status": str,
            "source": str,  # content | slack | cli
            "created_by": str,
            "created_at": float,
            "updated_at": float,
            "channel_problem": str,  # e.g. not_in_channel, until a channel post succeeds again
        },
        pk="id",
        not_null={"title", "duration_minutes", "timezone", "frequency", "first_start", "status"},
        defaults={"status": ACTIVE, "reminder_offsets": "[]"},
    )
    db["occurrences"].create(
        {
            "id": str,
            "series_id": str,
            "starts_at": int,
            "ends_at": int,
            "topic": str,
            "status": str,
            "join_url": str,  # this session's own link, when it differs from the series'
            "revision": int,  # bumped at every change of time: reminders follow the new time
            "scheduled_at": float,  # when the session got its current time (created or moved)
            "previous_starts_at": int,
            "changed_at": float,
            "changed_by": str,
            "change_note": str,
            "notify": int,  # 1: members are told of the cancellation or move
        },
        pk="id",
        foreign_keys=[("series_id", "series", "id")],
        not_null={"series_id", "starts_at", "ends_at", "status"},
        defaults={"status": SCHEDULED, "revision": 0, "notify": 0},
    )
    db["occurrences"].create_index(["starts_at"])
    db["occurrences"].create_index(["series_id", "starts_at"])
    db["rsvps"].create(
        {"occurrence_id": str, "user_id": str, "response": str, "updated_at": float},
        pk=("occurrence_id", "user_id"),
        foreign_keys=[("occurrence_id", "occurrences", "id")],
        not_null={"response", "updated_at"},
    )
    db["rsvps"].create_index(["user_id"])
    db["subscriptions"].create(
        {"series_id": str, "user_id": str, "created_at": float},
        pk=("series_id", "user_id"),
        foreign_keys=[("series_id", "series", "id")],
    )
    db["subscriptions"].create_index(["user_id"])


@migrations()
def create_deployment(db: sqlite_utils.Database) -> None:
    """One row: a random id made once, with the database, that tells this deployment's calendar
    entries from every other's. It lives in the database so it stays the same across restarts and
    moves to another host, and differs between two installs that keep the default series."""
    db["deployment"].create({"id": int, "uid": str, "created_at": float}, pk="id", not_null={"uid"}, if_not_exists=True)
    db["deployment"].insert({"id": 1, "uid": secrets.token_hex(8), "created_at": datetime.now(UTC).timestamp()}, ignore=True)


@migrations()
def create_session_reminders(db: sqlite_utils.Database) -> None:
    """DM reminders for one session only (``subscriptions`` holds those for every session of a series)."""
    db["session_reminders"].create(
        {"occurrence_id": str, "user_id": str, "created_at": float},
        pk=("occurrence_id", "user_id"),
        foreign_keys=[("occurrence_id", "occurrences", "id")],
        if_not_exists=True,
    )
    db["session_reminders"].create_index(["user_id"], if_not_exists=True)


@migrations()
def create_prompt_optouts(db: sqlite_utils.Database) -> None:
    """Members who asked not to get the after-session share-out prompt by DM (the channel's stays)."""
    db["shareout_prompt_optouts"].create({"user_id": str, "created_at": float}, pk="user_id", if_not_exists=True)


@migrations()
def create_calendar_feeds(db: sqlite_utils.Database) -> None:
    """Calendar feed tokens (:mod:`bot.sessions.feeds`): a hash for each; the token itself only
    for public series feeds."""
    db["calendar_feeds"].create(
        {"token_hash": str, "kind": str, "subject": str, "token": str, "created_at": float},
        pk="token_hash",
        not_null={"kind", "subject", "created_at"},
        if_not_exists=True,
    )
    db["calendar_feeds"].create_index(["kind", "subject"], unique=True, if_not_exists=True)


class SessionError(HeartError):
    """A session operation that cannot be done; the message is for the person who asked."""


@dataclass(frozen=True)
class Series:
    """A run of sessions: what it is, when it repeats, and how members hear of it."""

    id: str
    title: str
    recurrence: Recurrence
    duration_minutes: int = 60
    description: str | None = None
    channel_id: str | None = None
    join_url: str | None = None
    facilitator: str | None = None
    reminder_offsets: tuple[int, ...] = DEFAULT_OFFSETS
    status: str = ACTIVE
    source: str = "slack"
    channel_problem: str | None = None

    @property
    def timezone(self) -> str:
        return self.recurrence.timezone

    def occurrence_id(self, start: datetime) -> str:
        """The stable id of the session starting at ``start``: the series and the local date."""
        return f"{self.id}:{start.astimezone(self.recurrence.tz).date().isoformat()}"


@dataclass(frozen=True)
class Occurrence:
    """One dated session, with what its series says about it (the contract with other features)."""

    id: str
    series_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    topic: str | None
    status: str
    channel_id: str | None
    join_url: str | None
    timezone: str
    description: str | None = None
    facilitator: str | None = None
    revision: int = 0
    scheduled_at: datetime | None = None
    previous_starts_at: datetime | None = None
    changed_at: datetime | None = None
    change_note: str | None = None
    notify: bool = False
    channel_problem: str | None = None  # why the series' channel cannot be posted in, if it cannot

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def live(self) -> bool:
        """True unless cancelled."""
        return self.status in LIVE_STATUSES


@dataclass(frozen=True)
class Counts:
    """RSVPs to one session."""

    going: int = 0
    not_going: int = 0


@dataclass(frozen=True)
class SessionView:
    """An upcoming session as one member sees it: counts, their answer, their DM choice."""

    occurrence: Occurrence
    counts: Counts = field(default_factory=Counts)
    response: str | None = None
    subscribed: bool = False  # DM reminders for every session of the series
    reminded: bool = False  # DM reminders for this session only
    repeats: bool = False  # the series has more than one session (then "every session" is a choice)


# ---------------------------------------------------------------------------- reading


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _at(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


_OCCURRENCE_SQL = """
select o.id, o.series_id, s.title, o.starts_at, o.ends_at, o.topic, o.status, s.channel_id,
       coalesce(o.join_url, s.join_url), s.timezone, s.description, s.facilitator, o.revision,
       o.scheduled_at, o.previous_starts_at, o.changed_at, o.change_note, o.notify, s.channel_problem
from occurrences o join series s on s.id = o.series_id
"""


def _occurrence(row: tuple) -> Occurrence:
    (id_, series_id, title, starts, ends, topic, status, channel, link, tz, description, facilitator, revision,
     scheduled, previous, changed, note, notify, channel_problem) = row  # fmt: skip
    return Occurrence(
        id=id_,
        series_id=series_id,
        title=title,
        starts_at=_at(starts),  # type: ignore[arg-type]
        ends_at=_at(ends),  # type: ignore[arg-type]
        topic=topic,
        status=status,
        channel_id=channel,
        join_url=link,
        timezone=tz,
        description=description,
        facilitator=facilitator,
        revision=revision or 0,
        scheduled_at=_at(scheduled),
        previous_starts_at=_at(previous),
        changed_at=_at(changed),
        change_note=note,
        notify=bool(notify),
        channel_problem=channel_problem,
    )


def _query(store: Store, where: str, params: dict | tuple = ()) -> list[Occurrence]:
    return [_occurrence(row) for row in store.db.execute(f"{_OCCURRENCE_SQL} {where}", params).fetchall()]


def occurrences_where(store: Store, where: str, params: dict | tuple = ()) -> list[Occurrence]:
    """Occurrences matching SQL ``where`` (and ``order by``) over ``o`` (occurrences) and ``s`` (series)."""
    return _query(store, where, params)


def get_occurrence(store: Store, occurrence_id: str) -> Occurrence | None:
    """The occurrence with this id, or None."""
    found = _query(store, "where o.id = ?", (occurrence_id,))
    return found[0] if found else None


def occurrences_between(store: Store, start: datetime, end: datetime | None) -> list[Occurrence]:
    """Occurrences starting from ``start`` (inclusive) to ``end`` (exclusive; None: however far
    ahead), any status, oldest first."""
    before = "and o.starts_at < :end" if end else ""
    return _query(
        store,
        f"where o.starts_at >= :start {before} order by o.starts_at, o.id",
        {"start": _ts(start), "end": _ts(end) if end else None},
    )


def upcoming(store: Store, now: datetime, *, limit: int = 5, series_id: str | None = None) -> list[Occurrence]:
    """Sessions not yet over and not cancelled, soonest first (a running session counts)."""
    series = "and o.series_id = :series" if series_id else ""
    return _query(
        store,
        f"where o.ends_at > :now and o.status in ('scheduled', 'moved') {series} order by o.starts_at, o.id limit :limit",
        {"now": _ts(now), "series": series_id, "limit": limit},
    )


def occurrences_to_watch(store: Store, start: datetime, end: datetime, *, changed_since: datetime) -> list[Occurrence]:
    """What the reminder service looks at: sessions starting from ``start`` to ``end``, and any
    session whose cancellation or move since ``changed_since`` members must hear of."""
    return _query(
        store,
        "where (o.starts_at >= :start and o.starts_at < :end) or (o.notify = 1 and o.changed_at >= :changed) "
        "order by o.starts_at",
        {"start": _ts(start), "end": _ts(end), "changed": changed_since.timestamp()},
    )


def shareout_default_occurrence(store: Store, now: datetime) -> Occurrence | None:
    """The session running now, else the one that ended most recently within the last 24 hours."""
    found = _query(
        store,
        "where o.starts_at <= :now and o.ends_at > :day_ago and o.status in ('scheduled', 'moved') "
        "order by (o.ends_at > :now) desc, o.ends_at desc limit 1",
        {"now": _ts(now), "day_ago": _ts(now - timedelta(days=1))},
    )
    return found[0] if found else None


def shareable_occurrences(store: Store, now: datetime) -> list[Occurrence]:
    """Sessions that started in the last 30 days or are running, newest first (at most 25)."""
    return _query(
        store,
        "where o.starts_at <= :now and o.starts_at >= :since and o.status in ('scheduled', 'moved') "
        "order by o.starts_at desc limit :limit",
        {"now": _ts(now), "since": _ts(now - timedelta(days=SHAREABLE_DAYS)), "limit": MAX_SHAREABLE},
    )


def _series(row: dict) -> Series:
    return Series(
        id=row["id"],
        title=row["title"],
        recurrence=Recurrence(
            frequency=row["frequency"],
            first_start=datetime.fromisoformat(row["first_start"]),
            timezone=row["timezone"],
            week_of_month=row["week_of_month"],
            until=datetime.fromisoformat(row["until_date"]).date() if row["until_date"] else None,
            count=row["count"],
        ),
        duration_minutes=row["duration_minutes"],
        description=row["description"],
        channel_id=row["channel_id"],
        join_url=row["join_url"],
        facilitator=row["facilitator"],
        reminder_offsets=tuple(json.loads(row["reminder_offsets"] or "[]")),
        status=row["status"],
        source=row["source"],
        channel_problem=row["channel_problem"],
    )


def deployment_uid(store: Store) -> str:
    """This deployment's own id (16 hex digits), made once with the database: calendar UIDs carry it."""
    return store.db.execute("select uid from deployment where id = 1").fetchone()[0]


def setup_gaps(series: Series) -> list[str]:
    """What members of a series would miss, as plain sentences for coordinators: no join link
    (after "Going" there is nowhere to join) and no channel (no channel reminders at all)."""
    declared = series.source == "content"  # changed in the file: the next start would undo an edit

    def fix(field: str, option: str, example: str) -> str:
        if declared:
            return f"set {field} in content/sessions.yml" + (" or PEERHOUR_CHANNEL" if field == "channel" else "")
        return f"`python -m bot sessions edit {series.id} --{option} {example}`"

    gaps = []
    if not series.join_url:
        gaps.append(
            "has no join link: members who say Going have nowhere to join and calendar entries have no location "
            f"({fix('join_url', 'link', 'https://...')})"
        )
    if not series.channel_id:
        gaps.append(
            "has no channel: no reminder is posted in a channel, only DMs to members who ask "
            f"({fix('channel', 'channel', 'C0123ABCD')})"
        )
    return gaps


def series_needing_setup(store: Store, now: datetime) -> list[tuple[Series, list[str]]]:
    """Active series that will remind people (a session still to come) and lack a link or a channel."""
    coming = {o.series_id for o in upcoming(store, now, limit=1000)}
    return [(series, gaps) for series in all_series(store) if series.id in coming and (gaps := setup_gaps(series))]


def get_series(store: Store, series_id: str) -> Series | None:
    """The series with this id, or None."""
    rows = list(store.db.query("select * from series where id = ?", (series_id,)))
    return _series(rows[0]) if rows else None


def all_series(store: Store, *, active_only: bool = True) -> list[Series]:
    """Every series, by title."""
    where = "where status = 'active'" if active_only else ""
    return [_series(row) for row in store.db.query(f"select * from series {where} order by title")]


def rsvp_counts(store: Store, occurrence_id: str) -> Counts:
    """How many said Going and Can't make it."""
    going, not_going = store.db.execute(
        "select coalesce(sum(response = 'going'), 0), coalesce(sum(response = 'not_going'), 0) "
        "from rsvps where occurrence_id = ?",
        (occurrence_id,),
    ).fetchone()
    return Counts(going, not_going)


def responders(store: Store, occurrence_id: str, response: str = GOING) -> list[str]:
    """The members who answered ``response``, in the order they answered."""
    rows = store.db.execute(
        "select user_id from rsvps where occurrence_id = ? and response = ? order by updated_at, user_id",
        (occurrence_id, response),
    )
    return [user_id for (user_id,) in rows]


def subscribers(store: Store, series_id: str) -> list[str]:
    """The members who asked for DM reminders of a series, oldest subscription first."""
    rows = store.db.execute("select user_id from subscriptions where series_id = ? order by created_at, user_id", (series_id,))
    return [user_id for (user_id,) in rows]


def reminder_recipients(store: Store, series_id: str, occurrence_id: str) -> list[str]:
    """Who gets a session's DM reminders: members subscribed to its series (oldest first), then
    those who asked for this session only."""
    rows = store.db.execute(
        "select user_id from (select user_id, created_at, 0 as k from subscriptions where series_id = ? "
        "union all select user_id, created_at, 1 from session_reminders where occurrence_id = ?) "
        "group by user_id order by min(k), min(created_at), user_id",
        (series_id, occurrence_id),
    )
    return [user_id for (user_id,) in rows]


def member_views(store: Store, occurrences: list[Occurrence], user_id: str) -> list[SessionView]:
    """Each occurrence with its counts, the member's answer and whether they get DM reminders."""
    if not occurrences:
        return []
    ids = [o.id for o in occurrences]
    marks = ",".join("?" * len(ids))
    db = store.db
    counts = {
        occurrence_id: Counts(going, not_going)
        for occurrence_id, going, not_going in db.execute(
            "select occurrence_id, sum(response = 'going'), sum(response = 'not_going') from rsvps "
            f"where occurrence_id in ({marks}) group by occurrence_id",
            ids,
        )
    }
    answers = dict(
        db.execute(f"select occurrence_id, response from rsvps where user_id = ? and occurrence_id in ({marks})", [user_id, *ids])
    )
    subscribed = {series_id for (series_id,) in db.execute("select series_id from subscriptions where user_id = ?", (user_id,))}
    reminded = {
        oid
        for (oid,) in db.execute(
            f"select occurrence_id from session_reminders where user_id = ? and occurrence_id in ({marks})", [user_id, *ids]
        )
    }
    series_ids = sorted({o.series_id for o in occurrences})
    repeating = {
        sid
        for (sid,) in db.execute(
            f"select id from series where frequency != 'once' and id in ({','.join('?' * len(series_ids))})", series_ids
        )
    }
    return [
        SessionView(
            o,
            counts.get(o.id, Counts()),
            answers.get(o.id),
            o.series_id in subscribed,
            o.id in reminded,
            o.series_id in repeating,
        )
        for o in occurrences
    ]


# ---------------------------------------------------------------------------- series


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:48].strip("-") or "session"


def _series_row(series: Series) -> dict:
    recurrence = series.recurrence
    return {
        "id": series.id,
        "title": series.title,
        "description": series.description,
        "channel_id": series.channel_id,
        "join_url": series.join_url,
        "facilitator": series.facilitator,
        "duration_minutes": series.duration_minutes,
        "timezone": recurrence.timezone,
        "frequency": recurrence.frequency,
        "first_start": recurrence.first_start.isoformat(),
        "week_of_month": recurrence.week_of_month,
        "until_date": recurrence.until.isoformat() if recurrence.until else None,
        "count": recurrence.count,
        "reminder_offsets": json.dumps(list(series.reminder_offsets)),
        "status": series.status,
        "source": series.source,
    }


def add_series(store: Store, series: Series, *, now: datetime, created_by: str, topic: str | None = None) -> Series:
    """Save a new series (its id made from the title when empty) and create its sessions.

    :param topic: the first session's topic, if any.
    :returns: the series as saved, with its id.
    :raises SessionError: if its schedule has no session from now on, or the same series (title
        and first session) is already on the calendar: a command run twice, a form sent twice.
    """
    with store.transaction() as db:
        _refuse_twin(db, series, (ACTIVE,))  # an ended one may be started again
        series = _insert_series(db, series, now, created_by)
        created = _create_occurrences(db, series, now)
        if not created:  # rolls the whole series back
            raise SessionError(
                "That schedule has no session from now on: check the date, the end date and the number of sessions."
            )
        if topic:
            db.execute("update occurrences set topic = ? where id = ?", (topic, created[0]))
    return series


def _refuse_twin(db: sqlite_utils.Database, series: Series, statuses: tuple[str, ...]) -> None:
    """Refuse ``series`` when one of ``statuses`` has its title and first session: a command run
    twice, a form sent twice.

    :raises SessionError: naming the series already there.
    """
    twin = db.execute(
        f"select id from series where status in ({', '.join('?' * len(statuses))}) and lower(title) = lower(?) and first_start = ?",
        (*statuses, series.title, series.recurrence.first_start.isoformat()),
    ).fetchone()
    if twin:
        raise SessionError(f"{series.title} at that time is already on the calendar, as {twin[0]}: nothing was added.")


def _insert_series(db: sqlite_utils.Database, series: Series, now: datetime, created_by: str) -> Series:
    """Insert a new series under its id, or one made from its title (``-2``, ``-3``... when taken)."""
    base = series.id or _slug(series.title)
    taken = {row[0] for row in db.execute("select id from series where id = ? or id like ?", (base, f"{base}-%"))}
    series_id = next(candidate for n in range(1, len(taken) + 2) if (candidate := base if n == 1 else f"{base}-{n}") not in taken)
    series = replace(series, id=series_id, channel_problem=None)
    db["series"].insert(
        {**_series_row(series), "created_by": created_by, "created_at": now.timestamp(), "updated_at": now.timestamp()}
    )
    return series


_SCHEDULE_FIELDS = ("timezone", "frequency", "first_start", "week_of_month", "until_date", "count", "duration_minutes")


def import_series(store: Store, declared: list[Series], *, now: datetime, default_channel: str | None = None) -> None:
    """Create or update the series declared in content (``content/sessions.yml``), idempotently.

    A series with no channel of its own uses ``default_channel`` (``PEERHOUR_CHANNEL``). When a
    declared schedule changes, future sessions move to the new times (their ids are their
    dates: a session whose date is no longer in the schedule is cancelled, without notices).
    """
    for series in declared:
        series = replace(series, channel_id=series.channel_id or default_channel, source="content")
        row = _series_row(series)
        with store.transaction() as db:
            existing = next(iter(db.query("select * from series where id = ?", (series.id,))), None)
            if existing is None:
                db["series"].insert(
                    {**row, "created_by": "content", "created_at": now.timestamp(), "updated_at": now.timestamp()}
                )
            elif any(existing[key] != value for key, value in row.items()):
                db["series"].update(series.id, {**row, "updated_at": now.timestamp()})
                if any(existing[key] != row[key] for key in _SCHEDULE_FIELDS):
                    _reschedule(db, series, now)
            _create_occurrences(db, series, now)


def expand_all(store: Store, now: datetime) -> int:
    """Create every active series' sessions up to the horizon (and each one's next session, however
    far ahead); returns how many were new."""
    created = 0
    for series in all_series(store):
        with store.transaction() as db:
            created += len(_create_occurrences(db, series, now))
    return created


def _due_starts(series: Series, now: datetime) -> list[datetime]:
    """The starts of the sessions a series should have on the calendar: those from ``now`` to the
    horizon or, when there are none, its next one however far ahead (a spring conference added in
    November is on the calendar, and RSVPs can start, at once)."""
    recurrence = series.recurrence
    within = recurrence.starts(now, now + HORIZON)
    return within or [start for start in (recurrence.next_start(now),) if start]


def add_past_series(
    store: Store, series: Series, *, now: datetime, created_by: str, topic: str | None = None
) -> tuple[Series, list[str]]:
    """Save sessions that already took place, for the record: the series' sessions that ended
    before ``now``, with no channel and no reminders (nobody is told anything), and the series
    ended so that no new session is made.

    :returns: the series as saved and its sessions' ids, oldest first.
    :raises SessionError: if none of its sessions is over yet.
    """
    duration = timedelta(minutes=series.duration_minutes)
    past = [start for start in series.recurrence.starts(_at(0), now) if start + duration <= now]  # type: ignore[arg-type]
    if not past:
        raise SessionError("None of those sessions is over yet: add sessions still to come without --past.")
    record = replace(series, channel_id=None, reminder_offsets=(), status=ENDED)
    with store.transaction() as db:
        _refuse_twin(db, record, (ACTIVE, ENDED))  # its sessions are on record already, either way
        record = _insert_series(db, record, now, created_by)
        created = _insert_starts(db, record, past, now)
        if topic:
            db.execute("update occurrences set topic = ? where id = ?", (topic, created[0]))
    return record, created


def _create_occurrences(db: sqlite_utils.Database, series: Series, now: datetime) -> list[str]:
    """Insert the series' due sessions (:func:`_due_starts`) that do not exist yet; their ids."""
    return _insert_starts(db, series, _due_starts(series, now), now)


def _insert_starts(db: sqlite_utils.Database, series: Series, starts: list[datetime], now: datetime) -> list[str]:
    """Insert sessions of ``series`` at ``starts`` that do not exist yet; their ids."""
    created = []
    for start in starts:
        occurrence_id = series.occurrence_id(start)
        cursor = db.execute(
            "insert or ignore into occurrences (id, series_id, starts_at, ends_at, status, revision, scheduled_at, notify) "
            "values (?, ?, ?, ?, 'scheduled', 0, ?, 0)",
            (occurrence_id, series.id, _ts(start), _ts(start + timedelta(minutes=series.duration_minutes)), now.timestamp()),
        )
        if cursor.rowcount:
            created.append(occurrence_id)
    return created


def _reschedule(db: sqlite_utils.Database, series: Series, now: datetime) -> None:
    """Bring future, untouched sessions in line with a changed schedule."""
    rows = db.execute(
        "select id, starts_at, ends_at from occurrences where series_id = ? and starts_at > ? and status = 'scheduled'",
        (series.id, _ts(now)),
    ).fetchall()
    # As far as the horizon, or the furthest session already made (a far next session), with a
    # margin: a session keeps its date (its id) and may take a new time of day.
    until = max([now + HORIZON, *(datetime.fromtimestamp(starts, UTC) + timedelta(days=2) for _, starts, _ in rows)])
    expected = {series.occurrence_id(start): start for start in series.recurrence.starts(now, until)}
    for occurrence_id, starts, ends in rows:
        start = expected.get(occurrence_id)
        if start is None:
            db.execute(
                "update occurrences set status = 'cancelled', changed_at = ?, changed_by = 'content', "
                "change_note = 'The schedule changed.', notify = 0 where id = ?",
                (now.timestamp(), occurrence_id),
            )
            continue
        end = start + timedelta(minutes=series.duration_minutes)
        if starts != _ts(start):  # a new time: reminders follow it (a new revision)
            db.execute(
                "update occurrences set starts_at = ?, ends_at = ?, revision = revision + 1, scheduled_at = ? where id = ?",
                (_ts(start), _ts(end), now.timestamp(), occurrence_id),
            )
        elif ends != _ts(end):
            db.execute("update occurrences set ends_at = ? where id = ?", (_ts(end), occurrence_id))


def mark_channel_problem(store: Store, series_id: str, error: str) -> bool:
    """Note that posting to the series' channel fails with ``error``.

    :returns: True only for the first report of this problem (then tell the coordinators, once).
    """
    with store.transaction() as db:
        cursor = db.execute(
            "update series set channel_problem = ? where id = ? and coalesce(channel_problem, '') != ?", (error, series_id, error)
        )
        return cursor.rowcount > 0


def clear_channel_problem(store: Store, series_id: str) -> None:
    """Forget a channel problem once a post to the channel has worked."""
    with store.transaction() as db:
        db.execute("update series set channel_problem = null where id = ? and channel_problem is not null", (series_id,))


# ---------------------------------------------------------------------------- members


def _open_occurrence(store: Store, occurrence_id: str, now: datetime) -> Occurrence:
    occurrence = get_occurrence(store, occurrence_id)
    if occurrence is None:
        raise SessionError("That session no longer exists. Type `/peerhour` to see what's coming up.")
    if occurrence.status == CANCELLED:
        raise SessionError("That session was cancelled. Type `/peerhour` to see what's coming up.")
    if occurrence.ends_at <= now:
        raise SessionError("That session is over. Type `/peerhour` to see what's coming up.")
    return occurrence


def set_rsvp(store: Store, occurrence_id: str, user_id: str, response: str, *, now: datetime) -> Occurrence:
    """Record a member's answer (Going / Can't make it), replacing any earlier one.

    :raises SessionError: if the session is unknown, cancelled or over.
    """
    if response not in RESPONSES:
        raise SessionError("That answer is not one heart-bot knows.")
    with store.transaction() as db:
        occurrence = _open_occurrence(store, occurrence_id, now)
        db.execute(
            "insert into rsvps (occurrence_id, user_id, response, updated_at) values (?, ?, ?, ?) "
            "on conflict (occurrence_id, user_id) do update set response = excluded.response, updated_at = excluded.updated_at",
            (occurrence_id, user_id, response, now.timestamp()),
        )
    return occurrence


def set_subscription(store: Store, series_id: str, user_id: str, subscribed: bool, *, now: datetime) -> Series:
    """Turn a member's DM reminders for a series on or off (idempotent).

    :raises SessionError: if the series is unknown.
    """
    series = get_series(store, series_id)
    if series is None:
        raise SessionError("Those sessions are no longer scheduled. Type `/peerhour` to see what's coming up.")
    with store.transaction() as db:
        if subscribed:
            db.execute(
                "insert or ignore into subscriptions (series_id, user_id, created_at) values (?, ?, ?)",
                (series_id, user_id, now.timestamp()),
            )
        else:
            db.execute("delete from subscriptions where series_id = ? and user_id = ?", (series_id, user_id))
    return series


def set_session_reminder(store: Store, occurrence_id: str, user_id: str, on: bool, *, now: datetime) -> Occurrence:
    """Turn a member's DM reminders for one session on or off (idempotent).

    :raises SessionError: if the session is unknown, cancelled or over (turning on only).
    """
    with store.transaction() as db:
        if on:
            occurrence = _open_occurrence(store, occurrence_id, now)
            db.execute(
                "insert or ignore into session_reminders (occurrence_id, user_id, created_at) values (?, ?, ?)",
                (occurrence_id, user_id, now.timestamp()),
            )
            return occurrence
        db.execute("delete from session_reminders where occurrence_id = ? and user_id = ?", (occurrence_id, user_id))
    found = get_occurrence(store, occurrence_id)
    if found is None:
        raise SessionError("That session no longer exists. Type `/peerhour` to see what's coming up.")
    return found


def stop_all_reminders(store: Store, series_id: str, user_id: str) -> Series:
    """Turn off a member's DM reminders for a series: every session, and any single one of it.

    :raises SessionError: if the series is unknown.
    """
    series = set_subscription(store, series_id, user_id, False, now=datetime.now(UTC))
    with store.transaction() as db:
        db.execute(
            "delete from session_reminders where user_id = ? "
            "and occurrence_id in (select id from occurrences where series_id = ?)",
            (user_id, series_id),
        )
    return series


def prompt_recipients(store: Store, occurrence_id: str) -> list[str]:
    """Who gets a session's share-out prompt by DM: the members who said Going, less those who
    turned the prompt off."""
    rows = store.db.execute(
        "select user_id from rsvps where occurrence_id = ? and response = 'going' "
        "and user_id not in (select user_id from shareout_prompt_optouts) order by updated_at, user_id",
        (occurrence_id,),
    )
    return [user_id for (user_id,) in rows]


def prompts_by_dm(store: Store, user_id: str) -> bool:
    """True unless the member turned off the share-out prompt by DM."""
    return store.db.execute("select 1 from shareout_prompt_optouts where user_id = ?", (user_id,)).fetchone() is None


def set_prompts_by_dm(store: Store, user_id: str, on: bool, *, now: datetime) -> None:
    """Turn the after-session share-out prompt by DM on or off for a member (idempotent)."""
    with store.transaction() as db:
        if on:
            db.execute("delete from shareout_prompt_optouts where user_id = ?", (user_id,))
        else:
            db.execute(
                "insert or ignore into shareout_prompt_optouts (user_id, created_at) values (?, ?)", (user_id, now.timestamp())
            )


def forget_member(db: sqlite_utils.Database, user_id: str) -> tuple[list[str], int]:
    """Delete a member's RSVPs and DM reminder choices (series and single sessions), in the open
    transaction ``db`` (a member deleting all their data).

    :returns: the sessions whose RSVP counts changed, and how many series subscriptions there were.
    """
    occurrences = [oid for (oid,) in db.execute("select occurrence_id from rsvps where user_id = ?", [user_id])]
    db.execute("delete from rsvps where user_id = ?", [user_id])
    subscriptions = db.execute("delete from subscriptions where user_id = ?", [user_id]).rowcount
    db.execute("delete from session_reminders where user_id = ?", [user_id])
    db.execute("delete from shareout_prompt_optouts where user_id = ?", [user_id])
    return occurrences, subscriptions


# ---------------------------------------------------------------------------- coordinators


def _changeable(store: Store, occurrence_id: str, now: datetime) -> Occurrence:
    occurrence = get_occurrence(store, occurrence_id)
    if occurrence is None:
        raise SessionError(f"There is no session {occurrence_id}.")
    if occurrence.status == CANCELLED:
        raise SessionError(f"{occurrence.title} on {_local_day(occurrence)} is already cancelled.")
    if occurrence.starts_at <= now:
        raise SessionError(f"{occurrence.title} on {_local_day(occurrence)} has already started.")
    return occurrence


def _local_day(occurrence: Occurrence) -> str:
    return occurrence.starts_at.astimezone(occurrence.tz).date().isoformat()


def cancel_occurrence(store: Store, occurrence_id: str, *, by: str, now: datetime, reason: str | None = None) -> Occurrence:
    """Cancel one session; the channel and members who said Going are told (by the reminder service).

    :raises SessionError: if it is unknown, already cancelled or already started.
    """
    with store.transaction() as db:
        _changeable(store, occurrence_id, now)
        db.execute(
            "update occurrences set status = 'cancelled', changed_at = ?, changed_by = ?, change_note = ?, notify = 1 "
            "where id = ?",
            (now.timestamp(), by, reason or None, occurrence_id),
        )
    return get_occurrence(store, occurrence_id)  # type: ignore[return-value]


def move_occurrence(
    store: Store, occurrence_id: str, local_start: datetime, *, by: str, now: datetime, note: str | None = None
) -> Occurrence:
    """Move one session to ``local_start`` (a naive wall-clock time in its series' zone), keeping its length.

    RSVPs stay; reminders follow the new time; the channel and members who said Going are told.

    :raises SessionError: if it cannot be changed, or the new time doesn't exist that day or is
        not in the future.
    """
    with store.transaction() as db:
        occurrence = _changeable(store, occurrence_id, now)
        if problem := skipped_problem(local_start, occurrence.timezone):
            raise SessionError(problem)
        start = to_utc(local_start, occurrence.tz)
        if start <= now:
            raise SessionError("The new time has already passed: choose a time in the future.")
        if start == occurrence.starts_at:
            raise SessionError("That is the session's time already.")
        end = start + (occurrence.ends_at - occurrence.starts_at)
        db.execute(
            "update occurrences set status = 'moved', starts_at = ?, ends_at = ?, previous_starts_at = ?, "
            "revision = revision + 1, scheduled_at = ?, changed_at = ?, changed_by = ?, change_note = ?, notify = 1 where id = ?",
            (_ts(start), _ts(end), _ts(occurrence.starts_at), now.timestamp(), now.timestamp(), by, note or None, occurrence_id),
        )
    return get_occurrence(store, occurrence_id)  # type: ignore[return-value]


def edit_occurrence(
    store: Store, occurrence_id: str, *, topic: str | None, join_url: str | None, by: str, now: datetime
) -> Occurrence:
    """Set one session's topic and its own join link (None: no topic / the series' link).

    :raises SessionError: if it cannot be changed.
    """
    with store.transaction() as db:
        occurrence = _changeable(store, occurrence_id, now)
        series = get_series(store, occurrence.series_id)
        own_link = join_url if join_url and (series is None or join_url != series.join_url) else None
        db.execute(
            "update occurrences set topic = ?, join_url = ?, changed_by = ? where id = ?",
            (topic or None, own_link, by, occurrence_id),
        )
    return get_occurrence(store, occurrence_id)  # type: ignore[return-value]


def find_occurrence(store: Store, occurrence_id: str) -> tuple[Occurrence, str | None]:
    """The session a coordinator means by ``occurrence_id``: its id, or, for a moved session,
    ``<series id>:<the date it moved to>`` as well (a session keeps the id of the date it was
    first made for).

    :returns: the session, and a sentence saying which session was meant when it was not plain.
    :raises SessionError: naming the series' sessions near that date when none matches.
    """
    found = get_occurrence(store, occurrence_id)
    if found is not None:
        day = _local_day(found)
        if found.status == MOVED and not occurrence_id.endswith(day):
            return found, f"{occurrence_id} moved to {day}: that is the session meant."
        return found, None
    series_id, _, day = occurrence_id.rpartition(":")
    same_series = _query(store, "where o.series_id = ? order by o.starts_at", (series_id,))
    moved_there = [o for o in same_series if _local_day(o) == day]
    if len(moved_there) == 1:
        meant = moved_there[0]
        return meant, f"{occurrence_id} is {meant.id}, moved to {day} (a session keeps the id it was first made with)."
    if not same_series:
        raise SessionError(f"There is no session {occurrence_id}: `python -m bot sessions list --all` shows every id.")
    near = sorted(same_series, key=lambda o: abs(_days_apart(_local_day(o), day)))[:3]
    listed = ", ".join(f"{o.id} (now {_local_day(o)}{', ' + o.status if o.status != SCHEDULED else ''})" for o in near)
    raise SessionError(f"There is no session {occurrence_id}. Sessions of {series_id} near that date: {listed}.")


def _days_apart(one: str, other: str) -> int:
    try:
        return (datetime.fromisoformat(one) - datetime.fromisoformat(other)).days
    except ValueError:
        return 0


EDITABLE_SERIES_FIELDS = ("title", "join_url", "description", "facilitator", "reminder_offsets", "channel_id")


def edit_series(store: Store, series_id: str, changes: dict, *, now: datetime) -> Series:
    """Change a series' title, join link, description, facilitator, reminders or channel; every
    session of it follows (a session's own link stays its own).

    :param changes: field name (of :data:`EDITABLE_SERIES_FIELDS`) to its checked new value (None clears).
    :raises SessionError: if the series is unknown or declared in ``content/sessions.yml``.
    """
    series = _editable_series(store, series_id)
    row = {
        key: json.dumps(list(value)) if key == "reminder_offsets" else value
        for key, value in changes.items()
        if key in EDITABLE_SERIES_FIELDS
    }
    if not row:
        return series
    with store.transaction() as db:
        if "channel_id" in row:
            row["channel_problem"] = None
        db["series"].update(series.id, {**row, "updated_at": now.timestamp()})
    return get_series(store, series.id)  # type: ignore[return-value]


def end_series(store: Store, series_id: str, *, by: str, now: datetime, note: str | None = None) -> tuple[Series, list[str]]:
    """End a series: no new sessions are made, and its sessions still to come are cancelled (the
    channel and everyone going are told, as for one cancellation).

    :returns: the series and the ids of the sessions cancelled.
    :raises SessionError: if it is unknown, declared in content, or already ended.
    """
    series = _editable_series(store, series_id)
    if series.status == ENDED:
        raise SessionError(f"{series.title} has already ended.")
    with store.transaction() as db:
        coming = [
            oid
            for (oid,) in db.execute(
                "select id from occurrences where series_id = ? and starts_at > ? and status in ('scheduled', 'moved')",
                (series.id, _ts(now)),
            )
        ]
        db.execute("update series set status = ?, updated_at = ? where id = ?", (ENDED, now.timestamp(), series.id))
        for oid in coming:
            db.execute(
                "update occurrences set status = 'cancelled', changed_at = ?, changed_by = ?, change_note = ?, notify = 1 "
                "where id = ?",
                (now.timestamp(), by, note or "This series has ended.", oid),
            )
    return replace(series, status=ENDED), coming


def _editable_series(store: Store, series_id: str) -> Series:
    series = get_series(store, series_id)
    if series is None:
        raise SessionError(
            f"There is no series {series_id}: `python -m bot sessions list --all` shows sessions as <series id>:<date>."
        )
    if series.source == "content":
        raise SessionError(
            f"{series.id} is declared in content/sessions.yml: change it there (heart-bot reads the file at each start; "
            "an edit made here would be put back)."
        )
    return series
