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
    """Serve Slack: Socket Mode if SLACK_APP_TOKEN is set, else HTTP on PORT (waitress)."""
    from bot.runtime import check_start

    settings = _settings()
    configure_logging(settings)
    content = check_start(settings)  # before taking the port
    if settings.socket_mode:
        from bot.socket_mode import serve as serve_socket_mode

        serve_socket_mode(settings)
    else:
        from bot.web import serve as serve_http

        serve_http(settings, content)


@main.command()
@click.option("--user", "user_id", default="UMEMBER1", show_default=True, help="Act as this Slack member id.")
@click.option("--coordinator", is_flag=True, help="Act as a coordinator.")
@click.option("--db", "database_path", type=click.Path(path_type=Path), help="SQLite file (default: DATABASE_PATH).")
@friendly
def shell(user_id: str, coordinator: bool, database_path: Path | None) -> None:
    """Try the bot offline: type slash commands, read the replies as text.

    Needs no Slack tokens and no network. Reads one command a line; piped input works.
    """
    from bot.offline.shell import run_shell

    settings = _settings(database_path=database_path, log_level="WARNING")
    if coordinator:
        settings = dataclasses.replace(settings, coordinator_ids=settings.coordinator_ids | {user_id})
    configure_logging(settings)
    sys.exit(run_shell(settings, user_id))


@main.command()
@friendly
def check() -> None:
    """Validate configuration and content; exit non-zero with each problem listed."""
    from bot.runtime import load_content

    settings = _settings()
    content = load_content(settings.content_dir)
    click.echo(
        f"content ok: {len(content.glossary)} glossary entries in {len(content.categories)} categories, "
        f"{len(content.tipsheets)} tip sheets"
    )
    net = content.shareout.crisis
    model = f"a word model of {len(net.model.words)} words ({net.model.trained_on})" if net.model else "no word model"
    click.echo(f"safety net ok: {len(net.rules)} rules, {model}")
    for series in content.sessions:
        click.echo(f"series ok: {series.id}: {series.recurrence.describe()}")
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
    from bot.engagement.formats import FORMATS
    from bot.engagement.report import report_for
    from bot.runtime import build_heart

    settings = _settings(database_path=database_path, log_level="WARNING")
    configure_logging(settings)
    heart = build_heart(settings)
    try:
        result = report_for(heart.store, heart.settings, heart.labels, period)
    finally:
        heart.close()
    click.echo(FORMATS[output](result), nl=False)
    if chart_path is not None:
        from bot.engagement.charts import render

        chart_path.write_bytes(render(result).png)
        click.echo(f"chart written to {chart_path}", err=True)


# ---------------------------------------------------------------------------- sessions


@main.group()
def sessions() -> None:
    """Peer support hour sessions: add, list, cancel and move them (the same core as /peerhour).

    The running bot tells members: its scheduler reads changes within HEART_RECONCILE_SECONDS
    (a minute by default), then posts the notices and reminders.
    """


def _session_heart(database_path: Path | None):
    from bot.runtime import build_heart

    settings = _settings(database_path=database_path, log_level="WARNING")
    configure_logging(settings)
    return build_heart(settings)


def _form_problems(invalid: Any) -> click.ClickException:
    options = {"reminders": "remind", "date": "date", "time": "time"}
    lines = [f"--{options.get(name, name)}: {message}" for name, message in invalid.problems.items()]
    return click.ClickException("\n".join(lines))


_DB_OPTION = click.option("--db", "database_path", type=click.Path(path_type=Path), help="SQLite file (default: DATABASE_PATH).")


@sessions.command("add")
@click.option("--title", required=True, help="What members see, e.g. 'Peer Support Hour'.")
@click.option("--date", "first_date", required=True, help="The first session's date, YYYY-MM-DD.")
@click.option("--time", "start_time", required=True, help="Its start, HH:MM on a 24-hour clock, in --timezone.")
@click.option("--timezone", default="", help="IANA time zone, e.g. America/New_York (default: HEART_TIMEZONE).")
@click.option("--duration", default="60", show_default=True, help="Length in minutes.")
@click.option(
    "--repeat",
    default="once",
    show_default=True,
    help="once, weekly, biweekly, monthly (same weekday: 2nd Tuesday) or monthly-last.",
)
@click.option("--until", default="", help="For a series: no session after this date (YYYY-MM-DD).")
@click.option("--count", default="", help="For a series: this many sessions in all.")
@click.option("--channel", default="", help="Channel id for reminders, like C0123ABCD (invite the bot to it).")
@click.option("--link", default="", help="Join link, https://...")
@click.option("--topic", default="", help="The first session's topic.")
@click.option("--description", default="", help="What the sessions are about.")
@click.option("--facilitator", default="", help="Who facilitates.")
@click.option(
    "--remind", default="1d,15m", show_default=True, help="Reminders before the start, e.g. 1w,1d,2h,15m ('' for none)."
)
@_DB_OPTION
@friendly
def sessions_add(database_path: Path | None, first_date: str, start_time: str, remind: str, **fields: str) -> None:
    """Schedule a session, or a series of them."""
    from datetime import UTC, datetime

    from bot.sessions import core
    from bot.sessions.form import InvalidForm, SessionForm, check_form
    from bot.sessions.recurrence import HORIZON, ONCE

    heart = _session_heart(database_path)
    try:
        now = datetime.now(UTC)
        form = SessionForm(date=first_date, time=start_time, reminders=remind, **fields)
        try:
            checked = check_form(form, now=now, default_timezone=heart.settings.timezone)
        except InvalidForm as invalid:
            raise _form_problems(invalid) from None
        series = core.add_series(heart.store, checked.series, now=now, created_by="cli", topic=checked.topic)
        coming = core.upcoming(heart.store, now, limit=200, series_id=series.id)
    finally:
        heart.close()
    click.echo(f"added series {series.id}: {series.recurrence.describe()}")
    for note in checked.notes:
        click.echo(f"note: {note}")
    for occurrence in coming[:5]:
        click.echo(f"  {occurrence.id}")
    if len(coming) > 5:
        click.echo(f"  ... {len(coming)} sessions in the next four months")
    elif coming and series.recurrence.frequency != ONCE and coming[-1].starts_at > now + HORIZON:
        click.echo("  (the next sessions are added as each comes within four months)")


