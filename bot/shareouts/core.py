"""Share-outs: a member's short reflection after a session, kept with their consent.

A share-out is saved once per request (``request_key``: the modal's view id and hash, or
the slash command's trigger id), so a Slack retry or a double submit never makes two
rows, and the row is committed before anyone is told it was saved.

Who wrote it is stored according to its visibility. For "anonymous to everyone" no user
id is stored at all, only ``author_hash``: a random salt and a keyed hash (HMAC-SHA256 with
``SHAREOUT_HASH_SECRET``) of the member id and that salt. It lets the author alone list,
edit, export and delete the share-out; nobody holding the database without the secret can
turn it back into a member, and, each share-out having its own salt, nobody can tell that
two anonymous share-outs came from the same member. Every read and write here goes through
an :class:`Owner`, which matches either way.

Nor does an anonymous share-out keep a time that could name its author beside the member's
own named activity (their lookups and RSVPs, stored to the second). It keeps only its day
(:mod:`bot.coarse`), created and updated alike, and so does the event that counts it; its
id is day-ordered and random within the day, its themes' row ids follow from its id, its
request key is sealed, nothing is logged about it, and the write-ahead log, which orders
each write among the others, is emptied after each of its writes. "Mine" keeps the member's
own order without a time: each share-out holds a running number sealed with its owner's key.

The text is never logged, and never put in an exception message.
"""

from __future__ import annotations

import csv
import functools
import hmac
import io
import json
import logging
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

import sqlite_utils

from bot import coarse, events
from bot.group_commit import GroupCommit
from bot.sessions import core as sessions
from bot.sessions.core import Occurrence
from bot.shareouts.content import ShareoutContent
from bot.store import Store

log = logging.getLogger(__name__)

MAX_TEXT = 2000
# Used only where nothing is served to Slack (the offline shell, in-process tests):
# serving refuses to start without SHAREOUT_HASH_SECRET.
OFFLINE_SECRET = "offline only: serving Slack needs SHAREOUT_HASH_SECRET"

migrations = sqlite_utils.Migrations("heart.shareouts")


@migrations()
def create_shareouts(db: sqlite_utils.Database) -> None:
    db["shareouts"].create(
        {
            "id": int,
            "created_at": float,
            "updated_at": float,
            "occurrence_id": str,
            "sector": str,
            "visibility": str,
            "user_id": str,
            "author_hash": str,
            "text": str,
            "channel_id": str,
            "message_ts": str,
            "request_key": str,
        },
        pk="id",
        not_null={"created_at", "visibility", "request_key"},
    )
    for columns in (["created_at"], ["occurrence_id"], ["user_id"], ["author_hash"]):
        db["shareouts"].create_index(columns)
    db["shareouts"].create_index(["request_key"], unique=True)
    db["shareout_themes"].create(
        {"shareout_id": int, "theme": str},
        pk=("shareout_id", "theme"),
        foreign_keys=[("shareout_id", "shareouts", "id")],
    )
    db["shareout_themes"].create_index(["theme"])


# A theme row's id is its share-out's id times this, plus its place in the member's choice: it
# keeps that order without telling when the row was written.
THEMES_PER_SHAREOUT = 256  # more than a Slack menu can offer (100)


@migrations()
def keep_anonymous_share_outs_to_the_day(db: sqlite_utils.Database) -> None:
    # The member's own order of their share-outs: a running number, sealed with the owner's key.
    db["shareouts"].add_column("author_order", int)
    db["shareout_sequence"].create({"id": int, "last": int}, pk="id")
    db["shareout_sequence"].insert({"id": 1, "last": 0})
    # Theme rows took the next row id as they were written; give them the ids they take now.
    db.execute(
        "create temp table theme_rows as select rowid as old, "
        f"shareout_id * {THEMES_PER_SHAREOUT} + row_number() over (partition by shareout_id order by rowid) - 1 as new "
        "from shareout_themes"
    )
    db.execute("update shareout_themes set rowid = -rowid")  # out of the way of the new ids
    db.execute("update shareout_themes set rowid = (select new from temp.theme_rows where old = -shareout_themes.rowid)")
    db.execute("drop table temp.theme_rows")


