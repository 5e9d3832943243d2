"""The engagement report: one function computes every figure coordinators see, in Slack,
on the command line, in charts and in exports.

A report must stay well under half a second with a million share-outs and two million
events, over a month or a year: counts come from the daily rollups that triggers keep
(:mod:`bot.engagement.rollups`) plus the rows of the partial days at the period's ends, and members
are counted with one index probe each. It reports only what exists: a table another
feature has not created yet counts as empty.

Small numbers are suppressed wherever a count is about members (every headline count but
the sessions', each session's RSVPs and participation, every breakdown, monthly connections,
the daily figures and the trend): a count from 1 to ``threshold - 1`` is shown as
``"<threshold"`` and never leaves this module as a number, and a share is shown only when
neither it nor what it leaves out rests on such a count. A breakdown adds up to a figure shown
beside it, and so do the sessions' columns of RSVPs, headcounts and share-outs and the daily
columns but members engaged (members who took part, or were engaged, are counted once however
many sessions or days they came back): where subtraction would give their small counts away,
the smallest other count is hidden with them (:meth:`Suppressor.tallies`,
:meth:`Suppressor.column`). Only the number of sessions is always exact: it says nothing about
who came.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from bot import events
from bot.profiles import STATES
from bot.small_counts import HIDDEN, Suppressor, Tally
from bot.engagement import attendance
from bot.engagement.periods import Period, SeriesInfo
from bot.engagement.rollups import Span
from bot.store import Store

migrations = sqlite_utils.Migrations("heart.engagement")

TOP = 10  # rows in each "top" list
UPCOMING = "Sessions upcoming (from now)"
ATTENDED = "Attended (recorded)"
RECORDED = "Sessions with attendance recorded"
NOT_RECORDED = "not recorded"
PARTICIPANTS = "Members who took part in a session"
NO_SESSION = "Not about a session"
NO_SECTOR = "Not given"
NO_STATE = "Not given"


@migrations()
def index_events_for_reports(db: sqlite_utils.Database) -> None:
    # Every report figure over events filters on (kind, at) and reads hit, subject or
    # query: with them in the index, SQLite never visits the table.
    db["events"].create_index(["kind", "at", "hit", "subject", "query"], index_name="events_report", if_not_exists=True)


@migrations()
def index_shareouts_for_reports(db: sqlite_utils.Database) -> None:
    # Breakdowns read share-outs of a period by session, sector and visibility, and count
    # members: covering indexes keep the (long) text rows out of it. The second serves
    # attendance, which reads share-outs by session.
    db["shareouts"].create_index(
        ["created_at", "occurrence_id", "sector", "visibility", "user_id"], index_name="shareouts_report", if_not_exists=True
    )
    db["shareouts"].create_index(["occurrence_id", "user_id"], index_name="shareouts_by_session", if_not_exists=True)


@migrations()
def index_events_by_member(db: sqlite_utils.Database) -> None:
    # "Members engaged" asks, member by member, whether each has an event in the period:
    # one index probe a member, however long the period.
    db["events"].create_index(["user_id", "at"], index_name="events_by_member", if_not_exists=True)


@migrations()
def drop_index_read_by_rollups(db: sqlite_utils.Database) -> None:
    # Attendance is read from report_participation now; one index fewer to write per share-out.
    db.execute("drop index if exists shareouts_by_session")


@migrations()
def index_shareouts_by_author(db: sqlite_utils.Database) -> None:
    # Reach by sector takes, member by member, the sector of their latest named share-out: one
    # probe each with the time in the index, where the user_id index alone read every
    # share-out of every member engaged (2.3 s for a month at 1,000,000 share-outs).
    db["shareouts"].create_index(["user_id", "created_at"], index_name="shareouts_by_author", if_not_exists=True)


@migrations()
def index_shareout_sectors_by_author(db: sqlite_utils.Database) -> None:
    # With the sector in it, reach by sector reads each member's latest share-out that gave one
    # from the index alone: the index above sent every probe to the share-out's row in the table
    # (about a tenth of a second of a year's report at 1,000,000 share-outs). It takes the place of that index, a
    # prefix of it; analysed, so that an existing database's planner knows it at once.
    db["shareouts"].create_index(
        ["user_id", "created_at", "sector"], index_name="shareouts_sector_by_author", if_not_exists=True, analyze=True
    )
    db.execute("drop index if exists shareouts_by_author")


@dataclass(frozen=True)
class Trend:
    """A headline figure now and in the previous period of the same length.

    ``current`` and ``previous`` are None when small enough to be suppressed (see :class:`Tally`).
    """

    name: str
    current: int | None
    previous: int | None
    threshold: int = 1

    @classmethod
    def of(
        cls, name: str, current: int, previous: int, threshold: int, *, exact: bool = False, given_away: bool = False
    ) -> Trend:
        """The trend of two counts, suppressing the small ones unless ``exact`` (sessions held), and
        the current one where a column of the report gave it away (:meth:`Suppressor.total`)."""
        hide = Suppressor(1 if exact else threshold)
        now = None if given_away else hide.tally("", name, current).count
        return cls(name, now, hide.tally("", name, previous).count, threshold)

    @property
    def was(self) -> str:
        """The previous figure as shown (``"12"`` or ``"<3"``)."""
        return f"<{self.threshold}" if self.previous is None else str(self.previous)

    @property
    def change(self) -> str:
        """The change in words: ``"+25%"``, ``"-10%"``, ``"no change"``, ``"new"``, or ``""`` when
        either figure is suppressed (a percentage would give it away)."""
        if self.current is None or self.previous is None:
            return ""
        if self.current == self.previous:
            return "no change"
        if self.previous == 0:
            return "new"
        percent = round((self.current - self.previous) * 100 / self.previous)
        return f"{percent:+d}%"

    @property
    def note(self) -> str:
        """The change as every face appends it to a figure: ``"+25% (was 4)"``, or ``""``."""
        return "" if self.change in ("", "no change") else f"{self.change} (was {self.was})"


@dataclass(frozen=True)
class SessionRow:
    """One session in the period, with its RSVPs, attendance and share-outs."""

    id: str
    series_id: str | None
    title: str
    starts_at: datetime  # aware, UTC
    status: str
    held: bool
    going: Tally
    not_going: Tally
    took_part: Tally  # members who RSVP'd going or shared out about it under their name
    attended: Tally  # the headcount a coordinator recorded ("not recorded" when none was)
    shareouts: Tally


@dataclass(frozen=True)
class Report:
    """Every figure for one period; the faces only format it."""

    period: Period
    previous: Period
    threshold: int
    generated_at: datetime
    sessions_held: int
    sessions_cancelled: int
    sessions_upcoming: int
    sessions_recorded: int  # held sessions whose attendance a coordinator recorded
    attended: Tally  # their headcounts, summed
    rsvps_going: Tally
    rsvps_not_going: Tally
    members_engaged: Tally
    participants: Tally  # members who took part in a held session (RSVP'd going or shared out about it)
    repeat_participants: Tally
    shareouts: Tally
    glossary_lookups: Tally
    glossary_misses: Tally
    tipsheet_views: Tally
    safety_net: Tally
    trend: tuple[Trend, ...]
    sessions: tuple[SessionRow, ...]
    pulse_answers: Tally  # post-session pulse answers about the period's sessions
    pulse_average: str  # their mean usefulness ("4.2 of 5"), or why it is not shown
    pulse_tries: Tally  # answers that named one thing to try
    pulse_scores: tuple[Tally, ...]  # answers by score
    reach_by_sector: tuple[Tally, ...]  # members engaged, by profile sector, else their latest share-out's
    reach_by_state: tuple[Tally, ...]  # members engaged, by the state they gave
    shareouts_by_session: tuple[Tally, ...]
    shareouts_by_sector: tuple[Tally, ...]
    shareouts_by_theme: tuple[Tally, ...]
    shareouts_by_visibility: tuple[Tally, ...]
    top_lookups: tuple[Tally, ...]
    top_misses: tuple[Tally, ...]
    top_tipsheets: tuple[Tally, ...]
    connections: tuple[Tally, ...] = ()  # monthly connections' figures (see :func:`connection_figures`)
    detail: Detail | None = None  # the export's own figures, when kept with a closed period's (:mod:`~bot.engagement.kept`)
    kept_at: datetime | None = None  # when a closed period's figures were first exported and kept, or None

    @property
    def kept_note(self) -> str:
        """What every face says of kept figures ("" when they were counted just now)."""
        if self.kept_at is None:
            return ""
        local = self.kept_at.astimezone(self.period.tz)
        return (
            f"Figures as first exported on {local:%B} {local.day}, {local.year} at {local:%H:%M} and kept since: "
            "a member deleting their data later does not change them."
        )

    @property
    def community_wide(self) -> bool:
        """False for a series report, which leaves out glossary and tip-sheet figures."""
        return self.period.series_id is None

    def headline(self) -> list[tuple[str, str]]:
        """The summary figures as (name, value) pairs, in the order every face shows them."""
        pairs = [
            ("Sessions held", str(self.sessions_held)),
            ("Sessions cancelled", str(self.sessions_cancelled)),
            (UPCOMING, str(self.sessions_upcoming)),
            (ATTENDED, self.attended.shown),
            (RECORDED, f"{self.sessions_recorded} of {self.sessions_held}"),
            ("RSVPs going", self.rsvps_going.shown),
            ("RSVPs not going", self.rsvps_not_going.shown),
            ("Members engaged", self.members_engaged.shown),
            ("Repeat participants", self.repeat_participants.shown),
            ("Share-outs", self.shareouts.shown),
            ("Safety-net triggers", self.safety_net.shown),
        ]
        if self.community_wide:
            pairs += [
                ("Glossary lookups", self.glossary_lookups.shown),
                ("Glossary misses", self.glossary_misses.shown),
                ("Tip-sheet views", self.tipsheet_views.shown),
            ]
        return pairs

    @property
    def sessions_to_come(self) -> int:
        """Sessions of the period that have not started yet (neither held nor cancelled)."""
        return sum(1 for row in self.sessions if not row.held and row.status != "cancelled")

    def funder_figures(self) -> list[tuple[str, str, str]]:
        """The figures a funder asks for, as (name, value as shown, what it means), for the summary:
        statements of fact about the period, with no instruction to coordinators."""
        held = self.sessions_held
        attended_note = (
            f"Headcounts coordinators recorded for {self.sessions_recorded} of the {held} sessions held."
            if self.sessions_recorded
            else "No headcount recorded."
        )
        return [
            ("Sessions held", str(held), f"{self.sessions_cancelled} cancelled; {self.sessions_to_come} still to come."),
            (ATTENDED, self.attended.shown, attended_note),
            (PARTICIPANTS, self.participants.shown, "Distinct members who RSVP'd going or shared out about a held session."),
            ("Repeat participants", self.repeat_participants.shown, "Of them, members who took part in two or more."),
            ("Members engaged", self.members_engaged.shown, "Distinct members who used heart-bot at all in the period."),
            ("Share-outs", self.shareouts.shown, "Reflections members wrote after sessions (wins, barriers, resources, asks)."),
            (
                "How useful (1 to 5)",
                self.pulse_average,
                f"Anonymous post-session pulse: {self.pulse_answers.shown} answers; "
                f"{self.pulse_tries.shown} named one thing they'll try.",
            ),
        ]

    def reach(self) -> list[tuple[str, tuple[Tally, ...]]]:
        """Whom the period reached: the members engaged by sector and by state, as (title, rows)."""
        return [("Members reached by sector", self.reach_by_sector), ("Members reached by state", self.reach_by_state)]

    def breakdowns(self) -> list[tuple[str, tuple[Tally, ...]]]:
        """The breakdowns as (title, rows), in the order every face shows them."""
        found = [
            *self.reach(),
            ("Post-session pulse: how useful", self.pulse_scores),
            ("Share-outs by session", self.shareouts_by_session),
            ("Share-outs by sector", self.shareouts_by_sector),
            ("Share-outs by theme", self.shareouts_by_theme),
            ("Share-outs by visibility", self.shareouts_by_visibility),
        ]
        if self.community_wide:
            found += [
                ("Top glossary lookups", self.top_lookups),
                ("Top glossary misses (content backlog)", self.top_misses),
                ("Tip-sheet views", self.top_tipsheets),
                ("Monthly connections", self.connections),
            ]
        return found

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data (``python -m bot report --format json``)."""
        data = asdict(self)
        data["period"] = _period_dict(self.period)
        data["previous"] = _period_dict(self.previous)
        data["generated_at"] = self.generated_at.isoformat()
        data.pop("detail")  # the export's files carry it
        data["kept_at"] = self.kept_at.isoformat() if self.kept_at else None
        data["trend"] = [{**asdict(t), "was": t.was, "change": t.change} for t in self.trend]
        data["summary"] = dict(self.headline())  # as every face shows it
        data["breakdowns"] = {title: [[row.label, row.shown] for row in rows] for title, rows in self.breakdowns()}
        for row, session in zip(data["sessions"], self.sessions, strict=True):
            row["starts_at"] = session.starts_at.isoformat()
        return data


