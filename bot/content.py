"""Reading what editors write under ``content/``, and reporting every problem in one pass.

Each feature loads its own content (the library its glossary and tip sheets, share-outs
their form's choices and the crisis phrases, sessions the series declared in
``sessions.yml``) through the two callables defined here: :data:`ReadYaml` reads a file,
:data:`Problem` notes what is wrong with it. :func:`bot.runtime.load_content` hands every
loader the same :class:`Problems`, so an editor sees all the problems at once, one line
each, as ``file: entry: problem``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ContentError

# libyaml's loader when PyYAML was built with it: the same safe documents, several times faster
# (reading content is most of what start-up costs).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ReadYaml = Callable[[Path], Any]
Problem = Callable[[Path, str, str], None]


class Problems:
    """Collects every problem found, so an editor fixes them all in one pass."""

    def __init__(self, root: Path):
        self.root = root
        self.lines: list[str] = []

    def add(self, path: Path, where: str, problem: str) -> None:
        """Note ``problem`` with ``path`` (relative to the content folder) and ``where`` in it."""
        name = path.relative_to(self.root) if path.is_relative_to(self.root) else path
        self.lines.append(f"{name}: {where}: {problem}" if where else f"{name}: {problem}")

    def read_yaml(self, path: Path) -> Any:
        """The YAML in ``path``, or None after noting why it could not be read."""
        try:
            return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506 (a safe loader)
        except FileNotFoundError:
            self.add(path, "", "file is missing")
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else ""
            self.add(path, where, f"not valid YAML ({getattr(error, 'problem', error)})")
        except ValueError as error:  # e.g. a date like 2026-13-01
            self.add(path, "", f"has an impossible value ({error})")
        return None

    def raise_if_any(self) -> None:
        """:raises ContentError: listing every problem noted, one per line."""
        if self.lines:
            raise ContentError("\n".join(self.lines))