class Visibility(StrEnum):
    """Who can read a share-out, and who can tell who wrote it."""

    COORDINATORS = "coordinators"  # coordinators read it and know the author
    CHANNEL_ANONYMOUS = "channel_anonymous"  # posted without a name; kept with the author, shown to nobody
    CHANNEL_NAMED = "channel_named"  # posted with the author's name
    ANONYMOUS = "anonymous"  # coordinators read it; nobody can tell who wrote it

    @property
    def in_channel(self) -> bool:
        """True when the share-out is posted in a channel."""
        return self in (Visibility.CHANNEL_ANONYMOUS, Visibility.CHANNEL_NAMED)


class Field(StrEnum):
    """The parts of a share-out a member fills in (also the form's block ids)."""

    SESSION = "session"
    SECTOR = "sector"
    THEMES = "themes"
    TEXT = "text"
    VISIBILITY = "visibility"


@dataclass(frozen=True)
class Draft:
    """What a member asks to save: the reflection and their choices."""

    text: str
    visibility: Visibility = Visibility.COORDINATORS
    occurrence_id: str | None = None
    sector: str | None = None
    themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Owner:
    """A member as the owner of share-outs: their id, and the key that seals their anonymous ones."""

    user_id: str
    key: bytes = field(repr=False)

    @classmethod
    def of(cls, user_id: str, secret: str | None) -> Owner:
        """The owner for ``user_id``, sealing with ``secret``."""
        return cls(user_id, (secret or OFFLINE_SECRET).encode())

    def seal(self, salt: str | None = None) -> str:
        """The author code of one anonymous share-out: ``salt:HMAC(member id, salt)``, with a fresh
        random salt unless given (to check a stored code)."""
        salt = salt or secrets.token_hex(8)
        return f"{salt}:{self._digest(f'shareout-author:{self.user_id}:{salt}')}"

    def owns(self, code: str | None) -> bool:
        """True when ``code`` (a stored ``author_hash``) was sealed by this member."""
        if not code:
            return False
        salt, salted, _ = code.partition(":")
        return hmac.compare_digest(code, self.seal(salt) if salted else self._member_code)

    @functools.cached_property
    def _member_code(self) -> str:
        """The one code per member that share-outs had before each got its own salt."""
        return self._digest(f"shareout-author:{self.user_id}")

    def columns(self, visibility: Visibility) -> dict[str, str | None]:
        """The author columns a share-out of ``visibility`` stores: the id, or only a sealed code."""
        if visibility is Visibility.ANONYMOUS:
            return {"user_id": None, "author_hash": self.seal()}
        return {"user_id": self.user_id, "author_hash": None}

    def request_code(self, request_key: str) -> str:
        """What is stored of a request key: Slack's view hashes begin with the time the form opened."""
        return self._digest(f"shareout-request:{self.user_id}:{request_key}")

    def order_code(self, shareout_id: int, value: int) -> int:
        """``value`` (a running number) sealed for the share-out ``shareout_id``, or a sealed one
        opened: it is XORed with 48 bits of a keyed hash of the member and that share-out, so
        nobody without the key can read it, or tell the member's share-outs apart from others'."""
        mask = hmac.digest(self.key, f"shareout-order:{self.user_id}:{shareout_id}".encode(), "sha256")
        return value ^ int.from_bytes(mask[:6])

    def _digest(self, message: str) -> str:
        return hmac.digest(self.key, message.encode(), "sha256").hex()  # one call into OpenSSL, same HMAC


