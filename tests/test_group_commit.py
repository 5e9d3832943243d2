"""Group commit: writes that arrive together are committed together, each answered only once on disk."""

from __future__ import annotations

import sqlite3

import pytest

from bot.group_commit import GroupCommit
from bot.runtime import MIGRATION_SETS
from bot.store import Store


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "heart.db")
    store.migrate(MIGRATION_SETS)
    store.db.execute("create table notes (id integer primary key, text text not null)")
    yield store
    store.close()


def add_note(text: str | None):
    def write(db) -> int:
        return db.execute("insert into notes (text) values (?)", [text]).lastrowid

    return write


def committed_texts(store: Store) -> list[str]:
    """What another connection (another process, after a crash) would read."""
    with sqlite3.connect(store.path) as reader:
        return [text for (text,) in reader.execute("select text from notes order by id")]


def test_a_write_is_on_disk_when_its_future_resolves(store, commits):
    note_id = commits.submit(add_note("hello")).result(timeout=10)
    assert note_id == 1
    assert committed_texts(store) == ["hello"]


def test_writes_waiting_together_share_one_transaction(store, commits):
    seen_uncommitted: list[int] = []

    def add_and_look(text: str):
        def write(db) -> None:
            db.execute("insert into notes (text) values (?)", [text])
            # Rows this transaction wrote that another connection cannot see yet.
            mine = db.execute("select count(*) from notes").fetchone()[0]
            seen_uncommitted.append(mine - len(committed_texts(store)))

        return write

    with store.transaction():  # another writer holds the lock while ten writes arrive
        first = commits.submit(add_and_look("first"))
        waiting = [commits.submit(add_and_look(f"note {n}")) for n in range(9)]
    for future in [first, *waiting]:
        future.result(timeout=10)
    assert len(committed_texts(store)) == 10
    assert max(seen_uncommitted) >= 2  # at least one commit carried several writes


def test_a_failing_write_is_undone_alone(store, commits):
    with store.transaction():
        futures = [commits.submit(add_note(text)) for text in ("kept", None, "also kept")]
    assert futures[0].result(timeout=10) and futures[2].result(timeout=10)
    with pytest.raises(sqlite3.IntegrityError):
        futures[1].result(timeout=10)
    assert committed_texts(store) == ["kept", "also kept"]


def test_when_the_commit_fails_every_write_of_the_group_is_told(store, commits, monkeypatch):
    monkeypatch.setattr("bot.store.BUSY_TIMEOUT_MS", 200)
    other = Store(store.path)  # another process's connection, holding the write lock
    other.db.execute("BEGIN IMMEDIATE")
    try:
        future = commits.submit(add_note("never"))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            future.result(timeout=30)
    finally:
        other.db.execute("ROLLBACK")
        other.close()
    assert committed_texts(store) == []
    assert commits.submit(add_note("after")).result(timeout=10) == 1


def test_close_commits_what_is_queued(store):
    commits = GroupCommit(store)
    futures = [commits.submit(add_note(f"note {n}")) for n in range(50)]
    commits.close()
    assert all(future.done() for future in futures)
    assert len(committed_texts(store)) == 50
