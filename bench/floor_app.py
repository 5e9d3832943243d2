"""The floor for slash commands: a bare Bolt app with one ack-only command.

It runs on exactly heart-bot's server stack: the same gunicorn configuration (one
worker, the same threads, through :class:`bot.web.HeartServer`), Bolt's Flask adapter,
signature verification, and a ``/healthz`` route. Whatever heart-bot spends beyond this
app's time is heart-bot's own work.

Run as ``python -m bench.floor_app`` with the same environment as ``python -m bot serve``.
"""

from __future__ import annotations

from flask import Flask, jsonify, request
from slack_bolt import Ack, App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient

from bot.config import Settings, configure_logging, load_settings
from bot.web import HeartServer

COMMAND = "/ack"


def create_floor_app(settings: Settings) -> Flask:
    """A Flask app serving a Bolt app whose one command only acknowledges."""
    client = WebClient(token=settings.bot_token, base_url=settings.slack_api_url)
    bolt_app = App(client=client, signing_secret=settings.signing_secret)

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


class FloorServer(HeartServer):
    """heart-bot's gunicorn configuration, serving the floor app instead."""

    def load(self) -> Flask:
        return create_floor_app(self.settings)


if __name__ == "__main__":
    floor_settings = load_settings()
    configure_logging(floor_settings)
    FloorServer(floor_settings).run()