@dataclass(frozen=True)
class Shareout:
    """A saved share-out. ``text`` is None once retention removed it; ``user_id`` is None when anonymous."""

    id: int
    created_at: datetime
    updated_at: datetime | None
    visibility: Visibility
    text: str | None
    occurrence_id: str | None
    sector: str | None
    themes: tuple[str, ...]
    user_id: str | None
    channel_id: str | None
    message_ts: str | None

    @property
    def draft(self) -> Draft:
        """The share-out as a draft, to prefill the form."""
        return Draft(self.text or "", self.visibility, self.occurrence_id, self.sector, self.themes)

    @property
    def first_line(self) -> str:
        """The first non-empty line of the text ("" once removed)."""
        return next((line.strip() for line in (self.text or "").splitlines() if line.strip()), "")

    @property
    def day_only(self) -> bool:
        """True when only the day it was written is kept (made "anonymous to everyone")."""
        return coarse.is_day(self.created_at.timestamp())


@dataclass(frozen=True)
class Saved:
    """The outcome of :func:`save`. ``created`` is False when the request had already been saved."""

    shareout: Shareout
    created: bool


@dataclass(frozen=True)
class Description:
    """A share-out with what it takes to show it: its session, labels, and channel."""

    shareout: Shareout
    session: Occurrence | None
    sector: str | None  # label
    themes: tuple[str, ...]  # labels
    channel_id: str | None  # where it is (or will be) posted; None unless in a channel


@dataclass(frozen=True)
class Page:
    """A page of a member's share-outs, newest first."""

    shareouts: tuple[Shareout, ...]
    total: int
    offset: int


# ------------------------------------------------------------------------- sessions


def session_choices(store: Store, now: datetime, keep: str | None = None) -> list[Occurrence]:
    """The sessions a share-out can be about (newest first), plus ``keep`` if it is not among them."""
    found = sessions.shareable_occurrences(store, now)
    if keep and all(o.id != keep for o in found) and (kept := sessions.get_occurrence(store, keep)) is not None:
        found.append(kept)
    return found


def default_session_id(store: Store, now: datetime, preferred: str | None = None) -> str | None:
    """The session a new share-out is about unless the member says otherwise: ``preferred`` (the
    session a post-session button names) while share-outs for it are open, else the one running
    now or the one that ended most recently (within a day), if any."""
    if preferred and any(o.id == preferred for o in sessions.shareable_occurrences(store, now)):
        return preferred
    occurrence = sessions.shareout_default_occurrence(store, now)
    return occurrence.id if occurrence else None


def occurrences_by_id(store: Store, occurrence_ids: Iterable[str | None]) -> dict[str, Occurrence]:
    """The occurrences behind ``occurrence_ids`` that still exist, by id."""
    found = {}
    for occurrence_id in {i for i in occurrence_ids if i}:
        if (occurrence := sessions.get_occurrence(store, occurrence_id)) is not None:
            found[occurrence_id] = occurrence
    return found


# ------------------------------------------------------------------------- checks


def check(
    store: Store,
    content: ShareoutContent,
    draft: Draft,
    *,
    now: datetime,
    origin_channel: str | None,
    current: Shareout | None = None,
) -> dict[Field, str]:
    """Every problem with ``draft``, by field, worded for the member (empty when it can be saved).

    ``current`` is the share-out being edited: its session stays valid even once closed.
    """
    problems: dict[Field, str] = {}
    length = len(draft.text)
    if not draft.text.strip():
        problems[Field.TEXT] = "Please write your reflection: a win, a barrier, a resource or an ask."
    elif length > MAX_TEXT:
        problems[Field.TEXT] = (
            f"That's {length:,} characters; a share-out holds up to {MAX_TEXT:,}. Please shorten it by {length - MAX_TEXT:,}."
        )
    if draft.occurrence_id and not (current and current.occurrence_id == draft.occurrence_id):
        problem = _session_problem(store, draft.occurrence_id, now)
        if problem:
            problems[Field.SESSION] = problem
    if draft.sector is not None and draft.sector not in {s.id for s in content.sectors}:
        problems[Field.SECTOR] = "Please choose a role or sector from the list."
    if not set(draft.themes) <= {t.id for t in content.themes}:
        problems[Field.THEMES] = "Please choose themes from the list."
    nowhere_to_post = draft.visibility.in_channel and channel_for(store, draft, origin_channel) is None
    if nowhere_to_post and Field.SESSION not in problems:
        problems[Field.VISIBILITY] = (
            "To share in a channel, choose the session it's about, or use /shareout in the channel you want to share in."
        )
    return problems


