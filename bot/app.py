"""The Bolt app factory: one Bolt ``App``, the core in every request's context, and every
feature's listeners registered."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App, BoltContext

import handlers
from bot.runtime import Heart
from bot.slack_client import web_client
from handlers.common import HEART

# Bolt runs listeners on a pool (5 threads unless told), and a listener keeps its thread after
# the ack while it finishes slow work (a write the database made wait, an upload). Enough
# threads that such work never keeps another request from being acknowledged.
LISTENER_THREADS = 32


def create_app(
    heart: Heart,
    *,
    token: str | None = None,
    signing_secret: str | None = None,
    process_before_response: bool = False,
) -> App:
    """Build the Bolt app for ``heart``.

    ``token`` and ``signing_secret`` override the settings, and ``process_before_response``
    makes each dispatch finish its listener before returning: the offline shell uses
    all three to run requests in-process, one after another.
    """
    client = web_client(heart.settings, token)
    app = App(
        client=client,
        signing_secret=signing_secret or heart.settings.signing_secret,
        process_before_response=process_before_response,
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener"),
        # Bolt answers url_verification and ssl_check itself, and 404s what no listener
        # matches; the catch-all in handlers.errors turns unknown commands into a reply.
    )
    app.use(_core_in_context(heart))
    handlers.register_all(app)
    return app


def _core_in_context(heart: Heart) -> Callable[..., None]:
    """A global middleware that puts ``heart`` in each request's context, where listeners read it."""

    def put_heart(context: BoltContext, next: Callable[[], None]) -> None:
        context[HEART] = heart
        next()

    return put_heart