def _period_dict(period: Period) -> dict[str, Any]:
    return {
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "timezone": period.timezone,
        "days": period.days,
        "series_id": period.series_id,
    }


@dataclass(frozen=True)
class Labels:
    """Names to show for stored ids (sectors, themes, glossary entries, tip sheets)."""

    sectors: Mapping[str, str] = field(default_factory=dict)
    themes: Mapping[str, str] = field(default_factory=dict)
    entries: Mapping[str, str] = field(default_factory=dict)
    tipsheets: Mapping[str, str] = field(default_factory=dict)


VISIBILITY_LABELS = {  # as the member chose them in the share-out form
    "coordinators": "Coordinators only, with name",
    "channel_anonymous": "In the channel, without name",
    "channel_named": "In the channel, with name",
    "anonymous": "Coordinators only, without name",
}


# --------------------------------------------------------------------------- the core


def compute(
    store: Store,
    period: Period,
    *,
    threshold: int,
    labels: Labels = Labels(),
    now: datetime | None = None,
) -> Report:
    """Compute the whole report for ``period`` (and its trend against the period before).

    :param threshold: counts from 1 to ``threshold - 1`` in breakdowns are shown as ``"<threshold"``.
    :param now: decides which sessions count as held rather than upcoming (default: now).
    """
    now = now or datetime.now(UTC)
    db = store.db
    tables = _Tables(db)
    suppress = Suppressor(threshold)
    previous = period.previous()
    current, before = _totals(db, tables, period, now), _totals(db, tables, previous, now)
    current["members_engaged"], before["members_engaged"], reached = _members(db, tables, period, previous)
    attended, participants, repeat_participants = _participation(db, tables, period, now)
    sessions = _sessions(db, tables, period, now, suppress, attended)
    _read_day_columns(db, tables, period, current, suppress)
    shared = _shareout_counts(db, tables, period)
    answers, tries, scores = _pulse(db, period)
    lookups = _event_groups(db, tables, period, events.GLOSSARY_LOOKUP, "subject", hit=1)
    misses = _event_groups(db, tables, period, events.GLOSSARY_LOOKUP, "query", hit=0)
    sheets = _event_groups(db, tables, period, events.TIPSHEET_VIEW, "subject")
    titles = {row.id: _session_label(row.starts_at, row.title, period) for row in sessions}
    recorded = [row.attended.key for row in sessions if row.held and row.attended.shown != NOT_RECORDED]
    counted = attendance.headcounts(db, recorded)
    given_away = suppress.given_away
    return Report(
        period=period,
        previous=previous,
        threshold=threshold,
        generated_at=now,
        sessions_held=current["sessions_held"],
        sessions_cancelled=current["sessions_cancelled"],
        sessions_upcoming=_upcoming(db, tables, period, now),
        sessions_recorded=len(recorded),
        attended=suppress.total("attended", ATTENDED, sum(counted.values())),
        rsvps_going=suppress.total("rsvps_going", "RSVPs going", current["rsvps_going"]),
        rsvps_not_going=suppress.total("rsvps_not_going", "RSVPs not going", current["rsvps_not_going"]),
        members_engaged=suppress.tally("members_engaged", "Members engaged", current["members_engaged"]),
        participants=suppress.tally("participants", PARTICIPANTS, participants),
        repeat_participants=suppress.tally("repeat_participants", "Repeat participants", repeat_participants),
        shareouts=suppress.total("shareouts", "Share-outs", current["shareouts"]),
        glossary_lookups=suppress.total("glossary_lookups", "Glossary lookups", current["glossary_lookups"]),
        glossary_misses=suppress.total("glossary_misses", "Glossary misses", current["glossary_misses"]),
        tipsheet_views=suppress.total("tipsheet_views", "Tip-sheet views", current["tipsheet_views"]),
        safety_net=suppress.total(events.SAFETY_NET, "Safety-net triggers", current["safety_net"]),
        trend=tuple(
            Trend.of(name, current[key], before[key], threshold, exact=key == "sessions_held", given_away=key in given_away)
            for key, name in _TREND
            if period.series_id is None or key in _SERIES_TREND
        ),
        sessions=tuple(sessions),
        pulse_answers=suppress.tally("pulse_answers", "Pulse answers", answers),
        pulse_average=_average(scores, answers, threshold),
        pulse_tries=suppress.tally("pulse_tries", "Named one thing to try", tries),
        pulse_scores=_pulse_scores(suppress, scores),
        reach_by_sector=suppress.tallies(reached["sector"].items(), lambda key: labels.sectors.get(key, key) or NO_SECTOR),
        reach_by_state=suppress.tallies(reached["state"].items(), lambda key: STATES.get(key, key) or NO_STATE),
        shareouts_by_session=suppress.tallies(
            shared["occurrence_id"].items(), lambda key: titles.get(key) or _occurrence_label(db, tables, key, period)
        ),
        shareouts_by_sector=suppress.tallies(
            shared["sector"].items(), lambda key: labels.sectors.get(key, key) if key else NO_SECTOR
        ),
        shareouts_by_theme=suppress.tallies(_theme_groups(db, tables, period), lambda key: labels.themes.get(key, key)),
        shareouts_by_visibility=suppress.tallies(shared["visibility"].items(), lambda key: VISIBILITY_LABELS.get(key, key)),
        top_lookups=suppress.tallies(lookups[:TOP], lambda key: labels.entries.get(key, key)),
        top_misses=suppress.tallies(misses[:TOP], lambda key: key),
        top_tipsheets=suppress.tallies(sheets[:TOP], lambda key: labels.tipsheets.get(key, key)),
        connections=connection_figures(db, tables, suppress, period.start_ts, period.end_ts) if period.series_id is None else (),
    )