def _session_problem(store: Store, occurrence_id: str, now: datetime) -> str | None:
    occurrence = sessions.get_occurrence(store, occurrence_id)
    if occurrence is None:
        return "That session no longer exists. Please choose another, or “Not about a session”."
    if all(o.id != occurrence_id for o in session_choices(store, now)):
        return "Share-outs for that session are closed. Please choose another, or “Not about a session”."
    return None


def describe(store: Store, content: ShareoutContent, shareout: Shareout, origin_channel: str | None) -> Description:
    """Everything needed to show ``shareout``; ``origin_channel`` is where the member used /shareout."""
    channel = None
    if shareout.visibility.in_channel:
        channel = shareout.channel_id or channel_for(store, shareout.draft, origin_channel)
    return Description(
        shareout=shareout,
        session=sessions.get_occurrence(store, shareout.occurrence_id) if shareout.occurrence_id else None,
        sector=content.sector_label(shareout.sector),
        themes=tuple(content.theme_label(theme) for theme in shareout.themes),
        channel_id=channel,
    )


def channel_for(store: Store, draft: Draft, origin_channel: str | None) -> str | None:
    """Where an in-channel share-out is posted: its session's channel, else the channel it came from."""
    if draft.occurrence_id and (occurrence := sessions.get_occurrence(store, draft.occurrence_id)) and occurrence.channel_id:
        return occurrence.channel_id
    # Only channels (C...) and private channels (G...): a DM with the bot is nobody's audience.
    if origin_channel and origin_channel[:1] in ("C", "G"):
        return origin_channel
    return None


# ------------------------------------------------------------------------- writing


def save(
    commits: GroupCommit, draft: Draft, owner: Owner, *, request_key: str, now: datetime, zone: tzinfo
) -> Future[Saved]:
    """Save ``draft`` once per ``request_key``; a repeat resolves to the row saved the first time.

    The future is resolved once the row is committed (together with the other share-outs
    saved at the same moment), with the event that counts it. The draft must have passed
    :func:`check`. ``zone`` is the community's: an anonymous share-out keeps its day there.
    """
    saving = commits.submit(lambda db: _insert_once(db, draft, owner, request_key=request_key, now=now, zone=zone))
    if draft.visibility is not Visibility.ANONYMOUS:
        saving.add_done_callback(_log_saved)
        return saving
    # Not logged: a log line's time would be its moment. And before anyone is told it is saved,
    # the write-ahead log goes, which orders it among the writes just before and after it.
    settled: Future[Saved] = Future()
    saving.add_done_callback(functools.partial(_settle, commits.store, settled))
    return settled


def _settle(store: Store, settled: Future[Saved], saving: Future[Saved]) -> None:
    """Empty the write-ahead log after an anonymous share-out is committed, then pass the outcome on."""
    if (error := saving.exception()) is not None:
        settled.set_exception(error)
        return
    try:
        if saving.result().created:
            store.erase_history()
    except sqlite3.Error as error:  # saved all the same; the log is emptied at its next checkpoint
        log.warning("could not empty the write-ahead log after a share-out (%s)", type(error).__name__)
    settled.set_result(saving.result())


