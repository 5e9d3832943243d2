"""Rows that keep only their day: the day's timestamp, day-ordered ids, and events without a member id."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot import coarse, events
from bot.events import Event, EventRecorder
from bot.runtime import MIGRATION_SETS
from bot.store import Store

ZONE = ZoneInfo("America/New_York")


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "heart.db")
    store.migrate(MIGRATION_SETS)
    yield store
    store.close()


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 11, 3, 5, 0, tzinfo=UTC), date(2026, 11, 3)),  # midnight in New York
        (datetime(2026, 11, 4, 4, 59, 59, 999999, tzinfo=UTC), date(2026, 11, 3)),  # a moment before the next
        (datetime(2026, 3, 8, 6, 30, tzinfo=UTC), date(2026, 3, 8)),  # the night the clocks change
    ],
)
def test_a_moment_keeps_the_date_it_has_in_the_community(moment, day):
    kept = coarse.day_of(moment, ZONE)
    assert coarse.is_day(kept) and coarse.date_of(kept) == day
    assert not coarse.is_day(moment.timestamp())
    # Inside that date in New York, and in any zone within 11 hours of UTC.
    for zone in ("America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Europe/Berlin", "Asia/Kolkata"):
        assert datetime.fromtimestamp(kept, ZoneInfo(zone)).date() == day


def test_day_ids_sort_by_day_before_every_other_id_and_leave_the_next_id_alone(store):
    with store.transaction() as db:
        first = coarse.day_id(db, "events", coarse.day_of(datetime(2026, 11, 3, tzinfo=UTC), ZONE))
        db["events"].insert({"id": first, "at": 0.0, "kind": "k"})
        assert coarse.next_id(db, "events") == 1  # SQLite alone would give first + 1
        later = coarse.day_id(db, "events", coarse.day_of(datetime(2026, 11, 5, tzinfo=UTC), ZONE))
        db["events"].insert({"id": 7, "at": 0.0, "kind": "k"})
        assert coarse.next_id(db, "events") == 8
    assert first < later < 0
    assert abs(first) < 2**53  # JSON and JavaScript read it exactly


def test_events_without_a_member_keep_their_day_and_an_id_that_places_them_nowhere(store):
    recorder = EventRecorder(store, ZONE)
    at = datetime(2026, 11, 4, 2, 30, 15, 250000, tzinfo=UTC).timestamp()  # 9:30 pm on the 3rd in New York
    recorder.record(Event(events.GLOSSARY_LOOKUP, "UNAMED", "trauma", "trauma", True, at=at - 3))
    recorder.record(Event(events.SAFETY_NET, None, at=at))
    recorder.record(Event(events.CHECKIN_REQUEST, None, at=at + 1))
    recorder.record(Event(events.RSVP, "UNAMED", "s1", "going", at=at + 2))
    recorder.flush()
    recorder.close()
    rows = store.db.execute("select id, at, user_id from events order by id").fetchall()
    unnamed, named = rows[:2], rows[2:]
    assert [user for _, _, user in named] == ["UNAMED", "UNAMED"] and [id_ for id_, _, _ in named] == [1, 2]
    assert [at_ for _, at_, _ in named] == [at - 3, at + 2]
    for id_, kept, user in unnamed:
        assert user is None and id_ < 0 and coarse.date_of(kept) == date(2026, 11, 3)
    wal = store.path.with_name(store.path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # emptied after the write


def test_a_members_event_turned_unnamed_is_written_afresh_at_its_day(store):
    at = datetime(2026, 11, 3, 15, 0, 0, 123456, tzinfo=UTC).timestamp()
    with store.transaction() as db:
        events.write(db, [Event(events.GLOSSARY_LOOKUP, "UA", at=at - 5), Event(events.SHAREOUT, "UA", "s1", at=at)], ZONE)
        day = coarse.day_of(datetime.fromtimestamp(at, UTC), ZONE)
        events.unlink(db, events.SHAREOUT, "UA", at + 0.0000004, day=day)  # read back through a datetime
    rows = store.db.execute("select id, at, user_id, subject from events order by id").fetchall()
    assert rows[1:] == [(1, at - 5, "UA", None)]
    (id_, kept, user, subject) = rows[0]
    assert id_ < 0 and kept == day and user is None and subject == "s1"


def test_unnamed_events_written_to_the_second_before_are_kept_to_their_day_once(store):
    at = datetime(2026, 11, 3, 15, 0, 0, 123456, tzinfo=UTC).timestamp()
    rows = [
        {"id": 1, "at": at, "kind": events.SAFETY_NET, "user_id": None},
        {"id": 2, "at": at + 1, "kind": events.SHAREOUT, "user_id": None, "subject": "s1"},
        {"id": 3, "at": at + 2, "kind": events.GLOSSARY_LOOKUP, "user_id": "UA"},
    ]
    store.db["events"].insert_all(rows)
    store.migrate([events.day_migrations(ZONE)])
    store.migrate([events.day_migrations(ZONE)])  # once only
    found = store.db.execute("select id < 0, at, kind, subject from events order by kind").fetchall()
    day = coarse.day_of(datetime.fromtimestamp(at, UTC), ZONE)
    assert found == [
        (0, at + 2, events.GLOSSARY_LOOKUP, None),
        (1, day, events.SAFETY_NET, None),
        (1, day, events.SHAREOUT, "s1"),
    ]
