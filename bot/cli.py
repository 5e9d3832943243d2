"""``python -m bot``: serve Slack, open the offline shell, check content, and more.

Every command reads the same configuration and builds the same core; problems a
person can fix are printed as one clear message (exit 1), never as a traceback.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bot import __version__
from bot.config import Settings, configure_logging, load_settings
from bot.content import load_content
from bot.errors import HeartError


def _settings(**overrides: Any) -> Settings:
    try:
        settings = load_settings()
    except HeartError as error:
        raise click.ClickException(str(error)) from None
    changes = {key: value for key, value in overrides.items() if value is not None}
    return dataclasses.replace(settings, **changes) if changes else settings


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn heart-bot's own errors into a one-line CLI error instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except HeartError as error:
            raise click.ClickException(str(error)) from None

    return wrapper


@click.group(invoke_without_command=True)
@click.version_option(__version__, prog_name="heart-bot")
@click.pass_context
def main(ctx: click.Context) -> None:
    """heart-bot: the HEART Collective's Slack app.

    With no command, serves Slack (the same as `serve`).
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


@main.command()
@friendly
def serve() -> None:
    """Serve Slack: Socket Mode if SLACK_APP_TOKEN is set, else HTTP on PORT (gunicorn)."""
    settings = _settings()
    configure_logging(settings)
    settings.require_slack()
    load_content(settings.content_dir)  # refuse to start on invalid content
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        from bot.app import create_app
        from bot.runtime import build_heart

        heart = build_heart(settings)
        app = create_app(heart)
        heart.start_services()
        try:
            SocketModeHandler(app, settings.app_token).start()
        finally:
            heart.close()
    else:
        from bot.web import serve as serve_http

        serve_http(settings)


@main.command()
@click.option("--user", "user_id", default="UMEMBER1", show_default=True, help="Act as this Slack member id.")
@click.option("--coordinator", is_flag=True, help="Act as a coordinator.")
@click.option("--db", "database_path", type=click.Path(path_type=Path), help="SQLite file (default: DATABASE_PATH).")
@friendly
def shell(user_id: str, coordinator: bool, database_path: Path | None) -> None:
    """Try the bot offline: type slash commands, read the replies as text.

    Needs no Slack tokens and no network. Reads one command a line; piped input works.
    """
    from bot.shell import run_shell

    settings = _settings(database_path=database_path, log_level="WARNING")
    if coordinator:
        settings = dataclasses.replace(settings, coordinator_ids=settings.coordinator_ids | {user_id})
    configure_logging(settings)
    sys.exit(run_shell(settings, user_id))


@main.command()
@friendly
def check() -> None:
    """Validate configuration and content; exit non-zero with each problem listed."""
    settings = _settings()
    content = load_content(settings.content_dir)
    click.echo(
        f"content ok: {len(content.glossary)} glossary entries in {len(content.categories)} categories, "
        f"{len(content.tipsheets)} tip sheets"
    )
    click.echo(f"configuration ok: {'Socket Mode' if settings.socket_mode else 'HTTP'}; database {settings.database_path}")


@main.command()
@click.option(
    "--period", default="", help="e.g. 'last month', 2026-11, 2026-11-01..2026-11-15, or a series id (default: last 30 days)."
)
@click.option(
    "--format", "output", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True, help="How to print it."
)
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also draw the session chart to this PNG file.",
)
@click.option("--db", "database_path", type=click.Path(path_type=Path), help="SQLite file (default: DATABASE_PATH).")
@friendly
def report(period: str, output: str, chart_path: Path | None, database_path: Path | None) -> None:
    """Print the engagement report: the same figures coordinators get with /heart report."""
    from bot.engagement import report_for
    from bot.report_formats import FORMATS
    from bot.runtime import build_heart

    settings = _settings(database_path=database_path, log_level="WARNING")
    configure_logging(settings)
    heart = build_heart(settings)
    try:
        result = report_for(heart, period)
    finally:
        heart.close()
    click.echo(FORMATS[output](result), nl=False)
    if chart_path is not None:
        from bot.charts import render

        chart_path.write_bytes(render(result).png)
        click.echo(f"chart written to {chart_path}", err=True)
