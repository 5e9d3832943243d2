"""HTTP serving: Slack's one Request URL and a health check, on waitress.

``POST /slack/events`` takes slash commands, interactivity and events; ``GET /healthz``
answers 200 when the database does, 503 otherwise (``?verbose=1`` in full, on this host or with
``HEALTHZ_TOKEN``); ``GET /calendar/<token>.ics`` serves a calendar subscription (404 for an
unknown or revoked token, whichever it is).

Clients that send slowly, or open a connection and send nothing, cannot hold the bot up:
waitress reads each request whole in its event loop (one thread watches every connection)
and only then hands it to one of its :data:`THREADS` threads, so such a client costs a
socket, never a thread; a connection silent for :data:`IDLE_SECONDS` is closed. A body
declared larger than :data:`MAX_BODY_BYTES` is refused with 413 before any of it is read
(a chunked one as soon as it grows past the cap). What remains goes through
:func:`bot.app.dispatch_signed`, each step before anything costlier: the signature over the
raw bytes (401), the shape Slack's bodies have (400, :mod:`bot.slack_shape`), then Bolt.

One process, the event loop and its threads: one reminder scheduler.
"""

from __future__ import annotations

import hmac
import json
import logging
import signal
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

import waitress
from slack_bolt import App
from waitress.channel import HTTPChannel
from waitress.task import WSGITask

from bot.app import create_app, dispatch_signed
from bot.config import Settings
from bot.runtime import Content, Heart, build_heart, health
from bot.sessions import feeds

log = logging.getLogger(__name__)

# Slack's largest payloads (a form submission carrying its whole modal, a button pressed on a
# long message) are some hundred kB form-encoded; anything past this is not from Slack.
MAX_BODY_BYTES = 1024 * 1024
HEADER_BYTES = 32 * 1024  # Slack's headers are about 1 kB
THREADS = 8  # requests run at once (as before); a quick share-out may wait up to 1.5 s on a busy database
CONNECTIONS = 1_000  # open at once (idle ones included) before new ones wait in the backlog
IDLE_SECONDS = 60
EVENTS_PATH = "/slack/events"
FEED_PATH = ("/calendar/", ".ics")  # /calendar/<token>.ics

Answer = tuple[int, list[tuple[str, str]], bytes]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _json(status: int, payload: dict[str, Any]) -> Answer:
    return status, [("Content-Type", "application/json")], json.dumps(payload).encode()


class SlackFront:
    """The WSGI application: Slack's requests checked and handed to Bolt, and the health check."""

    def __init__(self, heart: Heart, bolt_app: App):
        self.heart = heart
        self.bolt_app = bolt_app
        self._secret = str(heart.settings.signing_secret)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
        if path == EVENTS_PATH and method == "POST":
            status, headers, body = self.slack_request(environ)
        elif path == "/healthz" and method in ("GET", "HEAD"):
            status, headers, body = self.health(environ)
        elif path.startswith(FEED_PATH[0]) and path.endswith(FEED_PATH[1]) and method in ("GET", "HEAD"):
            status, headers, body = self.calendar_feed(path[len(FEED_PATH[0]) : -len(FEED_PATH[1])])
        else:
            status, headers, body = _json(404, {"error": "not found"})
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    def slack_request(self, environ: dict[str, Any]) -> Answer:
        """One request from Slack: refused (413, 401, 400) or answered by Bolt."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length >= MAX_BODY_BYTES:  # waitress refuses these itself; kept for any other server
            return _json(413, {"error": "request too large"})
        raw = environ["wsgi.input"].read(length).decode("utf-8", "replace")
        response = dispatch_signed(self.bolt_app, raw, _headers(environ), self._secret, environ.get("QUERY_STRING", ""))
        answer_headers = [(name, value) for name, values in response.headers.items() for value in values]
        return response.status, answer_headers, response.body.encode()

    def calendar_feed(self, token: str) -> Answer:
        """A member's calendar subscription, or 404 (the token is never logged)."""
        body = feeds.feed_ics(self.heart.store, token, now=datetime.now(UTC))
        if body is None:
            return 404, [("Content-Type", "text/plain; charset=utf-8")], b"Not found\n"
        headers = [("Content-Type", "text/calendar; charset=utf-8"), ("Cache-Control", "private, max-age=300")]
        return 200, headers, body.encode() if isinstance(body, str) else body

    def health(self, environ: dict[str, Any]) -> Answer:
        """200 while the database answers, 503 otherwise; in full when asked and allowed."""
        verbose = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).get("verbose", ["0"])[0]
        if verbose not in ("", "0") and _may_see_details(environ, self.heart.settings):
            details, well = health(self.heart)
            return _json(200 if well else 503, details)
        if self.heart.store.healthy():
            return _json(200, {"status": "ok"})
        return _json(503, {"status": "database unavailable"})


