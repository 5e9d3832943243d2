"""A member's profile: their sector and the state they work in, in one row a member.

The same answers serve two features, so they are asked once and kept once (``member_profiles``):
coordinators' reach figures count members by them (:mod:`bot.engagement.report`, counts only,
small ones hidden, never beside a name), and monthly connections (:mod:`bot.connections`) pair
members across sectors and show the member introduced to you your sector and state, only once
you have joined connections. Both answers are optional here; joining connections asks for a
sector. The questions themselves are built here too (:func:`questions`), so every form that
asks them asks them the same way and says who sees the answers.

A member's profile is downloaded and deleted with the rest of their data (:mod:`bot.members.data`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils
from slack_sdk.models.blocks import InputBlock, Option, OptionGroup, PlainTextObject, StaticSelectElement

from bot.store import Store

# The name the set had when the profile belonged to the members feature alone: databases made
# then have its first migration recorded under it.
migrations = sqlite_utils.Migrations("heart.members.profile")

SECTOR, STATE = "sector", "state"  # the questions' block and action ids, on every form that asks them
NOT_SAYING = "none"
# US states and territories (USPS codes), New England first: where a member works.
NEW_ENGLAND = {
    "CT": "Connecticut",
    "ME": "Maine",
    "MA": "Massachusetts",
    "NH": "New Hampshire",
    "RI": "Rhode Island",
    "VT": "Vermont",
}
OUTSIDE_NEW_ENGLAND = "XN"  # an answer the first profile form offered: kept, and still offered
OTHER_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho",
    "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "MD": "Maryland", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "US Virgin Islands", "AS": "American Samoa", "MP": "Northern Mariana Islands",
    "XX": "Outside the United States", OUTSIDE_NEW_ENGLAND: "Outside New England",
}  # fmt: skip
STATES = {**NEW_ENGLAND, **OTHER_STATES}

# Who sees each answer, said on every form that asks and wherever the answers are shown.
WHO_SEES_SECTOR = (
    "Coordinators see it only as a count of members by sector, small counts hidden, never with your name. "
    "If you join monthly connections, the member you're introduced to sees it too."
)
WHO_SEES_STATE = "Seen the same way as your sector: counts for coordinators, and your match in monthly connections."


@migrations()
def create_member_profiles(db: sqlite_utils.Database) -> None:
    db["member_profiles"].create({"user_id": str, "sector": str, "state": str, "updated_at": float}, pk="user_id")


@migrations()
def one_profile_for_reach_and_connections(db: sqlite_utils.Database) -> None:
    # The first profile form kept a state's name; connections kept its code. Codes from now on.
    for code, name in {**NEW_ENGLAND, OUTSIDE_NEW_ENGLAND: STATES[OUTSIDE_NEW_ENGLAND]}.items():
        db.execute("update member_profiles set state = ? where state = ?", [code, name])
    if not db["connection_members"].exists():
        return
    # Connections kept their own sector and state: each moves here. Where a member gave both
    # profiles an answer, the one given last wins; an answer only one of them holds is kept.
    newer = "excluded.updated_at >= coalesce(member_profiles.updated_at, 0)"
    db.execute(
        "insert into member_profiles (user_id, sector, state, updated_at) "
        "select user_id, nullif(sector, ''), nullif(state, ''), updated_at from connection_members where true "
        "on conflict (user_id) do update set "
        f"sector = case when {newer} then coalesce(excluded.sector, member_profiles.sector) "
        "else coalesce(member_profiles.sector, excluded.sector) end, "
        f"state = case when {newer} then coalesce(excluded.state, member_profiles.state) "
        "else coalesce(member_profiles.state, excluded.state) end, "
        "updated_at = max(coalesce(member_profiles.updated_at, 0), coalesce(excluded.updated_at, 0))"
    )
    db["connection_members"].transform(drop={"sector", "state"})


@dataclass(frozen=True)
class Profile:
    """What a member chose to say about themselves (None: not given)."""

    sector: str | None = None
    state: str | None = None  # a code of :data:`STATES`

    @property
    def state_name(self) -> str | None:
        """The state as people say it, or None."""
        return STATES.get(self.state or "", self.state)


def get(store: Store, user_id: str) -> Profile:
    """The member's profile (empty when they gave none)."""
    row = store.db.execute("select sector, state from member_profiles where user_id = ?", [user_id]).fetchone()
    return Profile(row[0] or None, row[1] or None) if row else Profile()


def save(store: Store, user_id: str, profile: Profile, *, now: datetime) -> None:
    """Keep the member's profile."""
    with store.transaction() as db:
        put(db, user_id, profile, now=now)


def put(db: sqlite_utils.Database, user_id: str, profile: Profile, *, now: datetime) -> None:
    """Keep the member's profile in the open transaction ``db``; an empty one is deleted (nothing
    is kept for nothing)."""
    if profile.sector is None and profile.state is None:
        forget(db, user_id)
        return
    row = {"user_id": user_id, "sector": profile.sector, "state": profile.state, "updated_at": now.timestamp()}
    db["member_profiles"].upsert(row, pk="user_id")


def put_many(db: sqlite_utils.Database, given: Iterable[tuple[str, Profile]], *, now: datetime) -> None:
    """Keep many members' profiles at once, in the open transaction ``db`` (an import, a benchmark)."""
    rows = ({"user_id": user, "sector": p.sector, "state": p.state, "updated_at": now.timestamp()} for user, p in given)
    db["member_profiles"].upsert_all(rows, pk="user_id", batch_size=1000)


def forget(db: sqlite_utils.Database, user_id: str) -> bool:
    """Delete the member's profile in the open transaction ``db``; True if there was one."""
    return db.execute("delete from member_profiles where user_id = ?", [user_id]).rowcount > 0


def checked(sector: str | None, state: str | None, sectors: Sequence[str]) -> Profile:
    """The answers as given on a form, a choice off the lists (or "Prefer not to say") read as not given."""
    return Profile(sector if sector in sectors else None, state if state in STATES else None)


def questions(sectors: Sequence[tuple[str, str]], given: Profile, *, sector_required: bool = False) -> list[InputBlock]:
    """The two questions, as every form asks them, each saying who sees the answer.

    :param sectors: ``(id, label)`` of the sectors offered.
    :param sector_required: True where a sector is needed (joining monthly connections); elsewhere
        both questions offer "Prefer not to say".
    """
    not_saying = [] if sector_required else [Option(value=NOT_SAYING, text="Prefer not to say")]
    sector_options = not_saying + [Option(value=key, text=PlainTextObject(text=label[:75])) for key, label in sectors]
    groups = [
        OptionGroup(label="New England", options=[Option(value=code, text=name) for code, name in NEW_ENGLAND.items()]),
        OptionGroup(label="Elsewhere", options=[Option(value=code, text=name) for code, name in OTHER_STATES.items()]),
    ]
    if not sector_required:
        groups.insert(0, OptionGroup(label="Not saying", options=list(not_saying)))
    chosen_sector = next((o for o in sector_options if o.value == given.sector), None)
    chosen_state = next((o for g in groups for o in g.options if o.value == given.state), None)
    return [
        InputBlock(
            block_id=SECTOR,
            label="Your sector",
            optional=not sector_required,
            hint=WHO_SEES_SECTOR,
            element=StaticSelectElement(action_id=SECTOR, options=sector_options, initial_option=chosen_sector),
        ),
        InputBlock(
            block_id=STATE,
            label="The state you work in",
            optional=True,
            hint=WHO_SEES_STATE,
            element=StaticSelectElement(action_id=STATE, option_groups=groups, initial_option=chosen_state),
        ),
    ]
