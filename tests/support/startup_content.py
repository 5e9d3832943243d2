"""The test content, read once: imported by the start-up race's forkserver (:mod:`tests.support.startup`)
before it forks, so that no process it starts spends its start reading it."""

from __future__ import annotations

from bot.config import PROJECT_ROOT
from bot.runtime import load_content

CONTENT_DIR = PROJECT_ROOT / "tests" / "fixtures" / "content"
CONTENT = load_content(CONTENT_DIR)
# Its safety net too, which a start builds in the background (bot.runtime.Heart.start_services)
# and closing it waits for: built here once, not in each process (most of a second a round).
CONTENT.shareout.crisis  # noqa: B018 (built on first use)