def _insert_once(
    db: sqlite_utils.Database, draft: Draft, owner: Owner, *, request_key: str, now: datetime, zone: tzinfo
) -> Saved:
    sealed_key = owner.request_code(request_key)
    existing = db.execute("select id from shareouts where request_key = ?", [sealed_key]).fetchone()
    if existing:
        return Saved(_load(db, existing[0]), created=False)
    if draft.visibility is Visibility.ANONYMOUS:
        created = coarse.day_of(now, zone)
        shareout_id = coarse.day_id(db, "shareouts", created)
    else:
        created, shareout_id = now.timestamp(), coarse.next_id(db, "shareouts")
    row = {
        "id": shareout_id,
        "created_at": created,
        "occurrence_id": draft.occurrence_id,
        "sector": draft.sector,
        "visibility": draft.visibility.value,
        "text": draft.text,
        "request_key": sealed_key,
        "author_order": owner.order_code(shareout_id, _next_order(db)),
        **owner.columns(draft.visibility),
    }
    # A plain INSERT into the table the migrations made: this runs for every share-out, inside
    # the group commit's one writer thread, where sqlite-utils' generic insert (it looks the
    # table up and prepares every value for JSON) took more time than SQLite's own work.
    db.conn.execute(f"insert into shareouts ({', '.join(row)}) values ({', '.join('?' * len(row))})", list(row.values()))
    _add_themes(db, shareout_id, draft.themes)
    shared = events.Event(events.SHAREOUT, row["user_id"], draft.occurrence_id, at=created)
    events.write(db, [shared], zone)
    # The row just written, as it reads back (no edit, no channel post yet), without reading it back.
    shareout = Shareout(
        id=shareout_id,
        created_at=_when(created),
        updated_at=None,
        visibility=draft.visibility,
        text=draft.text,
        occurrence_id=draft.occurrence_id,
        sector=draft.sector,
        themes=tuple(dict.fromkeys(draft.themes)),
        user_id=row["user_id"],
        channel_id=None,
        message_ts=None,
    )
    return Saved(shareout, created=True)


def _next_order(db: sqlite_utils.Database) -> int:
    """The next running number of share-outs (one for all members, so it needs no member's rows)."""
    (value,) = db.execute("update shareout_sequence set last = last + 1 where id = 1 returning last").fetchone()
    return value


def _log_saved(saving: Future[Saved]) -> None:
    if saving.exception() is None and (saved := saving.result()).created:
        log.info("share-out %s saved (%s)", saved.shareout.id, saved.shareout.visibility.value)


def update(
    store: Store, shareout_id: int, owner: Owner, draft: Draft, *, now: datetime, zone: tzinfo
) -> Shareout | None:
    """Replace an owner's share-out with ``draft``; None if it is not theirs or is gone.

    An anonymous share-out keeps only the day of the edit. Turning one "anonymous to everyone"
    keeps only the day of its times, gives it a new, day-ordered id (its own placed it among
    others' in time), and takes the member id off the event that counted it, so no record
    links the two any more; then wipes the earlier versions from the disk.
    """
    anonymous = draft.visibility is Visibility.ANONYMOUS
    with store.transaction() as db:
        current = _owned(db, shareout_id, owner)
        if current is None:
            return None
        if anonymous and current.visibility is not Visibility.ANONYMOUS:
            shareout_id = _keep_to_the_day(db, current.id, zone, owner)
            if current.user_id:
                day = coarse.day_of(current.created_at, zone)
                events.unlink(db, events.SHAREOUT, current.user_id, current.created_at.timestamp(), day=day)
        changes = {
            "updated_at": coarse.day_of(now, zone) if anonymous else now.timestamp(),
            "occurrence_id": draft.occurrence_id,
            "sector": draft.sector,
            "visibility": draft.visibility.value,
            "text": draft.text,
            **owner.columns(draft.visibility),
        }
        _clear_themes(db, shareout_id)
        db["shareouts"].update(shareout_id, changes)
        _add_themes(db, shareout_id, draft.themes)
        updated = _load(db, shareout_id)
    if anonymous:
        store.erase_history()
    else:
        log.info("share-out %s edited (%s)", shareout_id, draft.visibility.value)
    return updated


