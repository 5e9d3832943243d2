"""What members choose from in /connect, and where each introduction's conversation starter
comes from (``content/connections.yml``).

Sectors are the share-out form's sectors (``shareout.yml``), so a member's sector means the
same thing in every report. A topic is a share-out theme (shown with its label there) or a
tip sheet (shown with its title); each names the tip sheet its conversation starters are
drawn from, and may name which of that sheet's sections to draw from. A starter is one of
the sheet's tips, a bullet that opens with a bold lead.

This feature imports neither share-outs nor the library: :func:`bot.runtime.load_content`
hands :func:`load_connections_content` the sectors, themes and tip sheets it needs.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content import Problem, ReadYaml

MAX_TOPICS = 100  # Slack's limit for one menu
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
_TOPIC_FIELDS = {"theme", "tipsheet", "starters", "sections"}


@dataclass(frozen=True)
class Choice:
    """An option members pick: the id stored with their profile, the label they read."""

    id: str
    label: str


@dataclass(frozen=True)
class Sheet:
    """A tip sheet as connections use it: its title, and its tips (mrkdwn) by section heading."""

    title: str
    tips: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Starter:
    """A conversation starter: a tip, and the title of the sheet it comes from."""

    sheet: str
    tip: str  # mrkdwn, as the sheet writes it


@dataclass(frozen=True)
class ConnectionsContent:
    """The sectors and topics on the profile form, and the starters each topic leads to."""

    sectors: tuple[Choice, ...] = ()
    topics: tuple[Choice, ...] = ()
    starters: Mapping[str, tuple[Starter, ...]] = field(default_factory=dict)  # by topic id
    default_starters: tuple[Starter, ...] = ()  # for a pair that shares no topic

    def sector_label(self, sector_id: str | None) -> str:
        """The label of a sector (the id itself if it was retired; "Not given" for none)."""
        if not sector_id:
            return "Not given"
        return next((c.label for c in self.sectors if c.id == sector_id), sector_id)

    def topic_label(self, topic_id: str) -> str:
        """The label of a topic (the id itself if it was retired)."""
        return next((c.label for c in self.topics if c.id == topic_id), topic_id)


def load_connections_content(
    root: Path,
    read_yaml: ReadYaml,
    problem: Problem,
    *,
    sectors: tuple[Choice, ...],
    themes: Mapping[str, str],
    sheets: Mapping[str, Sheet],
    sheet_files: Collection[str] = (),
) -> ConnectionsContent:
    """Read and check ``connections.yml`` under ``root``.

    :param sectors: the share-out form's sectors.
    :param themes: the share-out themes' labels by id.
    :param sheets: the tip sheets by slug.
    :param sheet_files: the slug of every tip sheet's file, read or not: naming one that could
        not be read is not another problem (its own problems are told at the sheet).
    """
    path = root / "connections.yml"
    data = read_yaml(path)
    if data is None:
        return ConnectionsContent(sectors=sectors)
    if not isinstance(data, dict) or set(data) - {"topics", "default_starters"}:
        problem(path, "", "must be a mapping with topics and default_starters")
        return ConnectionsContent(sectors=sectors)
    items = data.get("topics")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_TOPICS:
        problem(path, "topics", f"must be a list of 1 to {MAX_TOPICS} topics")
        items = []
    topics: list[Choice] = []
    starters: dict[str, tuple[Starter, ...]] = {}
    for index, item in enumerate(items, start=1):
        found = _topic(path, f"topics item {index}", item, themes, sheets, sheet_files, problem)
        if found is None:
            continue
        topic, drawn = found
        if topic.id in starters:
            problem(path, f"topics item {index}", f"{topic.id!r} is listed twice")
            continue
        topics.append(topic)
        starters[topic.id] = drawn
    default = str(data.get("default_starters") or "")
    if default not in sheets and default not in sheet_files:
        problem(path, "default_starters", f"must be a tip sheet's slug ({', '.join(sorted(sheets))})")
    return ConnectionsContent(
        sectors=sectors,
        topics=tuple(topics),
        starters=starters,
        default_starters=_draw(sheets[default], ()) if default in sheets else (),
    )


def _topic(
    path: Path,
    where: str,
    item: Any,
    themes: Mapping[str, str],
    sheets: Mapping[str, Sheet],
    sheet_files: Collection[str],
    problem: Problem,
) -> tuple[Choice, tuple[Starter, ...]] | None:
    """One topic and its starters, or None after reporting what is wrong with it (naming a
    tip sheet that could not be read is not: see :func:`load_connections_content`)."""
    if not isinstance(item, dict) or set(item) - _TOPIC_FIELDS or ("theme" in item) == ("tipsheet" in item):
        problem(path, where, "must name a theme or a tipsheet, with starters (a tip sheet) and optional sections")
        return None
    if "theme" in item:
        topic_id = str(item["theme"])
        if topic_id not in themes:
            problem(path, where, f"theme {topic_id!r} is not a theme in shareout.yml")
            return None
        label, source = themes[topic_id], str(item.get("starters") or "")
    else:
        topic_id = str(item["tipsheet"])
        if topic_id not in sheets:
            if topic_id not in sheet_files:
                problem(path, where, f"tipsheet {topic_id!r} is not a tip sheet")
            return None
        label, source = sheets[topic_id].title, str(item.get("starters") or topic_id)
    if not _ID.match(topic_id):
        problem(path, where, f"{topic_id!r} must be lower-case letters, digits and hyphens")
        return None
    sheet = sheets.get(source)
    if sheet is None:
        if source not in sheet_files:
            problem(path, where, f"starters: {source!r} is not a tip sheet")
        return None
    sections = item.get("sections") or ()
    if not isinstance(sections, list | tuple) or any(str(s) not in sheet.tips for s in sections):
        problem(path, where, f"sections must be headings of {source!r} that list tips: {', '.join(sheet.tips)}")
        return None
    drawn = _draw(sheet, tuple(str(s) for s in sections))
    if not drawn:
        problem(path, where, f"{source!r} has no tips to start a conversation with")
        return None
    return Choice(topic_id, label), drawn


def _draw(sheet: Sheet, sections: tuple[str, ...]) -> tuple[Starter, ...]:
    """Every tip of ``sheet`` (of ``sections`` only, when given) as a starter."""
    return tuple(
        Starter(sheet.title, tip) for heading, tips in sheet.tips.items() if not sections or heading in sections for tip in tips
    )
