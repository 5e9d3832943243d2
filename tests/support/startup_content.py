"""The test content, read once: imported by the start-up race's forkserver (:mod:`tests.support.startup`)
before it forks, so that no process it starts spends its start reading it."""

from __future__ import annotations

from bot.config import PROJECT_ROOT
from bot.runtime import load_content

CONTENT_DIR = PROJECT_ROOT / "tests" / "fixtures" / "content"
CONTENT = load_content(CONTENT_DIR)
