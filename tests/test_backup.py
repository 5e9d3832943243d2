"""`python -m bot backup` and `restore`, run as an operator (or cron) would, beside the real bot:
a backup taken while the bot writes is one moment's database, and restore refuses while a bot
serves from the file, or from a backup that is damaged or newer than this release."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading

import pytest

from bot.offline.server import BotServer
from tests.support.harness import ROOT


def bot_cli(tmp_path, *args: str, database) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DATABASE_PATH": str(database)}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)


def counts(path) -> tuple[int, int]:
    """Share-outs in the file, and the report's count of them (kept by triggers in the same transactions)."""
    with sqlite3.connect(path) as db:
        rows = db.execute("select count(*) from shareouts").fetchone()[0]
        counted = db.execute("select coalesce(sum(count), 0) from report_shareout_days").fetchone()[0]
    return rows, counted


@pytest.fixture
def serving(slack, tmp_path):
    (tmp_path / "live").mkdir()
    bot = BotServer(slack, tmp_path / "live" / "heart.db").start()
    yield bot
    bot.stop()


def test_backups_taken_while_the_bot_writes_are_whole_and_consistent(tmp_path, serving):
    stop = threading.Event()
    sent = []

    def write() -> None:
        while not stop.is_set():
            answer = serving.command("/shareout", f"backup test reflection {len(sent)}", user=f"UBACK{len(sent) % 7}")
            sent.append(answer.status)

    writer = threading.Thread(target=write)
    writer.start()
    folder = tmp_path / "backups"
    folder.mkdir()
    try:
        results = []
        for name in ("one.db", "two.db", "three.db"):
            while len(sent) < 5 * (len(results) + 1):  # let some writes land between backups
                threading.Event().wait(0.02)
            results.append(bot_cli(tmp_path, "backup", str(folder / name), database=serving.database_path))
    finally:
        stop.set()
        writer.join(30)
    assert all(status == 200 for status in sent)
    seen = []
    for result in results:
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("backup written: ") and "integrity ok" in result.stdout
        path = result.stdout.split("backup written: ")[1].split(" (")[0]
        rows, counted = counts(path)
        assert rows == counted, "the backup caught a write half done"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert not os.path.exists(path + "-wal")
        seen.append(rows)
    assert seen == sorted(seen) and seen[-1] >= 10
    assert sorted(p.name for p in folder.iterdir()) == ["one.db", "three.db", "two.db"]  # nothing half written left


def test_a_folder_gets_a_dated_backup(tmp_path, serving):
    result = bot_cli(tmp_path, "backup", str(tmp_path), database=serving.database_path)
    assert result.returncode == 0, result.stderr
    [made] = tmp_path.glob("heart-*.db")
    assert made.name.startswith("heart-2") and counts(made)[0] == counts(serving.database_path)[0]


def test_restore_is_refused_while_a_bot_serves_from_the_file_and_works_once_it_stopped(tmp_path, slack):
    (tmp_path / "live").mkdir()
    bot = BotServer(slack, tmp_path / "live" / "heart.db").start()
    try:
        bot.command("/shareout", "kept in the backup", user="UKEEP1")
        backup = tmp_path / "kept.db"
        assert bot_cli(tmp_path, "backup", str(backup), database=bot.database_path).returncode == 0
        bot.command("/shareout", "written after the backup", user="UKEEP1")
        refused = bot_cli(tmp_path, "restore", str(backup), "--yes", database=bot.database_path)
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines()[-1].startswith(f"Error: a heart-bot is serving from {bot.database_path}: stop it first")
        assert counts(bot.database_path)[0] == 2
    finally:
        bot.stop()
    restored = bot_cli(tmp_path, "restore", str(backup), "--yes", database=bot.database_path)
    assert restored.returncode == 0, restored.stderr
    assert "schema version" in restored.stdout and "the database it replaced is kept as" in restored.stdout
    assert counts(bot.database_path) == (1, 1)
    [kept] = bot.database_path.parent.glob("heart.db.before-restore-*")
    assert counts(kept)[0] == 2
    bot.start()  # the restored file serves
    try:
        assert bot.command("/shareout", "after the restore", user="UKEEP1").status == 200
    finally:
        bot.stop()


def test_restore_refuses_a_damaged_backup_and_one_from_a_newer_release(tmp_path, serving):
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    result = bot_cli(tmp_path, "restore", str(damaged), "--yes", database=tmp_path / "target.db")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "pick another backup" in result.stderr

    newer = tmp_path / "newer.db"
    assert bot_cli(tmp_path, "backup", str(newer), database=serving.database_path).returncode == 0
    with sqlite3.connect(newer) as db:
        db.execute("insert into _sqlite_migrations (migration_set, name, applied_at) values ('heart.future', 'm9', 'x')")
    result = bot_cli(tmp_path, "restore", str(newer), "--yes", database=tmp_path / "target.db")
    assert result.returncode == 1
    assert "newer than this code knows (heart.future: m9)" in result.stderr
    assert not (tmp_path / "target.db").exists()


def test_backup_without_a_database_says_so(tmp_path):
    result = bot_cli(tmp_path, "backup", str(tmp_path / "b.db"), database=tmp_path / "missing.db")
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: there is no database at {tmp_path / 'missing.db'}: check DATABASE_PATH (or --db)"


def test_restore_asks_first(tmp_path, serving):
    backup = tmp_path / "b.db"
    shutil.copy(serving.database_path, backup)  # a copy of a live file: checked like any backup
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DATABASE_PATH": str(tmp_path / "other.db")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "restore", str(backup)], cwd=ROOT, input="n\n", capture_output=True, text=True, env=env
    )
    assert result.returncode == 1 and "nothing was restored" in result.stderr
    assert not (tmp_path / "other.db").exists()