@sessions.command("list")
@click.option("--days", type=int, help="How far ahead to look (default: 60 days; with --all, as far as sessions go).")
@click.option("--all", "show_all", is_flag=True, help="Every coming session however far ahead, cancelled ones included.")
@_DB_OPTION
@friendly
def sessions_list(database_path: Path | None, days: int | None, show_all: bool) -> None:
    """List the coming sessions with their ids, times (in each series' zone) and RSVPs."""
    from datetime import UTC, datetime, timedelta

    from bot.sessions import core
    from bot.sessions.blocks import local_text

    if days is None and not show_all:
        days = 60
    heart = _session_heart(database_path)
    try:
        now = datetime.now(UTC)
        end = now + timedelta(days=days) if days is not None else None
        found = core.occurrences_between(heart.store, now - timedelta(days=1), end)
        rows = [(o, core.rsvp_counts(heart.store, o.id)) for o in found if o.ends_at > now and (show_all or o.live)]
    finally:
        heart.close()
    if not rows:
        click.echo(f"No sessions in the next {days} days." if days is not None else "No sessions coming up.")
        return
    width = max(len(o.id) for o, _ in rows)
    for occurrence, counts in rows:
        topic = f" · {occurrence.topic}" if occurrence.topic else ""
        click.echo(
            f"{occurrence.id:<{width}}  {local_text(occurrence):<26} {occurrence.status:<9} {counts.going:>3} going  "
            f"{occurrence.title}{topic}"
        )


@sessions.command("cancel")
@click.argument("occurrence_id")
@click.option("--note", default="", help="A note for members, e.g. 'We will meet again next month.'")
@_DB_OPTION
@friendly
def sessions_cancel(occurrence_id: str, note: str, database_path: Path | None) -> None:
    """Cancel one session (its id from `sessions list`); the channel and everyone going are told."""
    from datetime import UTC, datetime

    from bot.sessions import core
    from bot.sessions.form import InvalidForm, check_note

    heart = _session_heart(database_path)
    try:
        try:
            checked_note = check_note(note)
        except InvalidForm as invalid:
            raise _form_problems(invalid) from None
        occurrence = core.cancel_occurrence(heart.store, occurrence_id, by="cli", now=datetime.now(UTC), reason=checked_note)
    finally:
        heart.close()
    click.echo(f"cancelled {occurrence.id}; the running bot tells the channel and everyone going.")


@sessions.command("move")
@click.argument("occurrence_id")
@click.option("--date", "new_date", required=True, help="New date, YYYY-MM-DD.")
@click.option("--time", "new_time", required=True, help="New start, HH:MM (24-hour), in the series' time zone.")
@click.option("--note", default="", help="A note for members.")
@_DB_OPTION
@friendly
def sessions_move(occurrence_id: str, new_date: str, new_time: str, note: str, database_path: Path | None) -> None:
    """Move one session to a new date and time; RSVPs stay and everyone going is told."""
    from datetime import UTC, datetime

    from bot.sessions import core
    from bot.sessions.blocks import local_text
    from bot.sessions.form import InvalidForm, check_new_time, check_note

    heart = _session_heart(database_path)
    try:
        moving = core.get_occurrence(heart.store, occurrence_id)
        try:
            start = check_new_time(new_date, new_time, moving.timezone if moving else None)
            checked_note = check_note(note)
        except InvalidForm as invalid:
            raise _form_problems(invalid) from None
        occurrence = core.move_occurrence(heart.store, occurrence_id, start, by="cli", now=datetime.now(UTC), note=checked_note)
    finally:
        heart.close()
    click.echo(f"moved {occurrence.id} to {local_text(occurrence)}; the running bot tells the channel and everyone going.")
