"""The App Home tab, built from sections that features add.

Each feature registers a :class:`HomeSection` (a name, an order and a builder) with
:func:`add_section`, usually from its handler's ``register``; :func:`home_view` asks every
section for its blocks, in order, for one member, and joins them into the Home view.
Sections marked ``coordinators_only`` are built only for coordinators.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Block, DividerBlock
from slack_sdk.models.views import View

from bot.blocks import MAX_VIEW_BLOCKS, context, header, section
from bot.safety import IN_A_CRISIS
from bot.text import escape

if TYPE_CHECKING:
    from bot.runtime import Heart

HOME_CALLBACK = "heart_home"


@dataclass(frozen=True)
class HomeVisit:
    """Who is looking at the Home tab, and when."""

    heart: Heart
    user_id: str
    coordinator: bool
    now: datetime


@dataclass(frozen=True)
class HomeSection:
    """A part of the Home tab: ``build`` returns its blocks for one visit ([] to show nothing)."""

    name: str
    order: int
    build: Callable[[HomeVisit], list[Block]]
    coordinators_only: bool = False


_SECTIONS: dict[str, HomeSection] = {}


def add_section(home_section: HomeSection) -> None:
    """Add a section (or replace the one with the same name: registering twice is harmless)."""
    _SECTIONS[home_section.name] = home_section


def sections() -> list[HomeSection]:
    """The registered sections, in order."""
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.name))


def home_view(visit: HomeVisit) -> View:
    """The Home tab for one visit: every section that has something to show, divided.

    Sections are kept whole; one that would take the tab past Slack's 100 blocks is left out.
    """
    blocks: list[Block] = []
    for home_section in sections():
        if home_section.coordinators_only and not visit.coordinator:
            continue
        built = home_section.build(visit)
        if not built:
            continue
        extra = ([DividerBlock()] if blocks else []) + built
        if len(blocks) + len(extra) > MAX_VIEW_BLOCKS - 1:
            continue
        blocks += extra
    if not blocks:
        blocks.append(context("Nothing to show yet."))
    return View(type="home", callback_id=HOME_CALLBACK, blocks=blocks)


def resources_blocks(tipsheet_titles: list[str]) -> list[Block]:
    """Quick links to the glossary and the tip sheets."""
    sheets = ", ".join(f"_{escape(title)}_" for title in tipsheet_titles)
    return [
        header("Look things up"),
        section(
            ":book: *Glossary of Mental Health Terms*: type `/glossary` and a term, like `/glossary trauma-informed care`, "
            "or `/glossary list` to browse."
        ),
        section(f":page_facing_up: *Tip sheets*: type `/tipsheet` to open one{': ' + sheets if sheets else ''}."),
        context(IN_A_CRISIS),
    ]
