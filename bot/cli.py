"""``python -m bot``: serve Slack, open the offline shell, check content, and more.

Every command reads the same configuration and builds the same core; problems a
person can fix are printed as one clear message (exit 1), never as a traceback.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bot import __version__
from bot.config import Settings, configure_logging, load_settings
from bot.errors import HeartError
from bot.text import counted


_DB_OPTION = click.option("--db", "database_path", type=click.Path(path_type=Path), help="SQLite file (default: DATABASE_PATH).")


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
    if ctx.invoked_subcommand not in (None, "serve"):
        gc.enable()  # off while `python -m bot` started (bot/__main__.py); serving turns it on once started
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


@main.command()
@friendly
def serve() -> None:
    """Serve Slack: Socket Mode if SLACK_APP_TOKEN is set, else HTTP on PORT (waitress)."""
    import logging

    from bot.backup import serving_lock
    from bot.runtime import check_start

    settings = _settings()
    configure_logging(settings)
    lock = serving_lock(settings.database_path)  # noqa: F841 (held while serving: restore waits for it)
    checked = check_start(settings)  # before taking the port, so a problem is one line, not a worker's traceback
    for warning in checked.findings.warnings if checked.findings else ():
        logging.getLogger("bot.cli").warning("%s", warning)
    if settings.socket_mode:
        from bot.socket_mode import serve as serve_socket_mode

        serve_socket_mode(settings, checked.content)
    else:
        from bot.web import serve as serve_http

        serve_http(settings, checked.content)


@main.command()
@click.option("--user", "user_id", default="UMEMBER1", show_default=True, help="Act as this Slack member id.")
@click.option("--coordinator", is_flag=True, help="Act as a coordinator.")
@click.option(
    "--db",
    "database_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Use this SQLite file, a real one too (default: a scratch database, thrown away on leaving).",
)
@friendly
def shell(user_id: str, coordinator: bool, database_path: Path | None) -> None:
    """Try the bot offline: type slash commands, read the replies as text.

    Needs no Slack tokens and no network. Reads one command a line; piped input works.
    Works on a scratch database unless --db names one: DATABASE_PATH is never touched by default,
    so trying things on the production host writes nothing into real reports.
    """
    import tempfile

    from bot.offline.shell import run_shell

    with tempfile.TemporaryDirectory(prefix="heart-shell-") as scratch:
        if database_path is None:
            database_path = Path(scratch) / "shell.db"
            banner = f"Scratch database {database_path}: thrown away when you leave (--db PATH keeps one)."
        else:
            banner = (
                f"Warning: using the database {database_path}. What you do here is saved in it as if done in Slack "
                "(share-outs, RSVPs, sessions) and counts in its reports."
            )
        settings = _settings(database_path=database_path, log_level="WARNING")
        if coordinator:
            settings = dataclasses.replace(settings, coordinator_ids=settings.coordinator_ids | {user_id})
        configure_logging(settings)
        # Files the bot sends (exports, charts, calendar files) outlive the shell, to be opened.
        files = Path(tempfile.gettempdir()) / "heart-shell-files"
        status = run_shell(settings, user_id, banner=banner, files_dir=files)
    sys.exit(status)


@main.command()
@click.option("--online/--offline", default=None, help="Ask Slack too (default: when SLACK_BOT_TOKEN is set).")
@click.option("--content", "content_only", is_flag=True, help="Check only the content (for editors; needs no tokens).")
@friendly
def check(online: bool | None, content_only: bool) -> None:
    """Check what serving needs: content, settings, the database and, online, Slack itself.

    Prints what is fine, then each problem on one line with what to do; exits 1 if there is any.
    With a token set it asks Slack (auth.test, the granted scopes, the bot in each series'
    channel, COORDINATOR_GROUP); --offline skips that.
    """
    from bot.runtime import load_content, schema_status, series_channels
    from bot.sessions import core

    settings = _settings()
    content = load_content(settings.content_dir)
    click.echo(
        f"content ok: {len(content.glossary)} glossary entries in {len(content.categories)} categories, "
        f"{len(content.tipsheets)} tip sheets"
    )
    net = content.shareout.crisis
    model = (
        f"a word model of {len(net.model.words)} words and word pairs and {len(net.model.grams)} character n-grams "
        f"({net.model.trained_on})"
        if net.model
        else "no word model"
    )
    click.echo(f"safety net ok: {len(net.rules)} rules, {model}")
    for series in content.sessions:
        click.echo(f"series ok: {series.id}: {series.recurrence.describe()}")
        channel = series.channel_id or settings.peerhour_channel
        for gap in core.setup_gaps(dataclasses.replace(series, channel_id=channel, source="content")):
            click.echo(f"warning: series {series.id} {gap}")
    connecting = content.connections
    starters = len({starter for found in connecting.starters.values() for starter in found})
    click.echo(f"connections ok: {len(connecting.topics)} topics, {starters} conversation starters from the tip sheets")
    if content_only:
        return
    problems = settings.slack_problems()
    if not problems:
        click.echo(f"configuration ok: {'Socket Mode' if settings.socket_mode else 'HTTP'}")
    status = schema_status(settings.database_path, settings)
    click.echo(f"database {settings.database_path}: {status.describe()}")
    if status.unknown:
        problems.append(f"DATABASE_PATH {settings.database_path}: {status.describe()}")
    try:
        _check_writable(settings.database_path)
    except HeartError as error:
        problems.append(str(error))
    if online is None:
        online = bool(settings.bot_token)
    if online and settings.bot_token:
        from bot.preflight import check_slack

        findings = check_slack(settings, series_channels(settings, content))
        for line in findings.ok:
            click.echo(line)
        problems += findings.problems
    else:
        click.echo("Slack not asked (--offline)" if settings.bot_token else "Slack not asked: no SLACK_BOT_TOKEN")
    if problems:
        for problem in problems:
            click.echo(f"problem: {problem}", err=True)
        raise click.exceptions.Exit(1)
    click.echo("ready to serve")


def _check_writable(path: Path) -> None:
    """Raise unless SQLite can write to the database ``path``, or make it (nothing is changed)."""
    import os
    import sqlite3

    from bot.errors import ConfigError

    if not path.exists():
        folder = next((p for p in path.resolve().parents if p.exists()), Path("/"))
        if not (folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)):
            raise ConfigError(
                f"DATABASE_PATH {path} can't be created: {folder} is not writable by this user; "
                "point DATABASE_PATH at a persistent volume the bot can write to"
            )
        return
    if path.is_dir():
        raise ConfigError(f"DATABASE_PATH {path} is a folder: point it at a file in it, like {path / 'heart.db'}")
    try:
        connection = sqlite3.connect(path, timeout=5)
        try:
            connection.execute("BEGIN IMMEDIATE")  # takes the write lock, writes nothing
            connection.execute("ROLLBACK")
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise ConfigError(
            f"DATABASE_PATH {path} can't be written ({error}): give the bot's user write access to the file and its folder"
        ) from None


@main.command()
@click.argument("destination", type=click.Path(path_type=Path))
@_DB_OPTION
@friendly
def backup(destination: Path, database_path: Path | None) -> None:
    """Copy the database to DESTINATION (a file, or a folder for a dated file), even while serving.

    The copy is of one moment, checked, and appears only once complete: safe to run from cron.
    It holds everything the database holds, share-outs too: keep it as privately, and delete
    old ones yourself.
    """
    from bot.backup import backup as copy_database

    settings = _settings(database_path=database_path)
    copied = copy_database(settings.database_path, destination)
    click.echo(f"backup written: {copied.path} ({copied.size:,} bytes, integrity ok)")


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@_DB_OPTION
@click.option("--yes", is_flag=True, help="Don't ask first.")
@friendly
def restore(source: Path, database_path: Path | None, yes: bool) -> None:
    """Replace the database with the backup SOURCE: refused while a bot serves from it.

    SOURCE is checked first (SQLite's integrity check, and a schema this release knows); the
    current database is kept beside it as <name>.before-restore-<time>. Start the bot after:
    it brings an older backup's schema up to date.
    """
    from bot.backup import check_file
    from bot.backup import restore as restore_database
    from bot.runtime import schema_status

    settings = _settings(database_path=database_path)
    check_file(source)
    status = schema_status(source, settings)
    if status.unknown:
        raise click.ClickException(f"{source}: {status.describe()}")
    click.echo(f"backup {source}: {status.describe()}")
    if not yes and not click.confirm(f"Replace {settings.database_path} with it?", default=False):
        raise click.ClickException("nothing was restored")
    kept = restore_database(source, settings.database_path)
    if kept:
        click.echo(f"the database it replaced is kept as {kept.path}")
    click.echo(f"restored {settings.database_path} from {source}; start the bot again")


@main.command()
@click.option(
    "--period",
    default="",
    help="e.g. 'last month', 2026-11, 2026-11-01..2026-11-15, 'Q1 2027', FY2027, 'grant year 2027', or a series "
    "(default: last 30 days).",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "csv", "json", "html"]),
    default="table",
    show_default=True,
    help="How to print it; html is the one-page funder summary, chart included, ready to print or attach.",
)
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also draw the session chart to this PNG file.",
)
@click.option("--db", "database_path", type=click.Path(path_type=Path), help="SQLite file (default: DATABASE_PATH).")
@click.option(
    "--recompute",
    is_flag=True,
    help="Count a period that has ended afresh and keep the new figures in place of those first exported "
    "(members who deleted their data since are no longer counted).",
)
@friendly
def report(period: str, output: str, chart_path: Path | None, database_path: Path | None, recompute: bool) -> None:
    """Print the engagement report: the same figures coordinators get with /heart report.

    A period that has ended is kept as first printed or exported: the same figures every time after.
    """
    from bot.engagement.formats import FORMATS
    from bot.engagement.kept import report_for
    from bot.runtime import build_heart

    settings = _settings(database_path=database_path, log_level="WARNING")
    configure_logging(settings)
    heart = build_heart(settings)
    try:
        result = report_for(heart.store, heart.settings, heart.labels, period, export=True, recompute=recompute)
    finally:
        heart.close()
    if output == "html":
        from bot.engagement.charts import render as draw
        from bot.engagement.summary import as_html

        click.echo(as_html(result, draw(result)), nl=False)
    else:
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


@sessions.command("add")
@click.option("--title", required=True, help="What members see, e.g. 'Peer Support Hour'.")
@click.option("--date", "first_date", required=True, help="The first session's date, YYYY-MM-DD.")
@click.option("--time", "start_time", required=True, help="Its start in --timezone: 13:00 or 1pm, 15:30 or 3:30pm.")
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
@click.option("--past", is_flag=True, help="Sessions that already took place, for the record: no channel, no reminders.")
@_DB_OPTION
@friendly
def sessions_add(database_path: Path | None, first_date: str, start_time: str, remind: str, past: bool, **fields: str) -> None:
    """Schedule a session, or a series of them (or record past ones with --past)."""
    from datetime import UTC, datetime

    from bot.sessions import core
    from bot.sessions.form import InvalidForm, SessionForm, check_form
    from bot.sessions.recurrence import HORIZON, ONCE

    heart = _session_heart(database_path)
    try:
        now = datetime.now(UTC)
        form = SessionForm(date=first_date, time=start_time, reminders="" if past else remind, **fields)
        try:
            checked = check_form(form, now=None if past else now, default_timezone=heart.settings.timezone)
        except InvalidForm as invalid:
            if not past and "already passed" in invalid.problems.get("date", ""):
                invalid.problems["date"] += " To add a session that took place, for the record, add --past."
            raise _form_problems(invalid) from None
        if past:
            series, recorded = core.add_past_series(heart.store, checked.series, now=now, created_by="cli", topic=checked.topic)
            click.echo(f"recorded series {series.id}: {counted(len(recorded), 'past session')}, no reminders and no channel posts")
            for occurrence_id in recorded[:5]:
                click.echo(f"  {occurrence_id}")
            return
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
    if not series.channel_id:
        click.echo(
            "note: no --channel: no reminder will be posted in a channel; only members who ask for DM reminders get them "
            f"(add one with `python -m bot sessions edit {series.id} --channel C0123ABCD`)"
        )


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

    def replace_start(occurrence: core.Occurrence, start: datetime) -> str:
        return local_text(dataclasses.replace(occurrence, starts_at=start))

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
        if occurrence.status == core.MOVED and occurrence.previous_starts_at:
            topic += f" (moved; was {replace_start(occurrence, occurrence.previous_starts_at)})"
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
        meant, note_text = core.find_occurrence(heart.store, occurrence_id)
        if note_text:
            click.echo(f"note: {note_text}")
        occurrence = core.cancel_occurrence(heart.store, meant.id, by="cli", now=datetime.now(UTC), reason=checked_note)
    finally:
        heart.close()
    click.echo(f"cancelled {occurrence.id}; the running bot tells the channel and everyone going.")


@sessions.command("move")
@click.argument("occurrence_id")
@click.option("--date", "new_date", required=True, help="New date, YYYY-MM-DD.")
@click.option("--time", "new_time", required=True, help="New start in the series' time zone: 13:00 or 1pm.")
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
        moving, note_text = core.find_occurrence(heart.store, occurrence_id)
        if note_text:
            click.echo(f"note: {note_text}")
        try:
            start = check_new_time(new_date, new_time, moving.timezone)
            checked_note = check_note(note)
        except InvalidForm as invalid:
            raise _form_problems(invalid) from None
        occurrence = core.move_occurrence(heart.store, moving.id, start, by="cli", now=datetime.now(UTC), note=checked_note)
    finally:
        heart.close()
    click.echo(f"moved {occurrence.id} to {local_text(occurrence)}; the running bot tells the channel and everyone going.")


@sessions.command("edit")
@click.argument("target")
@click.option("--title", default=None, help="A series' new title.")
@click.option("--link", default=None, help="Join link, https://... (of the series, or of one session; '' to remove).")
@click.option("--topic", default=None, help="One session's topic ('' to remove).")
@click.option("--description", default=None, help="A series' description ('' to remove).")
@click.option("--facilitator", default=None, help="A series' facilitator ('' to remove).")
@click.option("--remind", default=None, help="A series' reminders before each start, e.g. 1d,15m ('' for none).")
@click.option("--channel", default=None, help="A series' channel id for reminders, like C0123ABCD ('' for none).")
@click.option("--end", "end_series", is_flag=True, help="End the series: its sessions still to come are cancelled.")
@click.option("--note", default="", help="With --end: a note for members.")
@_DB_OPTION
@friendly
def sessions_edit(target: str, end_series: bool, note: str, database_path: Path | None, **given: str | None) -> None:
    """Change a series (TARGET: its id) or one session (TARGET: series-id:date, from `sessions list`).

    A series takes --title, --link, --description, --facilitator, --remind, --channel and --end; a
    session takes --topic and --link (its own, in place of the series'). Members see the change
    the next time they look; reminders follow new settings.
    """
    from datetime import UTC, datetime

    from bot.sessions import core
    from bot.sessions.blocks import local_text
    from bot.sessions.form import InvalidForm, check_edit, check_note, check_series_edit

    fields = {name: value for name, value in given.items() if value is not None}
    if not fields and not end_series:
        raise click.ClickException(
            "Say what to change: --title, --link, --topic, --description, --facilitator, --remind, --channel or --end."
        )
    heart = _session_heart(database_path)
    now = datetime.now(UTC)
    try:
        if ":" in target:
            series_only = sorted(set(fields) - {"topic", "link"}) + (["end"] if end_series else [])
            if series_only:
                series_id = target.rpartition(":")[0]
                flags = ", ".join(f"--{name}" for name in series_only)
                raise click.ClickException(
                    f"{flags}: a series' setting; change it with `python -m bot sessions edit {series_id} ...`."
                )
            occurrence, note_text = core.find_occurrence(heart.store, target)
            if note_text:
                click.echo(f"note: {note_text}")
            try:
                topic, link = check_edit(
                    fields.get("topic", occurrence.topic or ""), fields.get("link", occurrence.join_url or "")
                )
            except InvalidForm as invalid:
                raise _form_problems(invalid) from None
            edited = core.edit_occurrence(heart.store, occurrence.id, topic=topic, join_url=link, by="cli", now=now)
            topic_text, link_text = edited.topic or "(none)", edited.join_url or "(none)"
            click.echo(f"updated {edited.id} ({local_text(edited)}): topic {topic_text}, link {link_text}")
            return
        if "topic" in fields:
            raise click.ClickException("--topic: a topic belongs to one session; give its id, like series-id:2026-12-08.")
        try:
            changes = check_series_edit(
                title=fields.get("title"),
                link=fields.get("link"),
                description=fields.get("description"),
                facilitator=fields.get("facilitator"),
                reminders=fields.get("remind"),
                channel=fields.get("channel"),
            )
            checked_note = check_note(note)
        except InvalidForm as invalid:
            raise _form_problems(invalid) from None
        series = core.edit_series(heart.store, target, changes, now=now)
        if changes:
            click.echo(f"updated series {series.id}: {', '.join(sorted(given_name(name) for name in changes))}")
        if end_series:
            series, cancelled = core.end_series(heart.store, series.id, by="cli", now=now, note=checked_note)
            click.echo(
                f"ended series {series.id}: {counted(len(cancelled), 'coming session')} cancelled; "
                "the running bot tells the channel and everyone going."
            )
    finally:
        heart.close()


def given_name(field_name: str) -> str:
    """The CLI option for a series field: ``join_url`` is ``--link``."""
    return {"join_url": "link", "reminder_offsets": "remind", "channel_id": "channel"}.get(field_name, field_name)
# ---------------------------------------------------------------------------- connections


@main.group()
def connections() -> None:
    """Monthly connections: preview the next round, start one now, pause, resume, set the schedule.

    The running bot sends what a change calls for (introductions of a round started here)
    within HEART_RECONCILE_SECONDS.
    """


@connections.command("status")
@_DB_OPTION
@friendly
def connections_status(database_path: Path | None) -> None:
    """How many members are in, when rounds start, and the last round's figures."""
    from datetime import UTC, datetime

    from bot.connections import core, rounds
    from bot.connections.blocks import groups_count, membership_counts, round_label

    heart = _session_heart(database_path)
    try:
        now = datetime.now(UTC)
        zone = heart.settings.timezone
        threshold = heart.settings.small_count_threshold
        schedule = core.get_schedule(heart.store, zone)
        counts = core.membership(heart.store)
        upcoming = rounds.next_start(heart.store, schedule, now)
        last = rounds.latest_round(heart.store)
        groups = rounds.groups_of(heart.store, last.id) if last else []
    finally:
        heart.close()
    click.echo(f"members: {membership_counts(counts, threshold)}")
    click.echo(f"schedule: {schedule.describe()}")
    click.echo(f"next round: {round_label(upcoming, zone) if upcoming else 'none: connections are paused'}")
    if last:
        click.echo(f"last round: {last.id}, {groups_count(len(groups), threshold)}, planned by {last.planned_by}")


_SECTOR_MIX = {"across": "groups across sectors", "same": "groups within one sector"}


@connections.command("preview")
@_DB_OPTION
@friendly
def connections_preview(database_path: Path | None) -> None:
    """The next round as it would be made now, in counts: no member and no pair is named
    (nothing is saved or sent)."""
    from datetime import UTC, datetime

    from bot.connections import core, rounds
    from bot.small_counts import Suppressor

    heart = _session_heart(database_path)
    try:
        now = datetime.now(UTC)
        zone = heart.settings.timezone
        hide = Suppressor(heart.settings.small_count_threshold)
        start = rounds.next_start(heart.store, core.get_schedule(heart.store, zone), now) or now
        proposal = rounds.propose(heart.store, heart.content.connections, rounds.round_id(start, zone))
    finally:
        heart.close()
    across = sum(1 for cross, _, _ in proposal.details if cross)
    mix = [("across", across), ("same", len(proposal.details) - across)]
    figures = [
        hide.tally("members", "members to pair", len(proposal.candidates)),
        hide.tally("groups", "groups", len(proposal.pairing.groups)),
        *hide.tallies(mix, lambda key: _SECTOR_MIX[key], together="groups across sectors and within one"),
        hide.tally("left_out", "left out (nobody they could be paired with)", len(proposal.pairing.left_out)),
        hide.tally("skipping", "skipping this round", len(proposal.skipping)),
    ]
    click.echo(f"round {proposal.round_id}, as it would be made now:")
    for figure in figures:
        click.echo(f"  {figure.label}: {figure.shown}")


@connections.command("run")
@_DB_OPTION
@friendly
def connections_run(database_path: Path | None) -> None:
    """Start a round now: pair the members and leave the introductions to the running bot."""
    from datetime import UTC, datetime

    from bot.connections import core, rounds
    from bot.connections.blocks import groups_count

    heart = _session_heart(database_path)
    try:
        schedule = core.get_schedule(heart.store, heart.settings.timezone)
        started = rounds.start_now(heart.store, heart.content.connections, schedule, by="cli", now=datetime.now(UTC))
        made = groups_count(len(rounds.groups_of(heart.store, started.id)), heart.settings.small_count_threshold)
    finally:
        heart.close()
    click.echo(f"started round {started.id}: {made}; the running bot introduces them at Slack's pace.")


@connections.command("pause")
@_DB_OPTION
@friendly
def connections_pause(database_path: Path | None) -> None:
    """Pause connections for everyone: no round starts and nothing is sent until `resume`."""
    from bot.connections import core

    heart = _session_heart(database_path)
    try:
        core.set_paused(heart.store, True)
    finally:
        heart.close()
    click.echo("connections paused: no round starts and no introduction or follow-up is sent until you resume them.")


@connections.command("resume")
@_DB_OPTION
@friendly
def connections_resume(database_path: Path | None) -> None:
    """Resume connections after `pause`."""
    from bot.connections import core

    heart = _session_heart(database_path)
    try:
        core.set_paused(heart.store, False)
    finally:
        heart.close()
    click.echo("connections resumed.")


@connections.command("schedule")
@click.option("--day", required=True, help='e.g. "1st mon" (the default), "2nd tue", "last fri", or a date from 1 to 28.')
@click.option("--time", "start_time", required=True, help="HH:MM on a 24-hour clock, in HEART_TIMEZONE, e.g. 10:00.")
@_DB_OPTION
@friendly
def connections_schedule(day: str, start_time: str, database_path: Path | None) -> None:
    """Set when each month's round starts."""
    from bot.connections import core
    from bot.connections.schedule import check_schedule

    heart = _session_heart(database_path)
    try:
        schedule = check_schedule(day, start_time, heart.settings.timezone)
        core.set_schedule(heart.store, schedule)
    finally:
        heart.close()
    click.echo(f"rounds start on {schedule.describe()}.")


# ---------------------------------------------------------------------------- attendance


@main.group()
def attendance() -> None:
    """Record who came to a session (the same core as /heart attendance): a headcount, members
    present, or the participants export of Zoom or Teams; and sessions held before heart-bot."""


@attendance.command("record")
@click.argument("session_id")
@click.option("--headcount", type=click.IntRange(0, 10_000), help="Everyone present, members or not.")
@click.option("--present", default="", help="Member ids marked present, comma-separated (U0123,U0456).")
@click.option(
    "--participants",
    "participants_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The participants export of Zoom or Teams (CSV): each person counted once, members matched.",
)
@click.option(
    "--members",
    "members_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Members to match participants against: a CSV with userid and name or email columns (Slack's member export).",
)
@_DB_OPTION
@friendly
def attendance_record(
    session_id: str,
    headcount: int | None,
    present: str,
    participants_path: Path | None,
    members_path: Path | None,
    database_path: Path | None,
) -> None:
    """Record the attendance of SESSION_ID (as `sessions list` shows it)."""
    from datetime import UTC, datetime

    from bot.engagement import attendance as core

    members = [member.strip() for member in present.split(",") if member.strip()]
    if headcount is None and not members and participants_path is None:
        raise click.UsageError("Give --headcount, --present or --participants.")
    heart = _session_heart(database_path)
    now = datetime.now(UTC)
    try:
        recorded = core.record(heart.store, session_id, by="cli", now=now, headcount=headcount, present=members)
        if participants_path is not None:
            directory = core.directory_from_csv(members_path.read_text("utf-8")) if members_path else {}
            export = participants_path.read_text("utf-8-sig", errors="replace")
            recorded = core.record_participants(heart.store, session_id, export, directory, by="cli", now=now)
    finally:
        heart.close()
    click.echo(_recorded_text(recorded))


@attendance.command("past")
@click.option("--series", "series_id", required=True, help="The series it belonged to (its id, as /heart help lists them).")
@click.option("--date", "held_on", required=True, help="The day it was held, YYYY-MM-DD.")
@click.option("--time", "start_time", required=True, help="Its start, HH:MM in the series' time zone.")
@click.option("--duration", default=60, show_default=True, type=click.IntRange(5, 24 * 60), help="Length in minutes.")
@click.option("--headcount", type=click.IntRange(0, 10_000), help="Everyone present, if known.")
@_DB_OPTION
@friendly
def attendance_past(
    series_id: str, held_on: str, start_time: str, duration: int, headcount: int | None, database_path: Path | None
) -> None:
    """Record a session held before heart-bot was installed, so reports count it."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.engagement import attendance as core

    heart = _session_heart(database_path)
    try:
        zone = heart.store.db.execute("select timezone from series where id = ?", [series_id]).fetchone()
        try:
            local = datetime.fromisoformat(f"{held_on}T{start_time}")
        except ValueError:
            raise click.UsageError("--date is YYYY-MM-DD and --time is HH:MM.") from None
        starts = local.replace(tzinfo=ZoneInfo(zone[0] if zone and zone[0] else heart.settings.timezone))
        now = datetime.now(UTC)
        session_id = core.record_past_session(heart.store, series_id, starts, duration_minutes=duration, now=now)
        click.echo(f"Recorded the session {session_id}.")
        if headcount is not None:
            click.echo(_recorded_text(core.record(heart.store, session_id, by="cli", now=now, headcount=headcount)))
    finally:
        heart.close()


def _recorded_text(recorded: Any) -> str:
    from bot.engagement.blocks import attendance_recorded_text

    return attendance_recorded_text(recorded).replace("*", "")
