"""Running heart-bot's entry points from the tests as a person would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import PROJECT_ROOT as ROOT


def run_cache() -> dict[str, str]:
    """The run's cache folder (tests/conftest.py), for a command given an environment of its
    own: the content is read and the safety net's patterns compiled once for the run, not
    again by every command (seconds each). Nothing but speed depends on it (bot/cache.py)."""
    return {"HEART_CACHE_DIR": os.environ["HEART_CACHE_DIR"]}


def run_shell(tmp_path: Path, commands: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot shell`` as a member would, fed ``commands`` on stdin.

    Without ``--db`` it makes its own scratch database; ``DATABASE_PATH`` points at ``tmp_path /
    "heart.db"`` to show that it is left alone. Temporary files (the files the bot sends) land
    under ``tmp_path / "tmp"``.
    """
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DATABASE_PATH": str(tmp_path / "heart.db"),
        "TMPDIR": str(tmp_path / "tmp"),
        **run_cache(),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "shell", *args],
        cwd=ROOT,
        input=commands,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
