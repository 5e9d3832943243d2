"""The series declared in ``content/sessions.yml``, each checked like a form.

:func:`load_session_content` is called by :func:`bot.runtime.load_content`, which hands it
the YAML reader and problem list of :mod:`bot.content`, so its problems are reported with
the rest of the content's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.content import Problem, ReadYaml
from bot.sessions.core import Series
from bot.sessions.form import InvalidForm, SessionForm, check_form
from bot.sessions.recurrence import ONCE

_CONTENT_FIELDS = {
    "id",
    "title",
    "description",
    "facilitator",
    "channel",
    "join_url",
    "timezone",
    "date",
    "time",
    "duration_minutes",
    "repeat",
    "until",
    "count",
    "reminders",
}


def load_session_content(root: Path, read_yaml: ReadYaml, problem: Problem) -> tuple[Series, ...]:
    """The series declared in ``sessions.yml`` under ``root`` (optional), each checked like a form."""
    path = root / "sessions.yml"
    if not path.exists():
        return ()
    data = read_yaml(path)
    if data is None:
        return ()  # unreadable: already reported
    items = data.get("series") if isinstance(data, dict) else None
    if not isinstance(items, list):
        problem(path, "", "must be a mapping with a list called series")
        return ()
    found: list[Series] = []
    for index, item in enumerate(items, start=1):
        where = f"series {item.get('id') or index}" if isinstance(item, dict) else f"series {index}"
        if not isinstance(item, dict):
            problem(path, where, "must be a mapping with an id, a title, a date and a time")
            continue
        unknown = set(item) - _CONTENT_FIELDS
        if unknown:
            problem(path, where, f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(sorted(map(str, unknown)))}")
        if isinstance(item.get("time"), int):  # YAML 1.1 reads 15:30 as a number of minutes
            problem(path, where, 'time: write it in quotes, like "15:30"')
            continue
        if not item.get("timezone"):
            problem(path, where, "timezone: name the series' time zone, like America/New_York")
            continue
        try:
            checked = check_form(_content_form(item), now=None, default_timezone="", series_id=str(item.get("id") or ""))
        except InvalidForm as invalid:
            for name, message in invalid.problems.items():
                problem(path, where, f"{name}: {message}")
            continue
        if not item.get("id"):
            problem(path, where, "id: give the series an id (lower-case letters, digits and hyphens); it must never change")
        elif any(series.id == checked.series.id for series in found):
            problem(path, where, "id: used by another series")
        else:
            found.append(checked.series)
    return tuple(found)


def _content_form(item: dict[str, Any]) -> SessionForm:
    def text(name: str, default: str = "") -> str:
        value = item.get(name)
        return default if value is None else str(value)

    reminders = item.get("reminders")
    return SessionForm(
        title=text("title"),
        date=text("date"),
        time=text("time"),
        timezone=text("timezone"),
        duration=text("duration_minutes", "60"),
        repeat=text("repeat", ONCE),
        until=text("until"),
        count=text("count"),
        channel=text("channel"),
        link=text("join_url"),
        description=text("description"),
        facilitator=text("facilitator"),
        reminders=",".join(map(str, reminders)) if isinstance(reminders, list) else text("reminders", "1d,15m"),
    )