_TREND = (
    ("sessions_held", "Sessions held"),
    ("rsvps_going", "RSVPs going"),
    ("members_engaged", "Members engaged"),
    ("shareouts", "Share-outs"),
    ("glossary_lookups", "Glossary lookups"),
    ("tipsheet_views", "Tip-sheet views"),
)
_SERIES_TREND = {"sessions_held", "rsvps_going", "members_engaged", "shareouts"}


class _Tables:
    """Which of the tables a report reads exist yet (features land at different times)."""

    def __init__(self, db: sqlite_utils.Database):
        names = set(db.table_names())
        self.sessions = {"series", "occurrences", "rsvps"} <= names
        self.shareouts = "shareouts" in names
        self.themes = "shareout_themes" in names
        self.events = "events" in names
        self.connections = {"connection_rounds", "connection_pairs", "connection_pair_members", "connection_answers"} <= names


def _window(period: Period) -> dict[str, Any]:
    """The period's parameters for SQL: its bounds (also as whole UTC days, see :class:`Span`) and series."""
    return {**Span(period.start_ts, period.end_ts).params(), "series": period.series_id}


def _of_series(period: Period) -> str:
    """SQL condition on ``occurrence_id`` for a series report ('' for a community-wide one)."""
    return " and occurrence_id in (select id from occurrences where series_id = :series)" if period.series_id else ""


