"""Slot planning: what each session owes its members, and when.

A *slot* is one message a session owes (a reminder at each of its series' offsets,
"starting now", the share-out prompt after it, a cancellation or move notice), with the
moment it falls due and the moment it stops being useful. Its recipients are the series'
channel and, by DM, subscribers (reminders) or the members going (the rest). Which slots
are settled already is the claims ledger's to say (:mod:`bot.claims`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import claims
from bot.sessions import core as sessions
from bot.sessions.core import Occurrence
from bot.sessions.recurrence import before_start
from bot.store import Store

REMINDER, STARTING, SHAREOUT, CANCELLED, MOVED = "reminder", "starting", "shareout", "cancelled", "moved"
STARTING_USEFUL = timedelta(minutes=10)  # "starting now" is still worth posting this late
SHAREOUT_USEFUL = timedelta(hours=12)
CATCH_UP = timedelta(days=2)  # slots that fell due longer ago are not looked at again


@dataclass(frozen=True)
class Slot:
    """One message a session owes: its kind, when it is due, until when it is useful."""

    occurrence_id: str
    kind: str  # the key in deliveries: base, offset and the session's revision
    base: str  # reminder | starting | shareout | cancelled | moved
    due_at: datetime
    useful_until: datetime
    audience: str  # who gets a DM: "subscribers" or "going"


def slots_for(occurrence: Occurrence, offsets: Iterable[int]) -> list[Slot]:
    """Every message ``occurrence`` owes, earliest first.

    A moved session's kinds carry its revision (``reminder-15.r1``), so its reminders follow
    the new time even if the old ones were sent.
    """

    suffix = f".r{occurrence.revision}" if occurrence.revision else ""

    def slot(base: str, due: datetime, until: datetime, audience: str = "going", name: str | None = None) -> Slot:
        return Slot(occurrence.id, f"{name or base}{suffix}", base, due, until, audience)

    if not occurrence.live:
        if occurrence.notify and occurrence.changed_at:  # a session is cancelled once: no revision needed
            return [Slot(occurrence.id, CANCELLED, CANCELLED, occurrence.changed_at, occurrence.starts_at, "going")]
        return []
    start, end = occurrence.starts_at, occurrence.ends_at
    found = [
        slot(REMINDER, before_start(start, minutes, occurrence.tz), start, "subscribers", f"{REMINDER}-{minutes}")
        for minutes in offsets
    ]
    found += [slot(STARTING, start, start + STARTING_USEFUL), slot(SHAREOUT, end, end + SHAREOUT_USEFUL)]
    if occurrence.status == sessions.MOVED and occurrence.notify and occurrence.changed_at:
        found.append(slot(MOVED, occurrence.changed_at, start))
    return sorted(found, key=lambda s: s.due_at)


def skip_reason(slot: Slot, occurrence: Occurrence, slots: list[Slot], now: datetime) -> str | None:
    """Why a due slot should not be sent now, or None to send it.

    Too late (a reminder once the session started, "starting now" 10 minutes in); a reminder
    that fell due before the session was scheduled at this time; or a reminder when a later
    one is due too (after downtime members get one reminder, not a burst).
    """
    if now >= slot.useful_until:
        return "too late"
    if slot.base == REMINDER:
        if occurrence.scheduled_at and slot.due_at < occurrence.scheduled_at:
            return "due before the session was scheduled"
        if any(other.base == REMINDER and slot.due_at < other.due_at <= now for other in slots):
            return "superseded by a later reminder"
    return None


def pending_slots(store: Store, now: datetime, lookahead: timedelta) -> list[Slot]:
    """Slots due by ``now + lookahead`` that nobody has finished or is working on, earliest first."""
    offsets = {series.id: series.reminder_offsets for series in sessions.all_series(store, active_only=False)}
    longest = timedelta(minutes=max([0, *(minutes for found in offsets.values() for minutes in found)]))
    occurrences = sessions.occurrences_to_watch(store, now - CATCH_UP, now + lookahead + longest, changed_since=now - CATCH_UP)
    candidates = [
        slot
        for occurrence in occurrences
        for slot in slots_for(occurrence, offsets.get(occurrence.series_id, ()))
        if now - CATCH_UP <= slot.due_at <= now + lookahead
    ]
    settled = claims.settled(store, {slot.occurrence_id for slot in candidates}, now)
    return [slot for slot in candidates if (slot.occurrence_id, slot.kind) not in settled]