def _may_see_details(environ: dict[str, Any], settings: Settings) -> bool:
    """``/healthz?verbose=1`` answers in full on this host (not through a proxy), or with
    ``Authorization: Bearer <HEALTHZ_TOKEN>``."""
    if environ.get("REMOTE_ADDR") in ("127.0.0.1", "::1") and "HTTP_X_FORWARDED_FOR" not in environ:
        return True
    offered = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
    return bool(settings.healthz_token and offered) and hmac.compare_digest(offered, str(settings.healthz_token))


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers, named as Bolt names them (``x-slack-signature``)."""
    headers = {key[5:].lower().replace("_", "-"): value for key, value in environ.items() if key.startswith("HTTP_")}
    if content_type := environ.get("CONTENT_TYPE"):
        headers["content-type"] = content_type
    return headers


class OneWriteTask(WSGITask):
    """waitress's task, sending an answer's headers and its body in one write when the body is
    whole (one piece, its length known): waitress sends the headers as soon as they are built,
    then the body, two sends and two TCP segments for every answer with a body (a glossary entry,
    a tip sheet), where the floor's empty answer costs one. Anything else (a body in pieces, a
    chunked or bodiless answer) goes as waitress sends it."""

    def write(self, data: bytes) -> None:
        if self.wrote_header or not data:
            super().write(data)
            return
        head = self.build_response_header()  # decides chunking and the Content-Length, as waitress does
        self.wrote_header = True
        if self.has_body and not self.chunked_response and self.content_length == len(data):
            self.content_bytes_written += len(data)
            self.channel.write_soon(head + data)
            return
        self.channel.write_soon(head)
        super().write(data)


class OneWriteChannel(HTTPChannel):
    """waitress's connection, running each request as a :class:`OneWriteTask`."""

    task_class = OneWriteTask


def create_server(app: Callable[..., Iterable[bytes]], port: int) -> Any:
    """waitress serving ``app`` on ``port`` (all interfaces), configured as described above."""
    # Under load waitress warns of every queued request; the queue is the design, not a fault.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = waitress.create_server(
        app,
        host="0.0.0.0",
        port=port,
        threads=THREADS,
        connection_limit=CONNECTIONS,
        channel_timeout=IDLE_SECONDS,
        max_request_body_size=MAX_BODY_BYTES,
        max_request_header_size=HEADER_BYTES,
        asyncore_use_poll=True,  # select() stops at 1,024 descriptors
        clear_untrusted_proxy_headers=False,  # /healthz?verbose=1 tells a proxied request by X-Forwarded-For
        ident="heart-bot",
    )
    # One host and port: waitress returns the one server, whose connections are made from its channel_class.
    server.channel_class = OneWriteChannel
    return server


def run_until_stopped(server: Any) -> None:
    """Serve until SIGTERM (a host stopping or restarting the app) or Ctrl-C. Requests already
    running get up to 5 seconds (waitress's own wait) to finish and answer; none are taken after."""

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)  # ends waitress's loop in this (the main) thread

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.run()  # returns once its threads have finished, or after 5 s
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(settings: Settings, content: Content | None = None) -> None:
    """Serve Slack over HTTP until stopped, then stop the core cleanly (pending work first).

    :param content: the content of ``settings.content_dir``, if it was read and checked already.
    """
    heart = build_heart(settings, content)
    try:
        server = create_server(SlackFront(heart, create_app(heart)), settings.port)
        heart.start_services()
        log.info("serving Slack on port %d", settings.port)
        run_until_stopped(server)
    finally:
        heart.close()