def _occurrences(period: Period) -> str:
    """SQL for the ids of occurrences starting in the period (of its series, if it has one)."""
    series = " and series_id = :series" if period.series_id else ""
    return f"select id from occurrences where starts_at >= :lo and starts_at < :hi{series}"


def _shareouts(period: Period) -> str:
    """SQL condition for share-outs created in the period (about its series' sessions, if it has one)."""
    return f"created_at >= :lo and created_at < :hi{_of_series(period)}"


def _totals(db: sqlite_utils.Database, tables: _Tables, period: Period, now: datetime) -> dict[str, int]:
    """The headline counts of one period (computed for the period and for the one before), but
    members engaged (see :func:`_members`, which counts both periods in one pass)."""
    window = _window(period)
    totals = dict.fromkeys(
        (
            "sessions_held",
            "sessions_cancelled",
            "rsvps_going",
            "rsvps_not_going",
            "shareouts",
            "glossary_lookups",
            "glossary_misses",
            "tipsheet_views",
            "safety_net",
        ),
        0,
    )
    if tables.sessions:
        held, cancelled = db.execute(
            "select coalesce(sum(status != 'cancelled' and starts_at <= :now), 0), coalesce(sum(status = 'cancelled'), 0) "
            f"from occurrences where id in ({_occurrences(period)})",
            {**window, "now": now.timestamp()},
        ).fetchone()
        going, not_going = db.execute(
            "select coalesce(sum(response = 'going'), 0), coalesce(sum(response = 'not_going'), 0) "
            f"from rsvps where occurrence_id in ({_occurrences(period)} and status != 'cancelled')",
            window,
        ).fetchone()
        totals |= {"sessions_held": held, "sessions_cancelled": cancelled, "rsvps_going": going, "rsvps_not_going": not_going}
    if tables.shareouts:
        series = _of_series(period)
        counted = db.execute(
            f"select count(*) from shareouts where {Span.rows_in('created_at')}{series} "
            f"union all select coalesce(sum(count), 0) from report_shareout_days where {Span.days()}{series}",
            window,
        ).fetchall()
        totals["shareouts"] = sum(count for (count,) in counted)
    if tables.events and period.series_id is None:
        kinds = f"('{events.GLOSSARY_LOOKUP}', '{events.TIPSHEET_VIEW}', '{events.SAFETY_NET}')"
        # Summed in one pass over the rows as they are stored: grouped by kind, the rollup rows of
        # a year (some 110,000 at 1,000,000 lookups) were sorted first, half of the query's time.
        rows = db.execute(
            f"select {_event_sums('1')} from events where kind in {kinds} and {Span.rows_in('at')} union all "
            f"select {_event_sums('count')} from report_event_days where {Span.days()} and kind in {kinds}",
            window,
        ).fetchall()
        counted = [sum(column) for column in zip(*rows, strict=True)]
        names = ("glossary_lookups", "glossary_misses", "tipsheet_views", "safety_net")
        totals |= dict(zip(names, counted, strict=True))
    return totals


def _event_sums(count: str) -> str:
    """SQL for glossary lookups, glossary misses, tip-sheet views and safety-net triggers, each the
    sum of ``count`` (``1`` over events, ``count`` over their rollups) over the rows of its kind."""
    lookup, sheet, safety = events.GLOSSARY_LOOKUP, events.TIPSHEET_VIEW, events.SAFETY_NET
    return (
        f"coalesce(sum(case when kind = '{lookup}' then {count} end), 0), "
        f"coalesce(sum(case when kind = '{lookup}' and hit = 0 then {count} end), 0), "
        f"coalesce(sum(case when kind = '{sheet}' then {count} end), 0), "
        f"coalesce(sum(case when kind = '{safety}' then {count} end), 0)"
    )


def _upcoming(db: sqlite_utils.Database, tables: _Tables, period: Period, now: datetime) -> int:
    """Scheduled sessions that have not started yet (of the period's series, if it has one),
    whatever the period: a report never reaches past today, and these are still to come."""
    if not tables.sessions:
        return 0
    series = " and series_id = :series" if period.series_id else ""
    sql = f"select count(*) from occurrences where status != 'cancelled' and starts_at > :now{series}"
    return db.execute(sql, {"now": now.timestamp(), "series": period.series_id}).fetchone()[0]


