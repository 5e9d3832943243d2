"""The Bolt app factory: one Bolt ``App``, the core in every request's context, and every
feature's listeners registered; and :func:`dispatch_signed`, the one way a signed request
reaches them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.listener_matcher import ListenerMatcher
from slack_bolt.listener_matcher.builtins import BuiltinListenerMatcher
from slack_bolt.middleware import Middleware

import handlers
from bot import slack_shape
from bot.runtime import Heart
from bot.slack_client import web_client
from handlers.common import HEART

log = logging.getLogger(__name__)


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
        # Every request over HTTP comes through dispatch_signed, which checks its signature
        # before anything reads the body (Bolt's own check would compute the same HMAC again);
        # Socket Mode's requests carry none (Bolt never checks them).
        request_verification_enabled=False,
        # Bolt answers url_verification and ssl_check itself, and 404s what no listener
        # matches; the catch-all in handlers.errors turns unknown commands into a reply.
    )
    app.use(_CoreInContext(heart))
    handlers.register_all(app)
    match_on_body(app)
    return app


def match_on_body(app: App) -> int:
    """Give each listener's built-in matchers the request's body directly; the number replaced.

    Bolt tries the listeners in the order they were registered, and a built-in matcher (the
    command name, the action id, the callback id...) is a one-argument function of the body
    that Bolt calls through its keyword-argument injection: for every listener tried it builds
    the whole set of arguments a listener may ask for, some twenty-five of them with eight
    conversions of the payload, to hand that function one. With some fifty listeners, a request
    for a later one paid 7 to 11 µs of CPU for each listener tried before it (/tipsheet 32 µs,
    /shareout 37 µs; now 2 to 4 µs). The same functions decide, so what matches is unchanged
    (``tests/test_listeners.py`` checks it against Bolt's own).

    Bolt keeps its listeners in ``App._listeners`` (it has no public accessor); a matcher that
    is not a one-argument built-in one (none today) is left as it is.
    """
    replaced = 0
    for listener in getattr(app, "_listeners", []):
        matchers = list(listener.matchers)
        for index, matcher in enumerate(matchers):
            if type(matcher) is BuiltinListenerMatcher and list(matcher.arg_names) == ["body"]:
                matchers[index] = _BodyMatcher(matcher.func)
                replaced += 1
        listener.matchers = matchers
    return replaced


class _BodyMatcher(ListenerMatcher):
    """A built-in matcher's function, called with the body alone."""

    def __init__(self, func: Callable[[dict[str, Any]], bool]):
        self.func = func

    def matches(self, req: BoltRequest, resp: BoltResponse) -> bool:
        return self.func(req.body)


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


def dispatch_signed(app: App, raw: str, headers: Mapping[str, str], signing_secret: str, query: str = "") -> BoltResponse:
    """A request that says it comes from Slack over HTTP: refused, or answered by ``app``.

    The one way such a request reaches the listeners (the web server and the offline shell both
    come through here): first its signature over the raw body (401 when it is missing, wrong or
    over five minutes old), then the shape Slack's bodies have (400, :mod:`bot.slack_shape`),
    then Bolt, which does not check the signature again.

    :param headers: the request's headers, named as Bolt names them (``x-slack-signature``).
    """
    if not slack_shape.verified(raw, headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature"), signing_secret):
        log.info("refused a request with an invalid or expired signature")
        return BoltResponse(status=401, body={"error": "invalid request"})
    if problem := slack_shape.problem(raw, headers.get("content-type")):
        # Not a body Slack sends: refused before Bolt reads it (Bolt would fail with a 500).
        log.info("refused a malformed request: %s", problem)
        return BoltResponse(status=400, body={"error": "malformed request"})
    return app.dispatch(BoltRequest(body=raw, query=query, headers=dict(headers)))
