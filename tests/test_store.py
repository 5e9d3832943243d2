"""The SQLite store: migrations apply once, WAL is on, transactions are all-or-nothing."""

import sqlite3
import threading

import pytest

from bot.errors import ConfigError
from bot.events import Event, EventRecorder
from bot.runtime import MIGRATION_SETS, check_database
from bot.store import Store, execute_script


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "heart.db")
    store.migrate(MIGRATION_SETS)
    return store


def test_migrations_are_idempotent(store):
    store.migrate(MIGRATION_SETS)
    names = [row["name"] for row in store.db["_sqlite_migrations"].rows]
    assert names.count("create_events") == 1


def test_the_database_uses_wal(store):
    assert store.db.journal_mode == "wal"


def test_the_database_and_its_log_are_readable_by_their_owner_only(store):
    store.db["events"].insert({"kind": "check", "at": 0.0})  # opens the write-ahead log
    files = [store.path, store.path.with_name("heart.db-wal"), store.path.with_name("heart.db-shm")]
    assert {path.stat().st_mode & 0o777 for path in files} == {0o600}


def test_a_failed_transaction_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError), store.transaction() as db:
        db["events"].insert({"at": 1.0, "kind": "test"})
        raise RuntimeError("stop")
    assert store.db["events"].count == 0


def test_a_script_runs_statement_by_statement_inside_the_transaction(tmp_path):
    script = """
        create table notes (id integer primary key, body text);
        create trigger notes_added after insert on notes begin
            insert into notes_log (body) values ('added; ' || new.body);
        end;
        create table notes_log (body text);
        insert into notes (body) values ('one; two');
    """
    store = Store(tmp_path / "script.db")
    with pytest.raises(RuntimeError), store.transaction() as db:
        execute_script(db, script)
        raise RuntimeError("stop")
    assert store.db.table_names() == []  # not committed on the way, unlike sqlite3's executescript
    with store.transaction() as db:
        execute_script(db, script)
    assert [row["body"] for row in store.db["notes_log"].rows] == ["added; one; two"]
    with pytest.raises(ValueError, match="incomplete"), store.transaction() as db:
        execute_script(db, "create table more (id integer); create table unfinished (id")


def test_each_thread_gets_its_own_connection(store):
    seen = []
    thread = threading.Thread(target=lambda: seen.append((store.db, store.db["events"].count)))
    thread.start()
    thread.join()
    other_connection, count_there = seen[0]
    assert other_connection is not store.db
    assert count_there == 0


def test_events_are_written_in_the_background_and_flushed_on_demand(store):
    recorder = EventRecorder(store)
    for n in range(1200):
        recorder.record(Event("glossary_lookup", f"U{n % 7}", "trauma", "trauma", True))
    recorder.flush()
    assert store.db["events"].count == 1200
    recorder.close()


def test_health_reflects_the_database(tmp_path):
    store = Store(tmp_path / "heart.db")
    assert store.healthy()
    store.close()
    broken = Store(tmp_path / "missing-dir-is-a-file")
    (tmp_path / "missing-dir-is-a-file").mkdir()
    assert not broken.healthy()


def test_a_database_held_by_another_process_is_not_blamed_on_the_file(tmp_path):
    path = tmp_path / "heart.db"
    Store(path).migrate(MIGRATION_SETS)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the start waits
    try:
        with pytest.raises(ConfigError) as refused:
            check_database(path, wait=0.2)
    finally:
        holder.execute("ROLLBACK")
    assert "another process kept its write lock" in str(refused.value)
    assert "writable SQLite file" not in str(refused.value)
    check_database(path, wait=0.2)  # once it lets go, the start goes on


def test_a_file_that_is_not_a_database_is_blamed_on_the_file(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are notes, not a SQLite database\n" * 20)
    with pytest.raises(ConfigError, match="point it at a writable SQLite file"):
        check_database(path, wait=0.2)