_SCORE_LABELS = {5: "5 · very useful", 4: "4", 3: "3", 2: "2", 1: "1 · not useful"}
TOO_FEW_SCORES = "Too few answers to show each score"


def _pulse_scores(suppress: Suppressor, scores: Counter[int]) -> tuple[Tally, ...]:
    """The pulse's answers by score, or one line saying there are too few to show them.

    All or nothing: beside the number of answers and their mean, a single hidden score could be
    worked out, so one small count hides every score (as it does when there are fewer answers
    than the threshold, each score then being a small count).
    """
    rows = tuple(suppress.tally(str(n), _SCORE_LABELS[n], scores[n]) for n in (5, 4, 3, 2, 1) if scores[n])
    if all(row.count is not None for row in rows):
        return rows
    return (Tally("scores", TOO_FEW_SCORES, HIDDEN, None),)


def _pulse(db: sqlite_utils.Database, period: Period) -> tuple[int, int, Counter[int]]:
    """Pulse answers about the sessions of the period: how many, how many named something to try, by score."""
    names = set(db.table_names())
    if not {"pulse_answers", "occurrences"} <= names:
        return 0, 0, Counter()
    window = _window(period)
    sessions = f"occurrence_id in ({_occurrences(period)})"
    counted = db.execute(f"select usefulness, count(*) from pulse_answers where {sessions} group by 1", window)
    scores: Counter[int] = Counter(dict(counted.fetchall()))
    (tries,) = db.execute(f"select count(*) from pulse_tries where {sessions}", window).fetchone()
    return sum(scores.values()), tries, scores


def _average(scores: Counter[int], answers: int, threshold: int) -> str:
    """The mean usefulness as shown: only from ``threshold`` answers up (fewer could name a member's answer)."""
    if not answers:
        return "no answers yet"
    if answers < threshold:
        return f"not shown (fewer than {threshold} answers)"
    mean = sum(score * count for score, count in scores.items()) / answers
    return f"{mean:.1f} of 5"


def _series_members(period: Period, tables: _Tables) -> str | None:
    """SQL for the ids of the members a series report counts as engaged (those who RSVP'd to, or
    shared out under their name about, its sessions in the period), or None."""
    parts = [f"select user_id from rsvps where occurrence_id in ({_occurrences(period)})"] if tables.sessions else []
    if tables.shareouts:
        parts.append(f"select user_id from shareouts where {_shareouts(period)} and user_id is not null")
    return " union ".join(parts) or None


# Every member id that has an event, walked through the index ``events_by_member``, one probe each.
_EVERY_MEMBER = (
    "with recursive member(id) as (select min(user_id) from events union all "
    "select (select min(user_id) from events where user_id > member.id) from member where member.id is not null)"
)


def _members(
    db: sqlite_utils.Database, tables: _Tables, period: Period, previous: Period
) -> tuple[int, int, dict[str, Counter[str]]]:
    """The members engaged in the period and in the one before, and those of the period counted by
    sector (the one in their profile, else the one their latest share-out under their name gave)
    and by the state in their profile ('' when none).

    Community-wide, members engaged are the distinct members with any interaction recorded in the
    period (every feature records its interactions as events: lookups, tip sheets, RSVPs,
    share-outs under a name...); a series report counts the members who RSVP'd to, or shared out
    under their name about, its sessions.
    """
    found: dict[str, Counter[str]] = {"sector": Counter(), "state": Counter()}
    window = _window(period)
    if period.series_id is None:
        if not tables.events:
            return 0, 0, found
        # One walk over the distinct member ids asks of each member whether they have an event in
        # the period and in the one before (an index probe each): cheaper than reading every event
        # of a long period, exact, and one walk for both periods and the reach.
        members = (
            f"{_EVERY_MEMBER}, m(id, now, before) as materialized (select id, "
            "exists (select 1 from events where user_id = member.id and at >= :lo and at < :hi), "
            "exists (select 1 from events where user_id = member.id and at >= :before_lo and at < :before_hi) "
            "from member where id is not null) "
        )
        window |= {"before_lo": previous.start_ts, "before_hi": previous.end_ts}
    else:
        series_members = _series_members(period, tables)
        if series_members is None:
            return 0, 0, found
        members = f"with m(id, now, before) as materialized (select user_id, 1, 0 from ({series_members})) "
    names = set(db.table_names())
    profile = "member_profiles" in names
    from_profile = "(select nullif(sector, '') from member_profiles where user_id = m.id)" if profile else "null"
    # Read from the index shareouts_sector_by_author alone.
    from_shareouts = (
        "(select sector from shareouts where user_id = m.id and sector is not null order by created_at desc limit 1)"
        if tables.shareouts
        else "null"
    )
    state = "(select nullif(state, '') from member_profiles where user_id = m.id)" if profile else "null"
    # A member's sector and state are looked up only when they were engaged in the period. Both
    # steps are materialized: flattened into the grouping, each member's probes ran once for the
    # grouping key and again for each column (0.17 s of a year's report, against 0.11 s).
    sql = (
        f"{members}, r(sector, state, now, before) as materialized (select "
        f"case when now then coalesce({from_profile}, {from_shareouts}, '') end, "
        f"case when now then coalesce({state}, '') end, now, before from m) "
        "select sector, state, sum(now), sum(before) from r group by 1, 2"
    )
    engaged = engaged_before = 0
    for sector, state_name, count, count_before in db.execute(sql, window):
        engaged_before += count_before
        if count:
            engaged += count
            found["sector"][str(sector)] += count
            found["state"][str(state_name)] += count
    if period.series_id is not None:
        before = _series_members(previous, tables)
        engaged_before = db.execute(f"select count(*) from ({before})", _window(previous)).fetchone()[0] if before else 0
    return engaged, engaged_before, found