def _keep_to_the_day(db: sqlite_utils.Database, shareout_id: int, zone: tzinfo, owner: Owner | None = None) -> int:
    """Keep a share-out's times to their day and give it a day-ordered id and a request key that
    carries nothing; returns the new id. ``owner`` reseals its running number for the new id
    (written before running numbers, a share-out has none)."""
    created, updated, order = db.execute(
        "select created_at, updated_at, author_order from shareouts where id = ?", [shareout_id]
    ).fetchone()
    day = coarse.day_of(_when(created), zone)
    new_id = coarse.day_id(db, "shareouts", day)
    themes = _themes_of(db, shareout_id)
    _clear_themes(db, shareout_id)  # they name the old id
    changes = {
        "id": new_id,
        "created_at": day,
        "updated_at": None if updated is None else coarse.day_of(_when(updated), zone),
        "request_key": secrets.token_hex(16),
        "author_order": owner.order_code(new_id, owner.order_code(shareout_id, order)) if owner and order is not None else None,
    }
    db["shareouts"].update(shareout_id, changes)
    _add_themes(db, new_id, themes)
    return new_id


def record_post(store: Store, shareout_id: int, channel_id: str | None, message_ts: str | None) -> None:
    """Remember the channel message that shows a share-out (or that there is none)."""
    with store.transaction() as db:
        db.execute("update shareouts set channel_id = ?, message_ts = ? where id = ?", [channel_id, message_ts, shareout_id])
        visibility = db.execute("select visibility from shareouts where id = ?", [shareout_id]).fetchone()
    if message_ts is None and visibility == (Visibility.ANONYMOUS.value,):
        store.erase_history()  # a post's ts is the moment it was posted


def delete(store: Store, shareout_id: int, owner: Owner) -> Shareout | None:
    """Delete an owner's share-out and its themes; returns what was deleted (None if not theirs)."""
    with store.transaction() as db:
        found = _owned(db, shareout_id, owner)
        if found is None:
            return None
        _clear_themes(db, shareout_id)
        db.execute("delete from shareouts where id = ?", [shareout_id])
    if found.visibility is not Visibility.ANONYMOUS:
        log.info("share-out %s deleted", shareout_id)
    store.erase_history()
    return found


def delete_all(db: sqlite_utils.Database, owner: Owner) -> list[Shareout]:
    """Delete every share-out of the owner and their themes, in the open transaction ``db`` (a
    member deleting all their data); returns what was deleted, oldest first."""
    mine = _all_mine(db, owner)
    ids = [shareout.id for shareout in mine]
    if ids:
        marks = ",".join("?" * len(ids))
        db.execute(f"delete from shareout_themes where shareout_id in ({marks})", ids)
        db.execute(f"delete from shareouts where id in ({marks})", ids)
    return mine


def purge_texts(store: Store, *, older_than: datetime) -> int:
    """Remove the text of every share-out created before ``older_than``, keeping the rows for counts."""
    with store.transaction() as db:
        cursor = db.execute(
            "update shareouts set text = null where created_at < ? and text is not null", [older_than.timestamp()]
        )
    if cursor.rowcount:
        log.info("retention: removed the text of %d share-outs", cursor.rowcount)
        store.erase_history()
    return cursor.rowcount


def _themes_of(db: sqlite_utils.Database, shareout_id: int) -> tuple[str, ...]:
    rows = db.execute("select theme from shareout_themes where shareout_id = ? order by rowid", [shareout_id])
    return tuple(theme for (theme,) in rows)


def _clear_themes(db: sqlite_utils.Database, shareout_id: int) -> None:
    db.execute("delete from shareout_themes where shareout_id = ?", [shareout_id])


