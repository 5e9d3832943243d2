"""The floors for slash commands: a bare Bolt app with one ack-only command.

It runs on exactly heart-bot's server stack: the same waitress configuration (one process,
the same threads and limits, through :func:`bot.web.create_server`), with Bolt's Flask
adapter, signature verification, and a ``/healthz`` route. Whatever heart-bot spends
beyond this app's time is heart-bot's own work.

Two floors: Bolt's default mode, which polls every 10 ms for ``ack()``
(``python -m bench.floor_app``), and ``process_before_response=True``, which answers as
soon as the listener returns, as heart-bot does (``python -m bench.floor_app --fast``).
Run with the same environment as ``python -m bot serve``.
"""

from __future__ import annotations

import sys

from flask import Flask, jsonify, request
from slack_bolt import Ack, App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient

from bot.config import Settings, configure_logging, load_settings
from bot.web import create_server, run_until_stopped

COMMAND = "/ack"
FAST = "--fast"


def create_floor_app(settings: Settings, *, process_before_response: bool = False) -> Flask:
    """A Flask app serving a Bolt app whose one command only acknowledges."""
    client = WebClient(token=settings.bot_token, base_url=settings.slack_api_url)
    bolt_app = App(client=client, signing_secret=settings.signing_secret, process_before_response=process_before_response)

    @bolt_app.command(COMMAND)
    def ack_only(ack: Ack) -> None:
        ack()

    handler = SlackRequestHandler(bolt_app)
    flask_app = Flask("bolt-floor")

    @flask_app.post("/slack/events")
    def slack_events():
        return handler.handle(request)

    @flask_app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return flask_app


if __name__ == "__main__":
    floor_settings = load_settings()
    configure_logging(floor_settings)
    floor = create_floor_app(floor_settings, process_before_response=FAST in sys.argv[1:])
    run_until_stopped(create_server(floor, floor_settings.port))
