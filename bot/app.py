"""The Bolt app factory: one Bolt ``App``, the core in every request's context, and every
feature's listeners registered."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

import handlers
from bot.runtime import Heart
from bot.slack_client import web_client
from handlers.common import HEART


def create_app(heart: Heart, *, token: str | None = None, signing_secret: str | None = None) -> App:
    """Build the Bolt app for ``heart``.

    Each dispatch runs its listener and returns the listener's acknowledgement as soon as
    the listener returns (``process_before_response``): no thread waits for an ``ack()``
    (Bolt's other mode polls for it every 10 ms). Listeners hand what waits on Slack, or on
    a busy database, to the core's background pool (:func:`handlers.common.after_ack`).
    ``token`` and ``signing_secret`` override the settings (the offline shell uses both).
    """
    client = web_client(heart.settings, token)
    app = App(
        name="heart-bot",  # unnamed, Bolt reads the whole call stack's source to name the app after its caller's file
        client=client,
        signing_secret=signing_secret or heart.settings.signing_secret,
        process_before_response=True,
        # Bolt answers url_verification and ssl_check itself, and 404s what no listener
        # matches; the catch-all in handlers.errors turns unknown commands into a reply.
    )
    app.use(_CoreInContext(heart))
    handlers.register_all(app)
    return app


class _CoreInContext(Middleware):
    """A global middleware that puts the core in each request's context, where listeners read it.

    A :class:`~slack_bolt.middleware.Middleware` rather than a function: Bolt calls it as it is,
    without building the keyword arguments a function middleware asks for on every request.
    """

    def __init__(self, heart: Heart):
        self.heart = heart

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        req.context[HEART] = self.heart
        return next()