def _add_themes(db: sqlite_utils.Database, shareout_id: int, themes: tuple[str, ...]) -> None:
    """Add a share-out's themes in the member's order (see :data:`THEMES_PER_SHAREOUT`)."""
    rows = [
        (shareout_id * THEMES_PER_SHAREOUT + place, shareout_id, theme)
        for place, theme in enumerate(dict.fromkeys(themes))
    ]
    db.conn.executemany("insert into shareout_themes (rowid, shareout_id, theme) values (?, ?, ?)", rows)


def day_migrations(zone: tzinfo) -> sqlite_utils.Migrations:
    """The one-off migration that keeps the anonymous share-outs saved before to their day in
    ``zone`` (the runtime applies it after the features' own sets, which know no zone)."""
    day_kept = sqlite_utils.Migrations("heart.shareouts.days")

    @day_kept()
    def anonymous_share_outs_keep_only_their_day(db: sqlite_utils.Database) -> None:
        for (shareout_id,) in db.execute("select id from shareouts where visibility = 'anonymous' and id > 0").fetchall():
            _keep_to_the_day(db, shareout_id, zone)

    return day_kept


# ------------------------------------------------------------------------- reading

_COLUMNS = "id, created_at, updated_at, visibility, text, occurrence_id, sector, user_id, channel_id, message_ts"


def _my_ids(db: sqlite_utils.Database, owner: Owner) -> list[int]:
    """The ids of the owner's share-outs, oldest first in the member's own order: by their sealed
    running numbers, after those written before running numbers (by time: their day, for an
    anonymous one). No stored code names its author, so every anonymous share-out's code is
    checked against the owner's key (one HMAC each)."""
    rows = db.execute(
        "select id, user_id, author_hash, author_order, created_at from shareouts where user_id = ? or author_hash is not null",
        [owner.user_id],
    )
    order: list[tuple[tuple[int, float, int], int]] = []
    for shareout_id, user_id, code, sealed, created in rows:
        if user_id == owner.user_id or (user_id is None and owner.owns(code)):
            if sealed is None:
                order.append(((0, created, shareout_id), shareout_id))
            else:
                order.append(((1, owner.order_code(shareout_id, sealed), shareout_id), shareout_id))
    return [shareout_id for _, shareout_id in sorted(order)]


def _load_all(db: sqlite_utils.Database, ids: list[int]) -> list[Shareout]:
    """The share-outs ``ids``, in that order; one deleted since its id was read (a member's two
    presses of "delete my data", both at work) is left out."""
    if not ids:
        return []
    rows = db.execute(f"select {_COLUMNS} from shareouts where id in (select value from json_each(?))", [json.dumps(ids)])
    found = {shareout.id: shareout for shareout in _shareouts(db, rows.fetchall())}
    return [found[shareout_id] for shareout_id in ids if shareout_id in found]


def get(store: Store, shareout_id: int, owner: Owner) -> Shareout | None:
    """One of the owner's share-outs, or None if it is not theirs or is gone."""
    return _owned(store.db, shareout_id, owner)


def mine(store: Store, owner: Owner, *, limit: int = 10, offset: int = 0) -> Page:
    """A page of the owner's share-outs, newest first (in the member's own order)."""
    db = store.db
    newest_first = _my_ids(db, owner)[::-1]
    return Page(tuple(_load_all(db, newest_first[offset : offset + limit])), len(newest_first), offset)


def all_mine(store: Store, owner: Owner) -> list[Shareout]:
    """Every share-out of the owner, oldest first (for exports)."""
    return _all_mine(store.db, owner)


def _all_mine(db: sqlite_utils.Database, owner: Owner) -> list[Shareout]:
    return _load_all(db, _my_ids(db, owner))


def expired_posts(store: Store) -> list[Shareout]:
    """Share-outs whose text retention removed while their channel post is still up."""
    db = store.db
    rows = db.execute(f"select {_COLUMNS} from shareouts where text is null and message_ts is not null").fetchall()
    return list(_shareouts(db, rows))