def _participation(
    db: sqlite_utils.Database, tables: _Tables, period: Period, now: datetime
) -> tuple[Counter[str], int, int]:
    """Who took part in the held sessions of the period (RSVP'd going, or shared out about the
    session under their id): the members of each session, how many members took part in any,
    and how many in two or more."""
    if not tables.sessions:
        return Counter(), 0, 0
    window = {**_window(period), "now": now.timestamp()}
    held = f"occurrence_id in ({_occurrences(period)} and status != 'cancelled' and starts_at <= :now)"
    attended = Counter(
        dict(db.execute(f"select occurrence_id, count(*) from report_participation where {held} group by 1", window))
    )
    members, repeat = db.execute(
        "select count(*), coalesce(sum(n >= 2), 0) from "
        f"(select user_id, count(*) as n from report_participation where {held} group by 1)",
        window,
    ).fetchone()
    return attended, members, repeat


def _sessions(
    db: sqlite_utils.Database, tables: _Tables, period: Period, now: datetime, suppress: Suppressor, attended: Counter[str]
) -> list[SessionRow]:
    """The sessions that start in the period, oldest first, with their per-session counts: RSVPs,
    headcounts and share-outs hidden column by column where they add up to a headline figure, members
    who took part (counted once in the period however many sessions they came to) one by one."""
    if not tables.sessions:
        return []
    window = {**_window(period), "now": now.timestamp()}
    rows = db.execute(
        "select o.id, o.series_id, coalesce(nullif(o.topic, ''), s.title, o.series_id, 'Session'), o.starts_at, o.status "
        "from occurrences o left join series s on s.id = o.series_id "
        f"where o.id in ({_occurrences(period)}) order by o.starts_at",
        window,
    ).fetchall()
    if not rows:
        return []
    rsvps: dict[tuple[str, str], int] = {
        (occurrence, response): count
        for occurrence, response, count in db.execute(
            f"select occurrence_id, response, count(*) from rsvps where occurrence_id in ({_occurrences(period)}) group by 1, 2",
            window,
        )
    }
    shared: dict[str, int] = {}
    if tables.shareouts:
        shared = dict(
            db.execute(
                "select occurrence_id, sum(count) from report_shareout_days "
                f"where occurrence_id in ({_occurrences(period)}) group by 1",
                window,
            )
        )
    ids = [row[0] for row in rows]
    headcounts = attendance.headcounts(db, ids)
    starts = [datetime.fromtimestamp(row[3], UTC) for row in rows]
    counted = [status != "cancelled" for *_, status in rows]  # the sessions whose RSVPs the headline figures count
    held = [status != "cancelled" and starts_at <= now.timestamp() for *_, starts_at, status in rows]
    going = _column(suppress, [("going", "RSVPs going", rsvps.get((id_, "going"), 0)) for id_ in ids], counted, "rsvps_going")
    not_going = _column(
        suppress, [("not_going", "RSVPs not going", rsvps.get((id_, "not_going"), 0)) for id_ in ids], counted, "rsvps_not_going"
    )
    recorded = [was_held and id_ in headcounts for was_held, id_ in zip(held, ids, strict=True)]
    headcount = _column(suppress, [(id_, ATTENDED, headcounts.get(id_, 0)) for id_ in ids], recorded, "attended")
    # Labelled as in "Share-outs by session", so that both hide the same one of equal counts.
    labels = [_session_label(start, str(row[2]), period) for start, row in zip(starts, rows, strict=True)]
    cells = [(id_, label, shared.get(id_, 0)) for id_, label in zip(ids, labels, strict=True)]
    shareouts = suppress.column(cells, adds_up_to="shareouts")
    return [
        SessionRow(
            id=occurrence_id,
            series_id=series_id,
            title=str(title),
            starts_at=starts[n],
            status=status,
            held=held[n],
            going=going[n],
            not_going=not_going[n],
            took_part=suppress.tally("took_part", "Took part", attended.get(occurrence_id, 0)),
            attended=headcount[n] if occurrence_id in headcounts else Tally(occurrence_id, ATTENDED, NOT_RECORDED, None),
            shareouts=shareouts[n],
        )
        for n, (occurrence_id, series_id, title, _, status) in enumerate(rows)
    ]


def _column(suppress: Suppressor, cells: list[tuple[str, str, int]], counted: list[bool], adds_up_to: str) -> list[Tally]:
    """A column's ``(key, label, count)`` cells as tallies, in row order: those of the ``counted``
    rows, which add up to the headline figure ``adds_up_to``, hidden together
    (:meth:`Suppressor.column`), the others each on its own."""
    together = iter(suppress.column((cell for cell, adds_up in zip(cells, counted, strict=True) if adds_up), adds_up_to))
    return [next(together) if adds_up else suppress.tally(*cell) for cell, adds_up in zip(cells, counted, strict=True)]


def _session_label(starts_at: datetime, title: str, period: Period) -> str:
    """A session as "Share-outs by session" names it: its local date and title."""
    local = starts_at.astimezone(period.tz)
    return f"{local:%b} {local.day} · {title}"


def _occurrence_label(db: sqlite_utils.Database, tables: _Tables, occurrence_id: str, period: Period) -> str:
    """A label for a session outside the period (a late share-out about an earlier one)."""
    if not occurrence_id:
        return NO_SESSION
    if tables.sessions:
        row = db.execute(
            "select o.starts_at, coalesce(nullif(o.topic, ''), s.title, o.series_id) from occurrences o "
            "left join series s on s.id = o.series_id where o.id = ?",
            (occurrence_id,),
        ).fetchone()
        if row:
            local = datetime.fromtimestamp(row[0], UTC).astimezone(period.tz)
            return f"{local:%b} {local.day} · {row[1]}"
    return occurrence_id


