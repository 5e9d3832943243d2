"""Starting heart-bot in several processes at the same instant, as a host that starts two dynos at
once (or a rolling deploy) does.

Each process runs the start-up ``python -m bot serve`` runs (the database check made before the
port is taken, then the worker's core, listeners and scheduler) and asks ``/healthz`` of its own
WSGI app (bot.web.SlackFront). The processes come from a ``forkserver`` that has imported heart-bot and read the test
content (its safety net built) once, so twenty rounds take seconds, and none of them inherits the test runner's threads.
(Reading the content shares nothing between processes: it is what serve does apart from the
database, and takes most of a start.)
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.offline.server import BOT_TOKEN, SHAREOUT_HASH_SECRET, SIGNING_SECRET

PRELOAD = ["bot.web", "bot.app", "bot.runtime", "tests.support.startup", "tests.support.startup_content"]


def serve_once(database_path: str, api_url: str, barrier: Any, said: Any) -> None:
    """Start as ``serve`` does once ``barrier`` lets every process go; put "serving" on ``said``
    when ``/healthz`` answers 200, else the first line of what stopped the start."""
    from bot.app import create_app
    from bot.errors import HeartError
    from bot.runtime import build_heart, check_database
    from bot.web import SlackFront
    from tests.support.startup_content import CONTENT, CONTENT_DIR

    settings = Settings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        shareout_hash_secret=SHAREOUT_HASH_SECRET,
        slack_api_url=api_url,
        database_path=Path(database_path),
        content_dir=CONTENT_DIR,
    )
    barrier.wait()
    try:
        settings.require_slack()  # what serve checks before taking the port (bot.runtime.check_start)
        check_database(settings.database_path)
        heart = build_heart(settings, CONTENT)  # what serving builds (bot.web.serve)
        bolt_app = create_app(heart)
        heart.start_services()
        try:
            answered: list[str] = []
            environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "QUERY_STRING": ""}
            SlackFront(heart, bolt_app)(environ, lambda line, headers: answered.append(line))
            status = int(answered[0].split()[0])
        finally:
            heart.close()
    except HeartError as error:
        said.put(str(error).splitlines()[0])
    except Exception as error:  # what a traceback would show
        said.put(f"{type(error).__name__}: {error}")
    else:
        said.put("serving" if status == 200 else f"/healthz answered {status}")


def start_together(database_path: Path, api_url: str, processes: int = 2) -> list[str]:
    """Start ``processes`` processes on ``database_path`` at the same instant, talking to the Slack Web
    API at ``api_url``; what each said."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    barrier, said = context.Barrier(processes), context.Queue()
    started = [
        context.Process(target=serve_once, args=(str(database_path), api_url, barrier, said))
        for _ in range(processes)
    ]
    for process in started:
        process.start()
    answers = [said.get(timeout=120) for _ in started]
    for process in started:
        process.join(30)
    return answers
