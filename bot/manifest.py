"""What heart-bot's Slack app manifest (``manifest.yml``, the app Slack installs) asks for:
the bot's scopes and its slash commands. The manifest is the one place they are written;
the start's checks, the offline Slack and the shell's help read them from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"  # beside bot/, at the project's top


def scopes(path: Path = MANIFEST) -> set[str]:
    """The bot scopes the manifest asks for."""
    return set(_read(path)["oauth_config"]["scopes"]["bot"])


def commands(path: Path = MANIFEST) -> dict[str, str]:
    """Each slash command the manifest declares, with its description, in the manifest's order."""
    return {command["command"]: command["description"] for command in _read(path)["features"]["slash_commands"]}


def _read(path: Path) -> dict[str, Any]:
    # libyaml's loader where it is installed: every start reads the manifest.
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (a safe loader)