def _shareout_counts(db: sqlite_utils.Database, tables: _Tables, period: Period) -> dict[str, Counter[str]]:
    """Share-outs created in the period, counted by session, by sector and by visibility
    (one pass over the covering index ``shareouts_report``)."""
    counts: dict[str, Counter[str]] = {"occurrence_id": Counter(), "sector": Counter(), "visibility": Counter()}
    if not tables.shareouts:
        return counts
    series = _of_series(period)
    rows = db.execute(
        "select occurrence_id, sector, visibility, sum(n) from ("
        "select coalesce(occurrence_id, '') as occurrence_id, coalesce(sector, '') as sector, visibility, count(*) as n "
        f"from shareouts where {Span.rows_in('created_at')}{series} group by 1, 2, 3 union all "
        f"select occurrence_id, sector, visibility, count from report_shareout_days where {Span.days()}{series}"
        ") group by 1, 2, 3 having sum(n) > 0",
        _window(period),
    )
    for occurrence_id, sector, visibility, count in rows:
        counts["occurrence_id"][str(occurrence_id)] += count
        counts["sector"][str(sector)] += count
        counts["visibility"][str(visibility)] += count
    return counts


def _theme_groups(db: sqlite_utils.Database, tables: _Tables, period: Period) -> list[tuple[str, int]]:
    """Share-outs created in the period, counted by theme (one share-out may have several)."""
    if not (tables.shareouts and tables.themes):
        return []
    series = _of_series(period)
    rows = db.execute(
        "select theme, sum(n) from ("
        "select t.theme as theme, count(*) as n from shareouts join shareout_themes t on t.shareout_id = shareouts.id "
        f"where {Span.rows_in('created_at')}{series} group by 1 union all "
        f"select theme, count from report_theme_days where {Span.days()}{series}"
        ") group by 1 having sum(n) > 0",
        _window(period),
    )
    return [(str(key), count) for key, count in rows]


def _event_groups(
    db: sqlite_utils.Database, tables: _Tables, period: Period, kind: str, column: str, hit: int | None = None
) -> list[tuple[str, int]]:
    """Events of one kind in the period counted by ``subject`` or ``query``, most first."""
    if not tables.events or period.series_id is not None:
        return []
    # The rollups keep the entry of a hit, the query of a miss and the sheet of a view as ``key``.
    rows = db.execute(
        "select key, sum(n) from ("
        f"select {column} as key, count(*) as n from events where kind = :kind and {Span.rows_in('at')} "
        f"and (:hit is null or hit = :hit) and {column} is not null group by 1 union all "
        f"select key, count from report_event_days where {Span.days()} and kind = :kind and (:hit is null or hit = :hit) "
        f"and key != ''"
        f") group by 1 having sum(n) > 0 order by 2 desc, 1 limit {TOP}",
        {**_window(period), "kind": kind, "hit": hit},
    )
    return [(str(key), count) for key, count in rows]


def connection_figures(
    db: sqlite_utils.Database, tables: _Tables, suppress: Suppressor, lo: float, hi: float
) -> tuple[Tally, ...]:
    """Monthly connections of the rounds that started from ``lo`` to before ``hi``: groups made
    (pairs and trios), members introduced, the share of groups that answered "Did you meet?"
    with a yes, the share of groups across sectors, and members who had been introduced in an
    earlier round too. Empty when no round started then."""
    if not tables.connections:
        return ()
    rounds = "select id from connection_rounds where status = 'planned' and due_at >= :lo and due_at < :hi"
    if db.execute(f"select count(*) from ({rounds})", {"lo": lo, "hi": hi}).fetchone()[0] == 0:
        return ()
    return _connection_tallies(db, suppress, rounds, {"lo": lo, "hi": hi})


def connection_rounds(store: Store, period: Period, *, threshold: int) -> list[RoundRow]:
    """Each round that started in the period, with its own figures (as :func:`connection_figures`), oldest first."""
    db = store.db
    if not _Tables(db).connections or period.series_id is not None:
        return []
    suppress = Suppressor(threshold)
    rows = db.execute(
        "select id, due_at from connection_rounds where status = 'planned' and due_at >= ? and due_at < ? order by due_at",
        [period.start_ts, period.end_ts],
    ).fetchall()
    return [
        RoundRow(
            round_id, datetime.fromtimestamp(due_at, UTC), _connection_tallies(db, suppress, "select :round", {"round": round_id})
        )
        for round_id, due_at in rows
    ]


def _connection_tallies(
    db: sqlite_utils.Database, suppress: Suppressor, rounds: str, params: dict[str, Any]
) -> tuple[Tally, ...]:
    """The figures of the rounds whose ids ``rounds`` (SQL, with ``params``) selects."""
    pairs = f"select id from connection_pairs where round_id in ({rounds})"
    made, across = db.execute(
        f"select count(*), coalesce(sum(cross_sector), 0) from connection_pairs where round_id in ({rounds})", params
    ).fetchone()
    members = db.execute(
        f"select count(distinct user_id) from connection_pair_members where pair_id in ({pairs}) and user_id is not null", params
    ).fetchone()[0]
    answered, met = db.execute(
        "select count(distinct pair_id), count(distinct case when answer = 'yes' then pair_id end) "
        f"from connection_answers where pair_id in ({pairs})",
        params,
    ).fetchone()
    returning = db.execute(
        "select count(distinct m.user_id) from connection_pair_members m join connection_pairs p on p.id = m.pair_id "
        "join connection_rounds r on r.id = p.round_id "
        f"where p.round_id in ({rounds}) and m.user_id is not null and exists ("
        "select 1 from connection_pair_members m2 join connection_pairs p2 on p2.id = m2.pair_id "
        "join connection_rounds r2 on r2.id = p2.round_id where m2.user_id = m.user_id and r2.due_at < r.due_at)",
        params,
    ).fetchone()[0]
    return (
        suppress.tally("pairs", "Pairs made (and trios)", made),
        suppress.tally("members", "Members introduced", members),
        suppress.share("met", "Share who met (of pairs that answered)", met, answered),
        suppress.share("cross_sector", "Cross-sector share", across, made),
        suppress.tally("returning", "Returning members (introduced in an earlier round too)", returning),
    )


# --------------------------------------------------------------------------- entry points


