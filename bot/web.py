"""HTTP serving: Slack's one Request URL and a health check, on gunicorn.

``POST /slack/events`` takes slash commands, interactivity and events (Bolt verifies
each request's signature and age); ``GET /healthz`` answers 200 when the database
does, 503 otherwise; ``GET /calendar/<token>.ics`` serves a calendar subscription
(404 for an unknown or revoked token, whichever it is). One gunicorn worker with several threads: one process, so one
scheduler.
"""

from __future__ import annotations

import atexit
import hmac
import logging
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, jsonify, request
from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.flask.handler import to_bolt_request, to_flask_response

from bot import slack_shape
from bot.config import JsonFormatter, Settings, configure_logging, load_settings
from bot.runtime import Heart, build_heart, health
from bot.sessions import feeds

log = logging.getLogger(__name__)

THREADS = 8


def create_flask_app(heart: Heart, bolt_app: App) -> Flask:
    """The WSGI app around a ready Bolt app."""
    flask_app = Flask("heart-bot")

    @flask_app.post("/slack/events")
    def slack_events():
        raw = request.get_data(as_text=True)
        if problem := slack_shape.timestamp_problem(request.headers) or slack_shape.problem(raw, request.content_type):
            # Not a body Slack sends: refused before Bolt reads it (Bolt would fail with a 500).
            if not slack_shape.verified(raw, request.headers, str(heart.settings.signing_secret)):
                return jsonify(error="invalid request"), 401
            log.info("refused a malformed request: %s", problem)
            return jsonify(error="malformed request"), 400
        response = bolt_app.dispatch(to_bolt_request(request))
        if response.status == 401:
            log.info("refused a request with an invalid or expired signature")
        return to_flask_response(response)

    @flask_app.get("/calendar/<token>.ics")
    def calendar_feed(token: str):
        body = feeds.feed_ics(heart.store, token, now=datetime.now(UTC))  # the token is never logged
        if body is None:
            return Response("Not found\n", status=404, mimetype="text/plain")
        return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})

    @flask_app.get("/healthz")
    def healthz():
        if request.args.get("verbose", "0") not in ("", "0") and _may_see_details(heart.settings):
            details, well = health(heart)
            return jsonify(details), 200 if well else 503
        if heart.store.healthy():
            return jsonify(status="ok")
        return jsonify(status="database unavailable"), 503

    return flask_app


def _may_see_details(settings: Settings) -> bool:
    """``/healthz?verbose=1`` answers in full on this host (not through a proxy), or with
    ``Authorization: Bearer <HEALTHZ_TOKEN>``."""
    if request.remote_addr in ("127.0.0.1", "::1") and "X-Forwarded-For" not in request.headers:
        return True
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(settings.healthz_token and offered) and hmac.compare_digest(offered, str(settings.healthz_token))


def create_wsgi_app(settings: Settings | None = None) -> Flask:
    """Build everything from the environment and start background services.

    Any WSGI server can serve the result; heart-bot's own ``serve`` uses gunicorn.
    """
    from bot.app import create_app

    settings = settings or load_settings()
    configure_logging(settings)
    settings.require_slack()
    heart = build_heart(settings)
    bolt_app = create_app(heart)
    heart.start_services()
    atexit.register(heart.close)
    return create_flask_app(heart, bolt_app)


class JsonGunicornLogger(glogging.Logger):
    """gunicorn's own lines (starting, listening, workers) as JSON lines too, with ``LOG_FORMAT=json``."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(JsonFormatter())


class HeartServer(BaseApplication):
    """gunicorn, configured in code: one worker, ``THREADS`` threads, bound to ``PORT``."""

    def __init__(self, settings: Settings):
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": f"0.0.0.0:{self.settings.port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": THREADS,
            "timeout": 0,  # slow Slack calls run after the ack; never kill the one worker
            "graceful_timeout": 10,
            "accesslog": None,  # access logs would carry query strings; ids only here
            "loglevel": self.settings.log_level.lower(),
        }
        if self.settings.log_format == "json":
            options["logger_class"] = JsonGunicornLogger
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # Runs in the worker, after the fork: threads and SQLite connections start here.
        return create_wsgi_app(self.settings)


def serve(settings: Settings) -> None:
    """Serve Slack over HTTP with gunicorn until stopped."""
    HeartServer(settings).run()