def _owned(db: sqlite_utils.Database, shareout_id: int, owner: Owner) -> Shareout | None:
    author = db.execute("select user_id, author_hash from shareouts where id = ?", [shareout_id]).fetchone()
    if author is None or not (author[0] == owner.user_id or owner.owns(author[1])):
        return None
    return _load(db, shareout_id)


def _load(db: sqlite_utils.Database, shareout_id: int) -> Shareout:
    row = db.execute(f"select {_COLUMNS} from shareouts where id = ?", [shareout_id]).fetchone()
    return next(_shareouts(db, [row]))


def _shareouts(db: sqlite_utils.Database, rows: list[tuple]) -> Iterator[Shareout]:
    ids = [row[0] for row in rows]
    themes: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        marks = ",".join("?" * len(ids))
        for shareout_id, theme in db.execute(
            f"select shareout_id, theme from shareout_themes where shareout_id in ({marks}) order by rowid", ids
        ):
            themes[shareout_id].append(theme)
    for row in rows:
        id_, created, updated, visibility, text, occurrence_id, sector, user_id, channel_id, message_ts = row
        yield Shareout(
            id=id_,
            created_at=_when(created),
            updated_at=_when(updated) if updated is not None else None,
            visibility=Visibility(visibility),
            text=text,
            occurrence_id=occurrence_id,
            sector=sector,
            themes=tuple(themes[id_]),
            user_id=user_id,
            channel_id=channel_id,
            message_ts=message_ts,
        )


def _when(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


# ------------------------------------------------------------------------- export

EXPORT_FIELDS = ("id", "created_at", "updated_at", "session", "session_id", "sector", "themes", "visibility", "text")
# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_rows(store: Store, content: ShareoutContent, owner: Owner) -> list[dict[str, Any]]:
    """The owner's share-outs as plain records (labels, not ids; no member id or hash)."""
    shareouts = all_mine(store, owner)
    occurrences = occurrences_by_id(store, (s.occurrence_id for s in shareouts))
    rows = []
    for shareout in shareouts:
        occurrence = occurrences.get(shareout.occurrence_id or "")
        rows.append(
            {
                "id": shareout.id,
                "created_at": _exported(shareout.created_at),
                "updated_at": _exported(shareout.updated_at) if shareout.updated_at else None,
                "session": occurrence.title if occurrence else None,
                "session_id": shareout.occurrence_id,
                "sector": content.sector_label(shareout.sector),
                "themes": [content.theme_label(theme) for theme in shareout.themes],
                "visibility": shareout.visibility.value,
                "text": shareout.text,
            }
        )
    return rows


def _exported(moment: datetime) -> str:
    """A time as exported: the date alone when only the day is kept, else to the second (UTC)."""
    if coarse.is_day(moment.timestamp()):
        return moment.date().isoformat()
    return moment.isoformat(timespec="seconds")


def export_json(rows: list[dict[str, Any]]) -> str:
    """The export as pretty JSON."""
    return json.dumps({"shareouts": rows}, ensure_ascii=False, indent=2)


def export_csv(rows: list[dict[str, Any]]) -> str:
    """The export as CSV: one row a share-out, themes joined by "; ", safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell("; ".join(value) if isinstance(value, list) else value) for key, value in row.items()})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# ------------------------------------------------------------------------- retention

RETENTION_JOB = "shareout-retention"


def purge_expired(store: Store, days: int, now: datetime | None = None, *, zone: tzinfo) -> int:
    """Remove the texts of the days before the last ``days`` (``SHAREOUT_RETENTION_DAYS``) in the
    community's ``zone``: by whole days, as an anonymous share-out keeps only its day. Run daily,
    with their channel posts, by :func:`bot.shareouts.posts.apply_retention`."""
    now = now or datetime.now(UTC)
    first_kept = datetime.combine((now - timedelta(days=days)).astimezone(zone).date(), time(0), zone)
    return purge_texts(store, older_than=first_kept)
