"""The share-out form's choices (``content/shareout.yml``) and the safety net's rules (``content/crisis*.yml``).

:func:`load_shareout_content` is called by :func:`bot.runtime.load_content`, which hands
it the YAML reader and problem list of :mod:`bot.content`, so every content problem is
reported in one place, one line each.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.cache import Unpickled
from bot.content import Problem, ReadYaml
from bot.safety import FILE_FIELDS as CRISIS_FIELDS
from bot.safety import SafetyNet, build_safety_net
from bot.word_model import WordModel, read_word_model

CRISIS_MODEL = "crisis-model.json"  # written by tests/safety_corpus/train.py
CRISIS_WHOM = "crisis-whom.json"  # written there too
MAX_LABEL = 75  # Slack's limit for a menu option's text
MAX_CHOICES = 100  # Slack's limit for a menu's options
_CHOICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")


@dataclass(frozen=True)
class Choice:
    """One option on the form: the id stored with a share-out, the label members read."""

    id: str
    label: str


@dataclass(frozen=True)
class ShareoutContent:
    """Sectors and themes for the form, and the safety net that listens to what members write."""

    sectors: tuple[Choice, ...] = ()
    themes: tuple[Choice, ...] = ()
    # Taken from the content cache, the net is unpickled when first used: that rebuilds its
    # indexes and typo reader, some 60 ms of CPU a start need not wait for (a serving process
    # has its background pool do it as soon as the port is open).
    safety_net: Unpickled[SafetyNet] = field(default_factory=lambda: Unpickled(SafetyNet()))

    @property
    def crisis(self) -> SafetyNet:
        """The safety net that listens to what members write."""
        return self.safety_net.get()

    def sector_label(self, sector_id: str | None) -> str | None:
        """The label of a sector id (the id itself if it was retired)."""
        return _label(self.sectors, sector_id)

    def theme_label(self, theme_id: str) -> str:
        """The label of a theme id (the id itself if it was retired)."""
        return _label(self.themes, theme_id) or theme_id


def _label(choices: tuple[Choice, ...], choice_id: str | None) -> str | None:
    if choice_id is None:
        return None
    return next((c.label for c in choices if c.id == choice_id), choice_id)


def shareout_files(root: Path) -> list[Path]:
    """The files under ``root`` that :func:`load_shareout_content` reads, of those that are there."""
    named = [root / "shareout.yml", *root.glob("crisis*.yml"), root / CRISIS_MODEL, root / CRISIS_WHOM]
    return [path for path in named if path.is_file()]


def load_shareout_content(root: Path, read_yaml: ReadYaml, problem: Problem) -> ShareoutContent:
    """Read and check ``shareout.yml`` and every ``crisis*.yml`` under ``root``, reporting each problem."""
    form_path = root / "shareout.yml"
    form = _mapping(form_path, read_yaml(form_path), {"sectors", "themes"}, problem)
    crisis_files: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(root.glob("crisis*.yml")):
        crisis = _mapping(path, read_yaml(path), CRISIS_FIELDS, problem)
        if crisis and not isinstance(crisis.get("reviewed"), dt.date):
            problem(path, "reviewed", "must be a date like 2026-11-28")
        if crisis and not crisis.get("rules"):
            problem(path, "rules", "must list at least one rule")
        crisis_files.append((path.name, crisis))
    if not crisis_files:
        problem(root / "crisis.yml", "", "is missing: the safety net needs its rules")
    return ShareoutContent(
        sectors=_choices(form_path, "sectors", form.get("sectors"), problem),
        themes=_choices(form_path, "themes", form.get("themes"), problem),
        safety_net=Unpickled(
            build_safety_net(
                crisis_files,
                lambda where, what: problem(root / "crisis.yml", where, what),
                model=_word_model(root / CRISIS_MODEL, problem),
                whom=_word_model(root / CRISIS_WHOM, problem),
            )
        ),
    )


def _word_model(path: Path, problem: Problem) -> WordModel | None:
    """One of the safety net's word models, when its file is there (without the word model
    the rules listen alone; without the whom model the words for people say whom it heard about)."""
    if not path.exists():
        return None
    try:
        return read_word_model(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:  # JSONDecodeError and ModelError are ValueErrors
        problem(path, "", f"can't be read: {error}")
        return None


def _mapping(path: Path, data: Any, allowed: set[str], problem: Problem) -> dict[str, Any]:
    if data is None:
        return {}  # missing or unreadable: already reported by read_yaml
    if not isinstance(data, dict):
        problem(path, "", f"must be a mapping with {', '.join(sorted(allowed))}")
        return {}
    unknown = set(data) - allowed
    if unknown:
        problem(path, "", f"unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    return data


def _choices(path: Path, name: str, items: Any, problem: Problem) -> tuple[Choice, ...]:
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_CHOICES:
        problem(path, name, f"must be a list of 1 to {MAX_CHOICES} items, each with an id and a label")
        return ()
    choices: list[Choice] = []
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        where = f"{name} item {index}"
        if not isinstance(item, dict) or set(item) != {"id", "label"}:
            problem(path, where, "must have exactly an id and a label")
            continue
        choice = Choice(str(item["id"]).strip(), " ".join(str(item["label"]).split()))
        if not _CHOICE_ID.match(choice.id):
            problem(path, where, f"id {choice.id!r} must be lower-case letters, digits and hyphens (at most 50)")
        elif choice.id in seen:
            problem(path, where, f"id {choice.id!r} is used twice")
        elif not choice.label or len(choice.label) > MAX_LABEL:
            problem(path, where, f"label must be 1 to {MAX_LABEL} characters")
        else:
            seen.add(choice.id)
            choices.append(choice)
    return tuple(choices)