def series_catalog(store: Store) -> dict[str, SeriesInfo]:
    """Known series by id, with their zone and the local date of their first session."""
    db = store.db
    if not _Tables(db).sessions:
        return {}
    rows = db.execute(
        "select s.id, coalesce(s.title, s.id), coalesce(s.timezone, ''), min(o.starts_at) "
        "from series s left join occurrences o on o.series_id = s.id group by s.id"
    ).fetchall()
    catalog = {}
    for series_id, title, timezone, first in rows:
        zone = timezone or "UTC"
        first_day = None if first is None else datetime.fromtimestamp(first, ZoneInfo(zone)).date()
        catalog[str(series_id)] = SeriesInfo(str(series_id), str(title), zone, first_day)
    return catalog


# --------------------------------------------------------------------------- day by day


@dataclass(frozen=True)
class Day:
    """The figures of one local day (for the daily export)."""

    day: str  # ISO date in the period's zone
    members_engaged: Tally
    shareouts: Tally
    glossary_lookups: Tally
    glossary_misses: Tally
    tipsheet_views: Tally
    safety_net: Tally


def daily(store: Store, period: Period, *, threshold: int) -> list[Day]:
    """The period day by day, each day running from local midnight to local midnight.

    Members engaged, glossary and tip-sheet figures are community-wide, so a series
    report leaves them at 0.
    """
    rows = _day_counts(store.db, _Tables(store.db), period)
    columns = _day_columns(Suppressor(threshold), rows)
    return [Day(row[0], *cells) for row, *cells in zip(rows, *columns, strict=True)]


_DAY_COLUMNS = ("members_engaged", "shareouts", "glossary_lookups", "glossary_misses", "tipsheet_views", events.SAFETY_NET)


def _day_counts(db: sqlite_utils.Database, tables: _Tables, period: Period) -> list[tuple[Any, ...]]:
    """A row a day of the period, oldest first: its ISO date, then a count for each of :data:`_DAY_COLUMNS`."""
    starts = period.day_starts()
    params: dict[str, Any] = {"series": period.series_id}
    for n, (start, end) in enumerate(zip(starts, [*starts[1:], period.end], strict=True)):
        params |= {f"d{n}": start.date().isoformat(), f"l{n}": start.timestamp(), f"h{n}": end.timestamp()}
    days = ", ".join(f"(:d{n}, :l{n}, :h{n})" for n in range(len(starts)))
    community = tables.events and period.series_id is None
    series = " and occurrence_id in (select id from occurrences where series_id = :series)" if period.series_id else ""
    in_day = "created_at >= d.lo and created_at < d.hi"

    def events_of(kind: str, extra: str = "") -> str:
        return f"(select count(*) from events where kind = '{kind}' and at >= d.lo and at < d.hi{extra})" if community else "0"

    engaged = "(select count(distinct user_id) from events where at >= d.lo and at < d.hi)" if community else "0"
    shareouts = f"(select count(*) from shareouts where {in_day}{series})" if tables.shareouts else "0"
    # One row a day; every count is a range lookup on an index.
    return db.execute(
        f"with d(day, lo, hi) as (values {days}) select day, {engaged}, {shareouts}, {events_of(events.GLOSSARY_LOOKUP)}, "
        f"{events_of(events.GLOSSARY_LOOKUP, ' and hit = 0')}, {events_of(events.TIPSHEET_VIEW)}, {events_of(events.SAFETY_NET)} "
        "from d order by day",
        params,
    ).fetchall()


def _read_day_columns(
    db: sqlite_utils.Database, tables: _Tables, period: Period, totals: dict[str, int], suppress: Suppressor
) -> None:
    """Read the export's columns day by day, which add up to headline figures too, for the figures
    they would give away (:meth:`Suppressor.total`), as the sessions' columns are read.

    Only a figure that is a whole number of small counts a day (one lookup a day over a week)
    can be given away, and only then is the period counted day by day (a range count a day for
    each column: 365 of them for a year's report, which needs none of them otherwise).
    """
    days = len(period.day_starts())
    could_be = {days * count for count in range(1, suppress.threshold)}
    if any(totals[name] in could_be for name in _DAY_COLUMNS if name != "members_engaged"):
        _day_columns(suppress, _day_counts(db, tables, period))


def _day_columns(suppress: Suppressor, rows: list[tuple[Any, ...]]) -> list[list[Tally]]:
    """The day-by-day counts of ``rows`` (:func:`_day_counts`) as columns of tallies, each of
    :data:`_DAY_COLUMNS` in turn."""
    # Each column adds up to the period's headline figure of the same name, but members engaged:
    # a member active on two days is one member of the period, so their days add up to no figure shown.
    return [
        [suppress.tally(name, day, counts[n]) for day, *counts in rows]
        if name == "members_engaged"
        else list(suppress.column(((name, day, counts[n]) for day, *counts in rows), adds_up_to=name))
        for n, name in enumerate(_DAY_COLUMNS)
    ]


@dataclass(frozen=True)
class RoundRow:
    """One monthly connections round that started in the period, with its figures (the export's)."""

    round_id: str
    started: datetime  # aware, UTC
    figures: tuple[Tally, ...]


@dataclass(frozen=True)
class RsvpRow:
    """How many members gave one answer about one session (the export's RSVP counts)."""

    occurrence_id: str
    members: Tally  # keyed by the answer


@dataclass(frozen=True)
class Detail:
    """The figures the export adds to a report's: day by day, round by round, RSVPs by session."""

    days: tuple[Day, ...]
    rounds: tuple[RoundRow, ...]
    rsvps: tuple[RsvpRow, ...]


def detail_of(store: Store, report: Report) -> Detail:
    """The export's figures for ``report``: those kept with it, else counted now (small counts hidden)."""
    if report.detail is not None:
        return report.detail
    period, threshold = report.period, report.threshold
    days, rounds = daily(store, period, threshold=threshold), connection_rounds(store, period, threshold=threshold)
    return Detail(tuple(days), tuple(rounds), _rsvp_rows(report))


def _rsvp_rows(report: Report) -> tuple[RsvpRow, ...]:
    """Members by answer for each session of the report that has any (counts only: no member id
    leaves here), as its sessions' table shows them: hidden where it hides them."""
    return tuple(
        RsvpRow(row.id, members) for row in report.sessions for members in (row.going, row.not_going) if members.shown != "0"
    )
