"""Counts kept up to date as rows arrive, so a report over a year reads thousands of rows, not millions.

SQLite triggers maintain them, so every writer (the bot, the CLI, a data fix in
Datasette, a generator) keeps them exact without knowing they exist:

``report_event_days``
    Events per UTC day, kind and outcome (``hit``: 1, 0, or -1 when not a lookup), keyed by
    what reports break them down by: the entry of a glossary hit, the query of a glossary
    miss, the sheet of a tip-sheet view ('' for every other kind).
``report_shareout_days``
    Share-outs per UTC day of creation, session, sector and visibility.
``report_theme_days``
    Share-out themes per UTC day of the share-out's creation and its session.
``report_participation``
    Each (session, member) pair with whether the member RSVP'd going and how many share-outs
    they wrote about it under their id: who took part in which session.

Reports cover whole days in a community's own time zone, which rarely start at UTC midnight:
:class:`Span` splits a period into the whole UTC days it contains, read from these tables,
and the partial days at either end, read from the rows themselves, so every figure stays
exact. Empty ids are stored as '' because a primary key treats NULLs as all different.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bot.store import execute_script

migrations = sqlite_utils.Migrations("heart.rollups")

DAY_SECONDS = 86_400


def _day(column: str) -> str:
    return f"cast({column} / {DAY_SECONDS} as integer)"


def _event_key(row: str) -> str:
    """The breakdown key of an event (``row`` is ``new`` or ``old``)."""
    return (
        f"case when {row}.kind = 'glossary_lookup' and {row}.hit = 0 then coalesce({row}.query, '') "
        f"when {row}.kind in ('glossary_lookup', 'tipsheet_view') then coalesce({row}.subject, '') else '' end"
    )


def _event_counts(row: str, change: str) -> str:
    return (
        "insert into report_event_days (day, kind, hit, key, count) "
        f"values ({_day(row + '.at')}, {row}.kind, coalesce({row}.hit, -1), {_event_key(row)}, {change}) "
        f"on conflict (day, kind, hit, key) do update set count = count + ({change});"
    )


def _shareout_counts(row: str, change: str) -> str:
    return (
        "insert into report_shareout_days (day, occurrence_id, sector, visibility, count) "
        f"values ({_day(row + '.created_at')}, coalesce({row}.occurrence_id, ''), coalesce({row}.sector, ''), "
        f"{row}.visibility, {change}) "
        f"on conflict (day, occurrence_id, sector, visibility) do update set count = count + ({change});"
    )


def _theme_counts(shareout_id: str, theme: str, change: str) -> str:
    """Count ``theme`` of the share-out ``shareout_id`` at its day and session."""
    return (
        "insert into report_theme_days (day, occurrence_id, theme, count) "
        f"select {_day('s.created_at')}, coalesce(s.occurrence_id, ''), {theme}, {change} from shareouts s "
        f"where s.id = {shareout_id} on conflict (day, occurrence_id, theme) do update set count = count + ({change});"
    )


def _no_longer_took_part(occurrence: str, user: str, change: str) -> str:
    return (
        f"update report_participation set {change} where occurrence_id = {occurrence} and user_id = {user};"
        "delete from report_participation "
        f"where occurrence_id = {occurrence} and user_id = {user} and rsvp_going = 0 and shareouts = 0;"
    )


_AUTHOR = "{row}.user_id is not null and {row}.occurrence_id is not null"


@migrations()
def create_report_rollups(db: sqlite_utils.Database) -> None:
    # WITHOUT ROWID: the rows live in their primary key's b-tree, so a range of days is one
    # contiguous read and an upsert touches one b-tree, not two.
    execute_script(
        db,
        """
        create table report_event_days (
            day integer not null, kind text not null, hit integer not null, key text not null, count integer not null,
            primary key (day, kind, hit, key)
        ) without rowid;
        create table report_shareout_days (
            day integer not null, occurrence_id text not null, sector text not null, visibility text not null,
            count integer not null,
            primary key (day, occurrence_id, sector, visibility)
        ) without rowid;
        create table report_theme_days (
            day integer not null, occurrence_id text not null, theme text not null, count integer not null,
            primary key (day, occurrence_id, theme)
        ) without rowid;
        create table report_participation (
            occurrence_id text not null, user_id text not null,
            rsvp_going integer not null default 0, shareouts integer not null default 0,
            primary key (occurrence_id, user_id)
        ) without rowid;
        """
    )
    _fill(db)
    author_new = _AUTHOR.format(row="new")
    execute_script(
        db,
        f"""
        create trigger report_event_added after insert on events begin {_event_counts("new", "1")} end;
        create trigger report_event_removed after delete on events begin {_event_counts("old", "-1")} end;
        create trigger report_event_changed after update of at, kind, hit, subject, query on events begin
            {_event_counts("old", "-1")} {_event_counts("new", "1")}
        end;

        create trigger report_shareout_added after insert on shareouts begin
            {_shareout_counts("new", "1")}
            insert into report_participation (occurrence_id, user_id, shareouts)
                select new.occurrence_id, new.user_id, 1 where {author_new}
                on conflict (occurrence_id, user_id) do update set shareouts = shareouts + 1;
        end;
        create trigger report_shareout_removed after delete on shareouts begin
            {_shareout_counts("old", "-1")}
            {_no_longer_took_part("old.occurrence_id", "old.user_id", "shareouts = shareouts - 1")}
        end;
        create trigger report_shareout_changed after update of created_at, occurrence_id, sector, visibility, user_id
            on shareouts begin
            {_shareout_counts("old", "-1")} {_shareout_counts("new", "1")}
            update report_theme_days set count = count - 1
                where day = {_day("old.created_at")} and occurrence_id = coalesce(old.occurrence_id, '')
                and theme in (select theme from shareout_themes where shareout_id = new.id);
            insert into report_theme_days (day, occurrence_id, theme, count)
                select {_day("new.created_at")}, coalesce(new.occurrence_id, ''), theme, 1
                from shareout_themes where shareout_id = new.id
                on conflict (day, occurrence_id, theme) do update set count = count + 1;
            {_no_longer_took_part("old.occurrence_id", "old.user_id", "shareouts = shareouts - 1")}
            insert into report_participation (occurrence_id, user_id, shareouts)
                select new.occurrence_id, new.user_id, 1 where {author_new}
                on conflict (occurrence_id, user_id) do update set shareouts = shareouts + 1;
        end;

        create trigger report_theme_added after insert on shareout_themes begin
            {_theme_counts("new.shareout_id", "new.theme", "1")}
        end;
        create trigger report_theme_removed after delete on shareout_themes begin
            {_theme_counts("old.shareout_id", "old.theme", "-1")}
        end;

        create trigger report_rsvp_added after insert on rsvps when new.response = 'going' begin
            insert into report_participation (occurrence_id, user_id, rsvp_going) values (new.occurrence_id, new.user_id, 1)
                on conflict (occurrence_id, user_id) do update set rsvp_going = 1;
        end;
        create trigger report_rsvp_changed after update on rsvps begin
            {_no_longer_took_part("old.occurrence_id", "old.user_id", "rsvp_going = 0")}
            insert into report_participation (occurrence_id, user_id, rsvp_going)
                select new.occurrence_id, new.user_id, 1 where new.response = 'going'
                on conflict (occurrence_id, user_id) do update set rsvp_going = 1;
        end;
        create trigger report_rsvp_removed after delete on rsvps begin
            {_no_longer_took_part("old.occurrence_id", "old.user_id", "rsvp_going = 0")}
        end;
        """
    )


def _fill(db: sqlite_utils.Database) -> None:
    """Count what a database already holds (an upgrade); new rows are counted by the triggers."""
    db.execute(
        "insert into report_event_days (day, kind, hit, key, count) "
        f"select {_day('at')}, kind, coalesce(hit, -1), {_event_key('events')}, count(*) from events group by 1, 2, 3, 4"
    )
    db.execute(
        "insert into report_shareout_days (day, occurrence_id, sector, visibility, count) "
        f"select {_day('created_at')}, coalesce(occurrence_id, ''), coalesce(sector, ''), visibility, count(*) "
        "from shareouts group by 1, 2, 3, 4"
    )
    db.execute(
        "insert into report_theme_days (day, occurrence_id, theme, count) "
        f"select {_day('s.created_at')}, coalesce(s.occurrence_id, ''), t.theme, count(*) "
        "from shareout_themes t join shareouts s on s.id = t.shareout_id group by 1, 2, 3"
    )
    db.execute(
        "insert into report_participation (occurrence_id, user_id, rsvp_going, shareouts) "
        "select occurrence_id, user_id, max(going), sum(written) from ("
        "  select occurrence_id, user_id, 1 as going, 0 as written from rsvps where response = 'going'"
        "  union all"
        "  select occurrence_id, user_id, 0, 1 from shareouts where user_id is not null and occurrence_id is not null"
        ") group by 1, 2"
    )


@dataclass(frozen=True)
class Span:
    """``[lo, hi)`` as the whole UTC days inside it and the partial days at either end.

    SQL built with :meth:`rows_in` reads the rows of the partial days; :meth:`days` reads the
    rollups of the whole ones. Together they count each row of the span exactly once.
    """

    lo: float
    hi: float

    @property
    def first_day(self) -> int:
        """The first whole UTC day (day numbers count from 1970-01-01)."""
        return math.ceil(self.lo / DAY_SECONDS)

    @property
    def end_day(self) -> int:
        """The day after the last whole UTC day (equal to ``first_day`` when there is none)."""
        return max(self.first_day, math.floor(self.hi / DAY_SECONDS))

    def params(self) -> dict[str, Any]:
        """The named parameters :meth:`rows_in` and :meth:`days` use."""
        whole = self.end_day > self.first_day
        return {
            "lo": self.lo,
            "hi": self.hi,
            "whole_lo": self.first_day * DAY_SECONDS if whole else self.hi,
            "whole_hi": self.end_day * DAY_SECONDS if whole else self.hi,
            "first_day": self.first_day,
            "end_day": self.end_day,
        }

    @staticmethod
    def rows_in(column: str) -> str:
        """SQL: ``column`` (a timestamp) falls in a partial day at either end of the span."""
        return f"(({column} >= :lo and {column} < :whole_lo) or ({column} >= :whole_hi and {column} < :hi))"

    @staticmethod
    def days(column: str = "day") -> str:
        """SQL: a rollup's ``column`` is one of the span's whole days."""
        return f"({column} >= :first_day and {column} < :end_day)"
