"""Loading and validating the content editors write: the glossary and the tip sheets.

Content is data in ``content/``: ``glossary/categories.yml`` names the categories,
``glossary/<category>.yml`` lists that category's entries, and ``tipsheets/*.md`` holds
one tip sheet per file (Markdown with YAML front matter). :func:`load_content` reads it
all and raises one :class:`ContentError` listing every problem as ``file: entry: problem``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from bot.errors import ContentError
from bot.sessions.core import Series
from bot.sessions.form import load_session_content
from bot.shareouts.content import ShareoutContent, load_shareout_content
from bot.text import normalize

ENTRY_FIELDS = {"term", "definition", "aliases", "related", "sources", "reviewed"}
SHEET_FIELDS = {"title", "summary", "aliases", "order", "reviewed"}
MAX_DEFINITION = 1200
MAX_SUMMARY = 150


@dataclass(frozen=True)
class Category:
    """A glossary category, such as *Trauma and resilience*."""

    id: str
    name: str


@dataclass(frozen=True)
class GlossaryEntry:
    """One term of the Glossary of Mental Health Terms."""

    id: str
    term: str
    category: str
    definition: str
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()  # ids of other entries
    sources: tuple[str, ...] = ()
    reviewed: dt.date | None = None

    @property
    def distinct_aliases(self) -> list[str]:
        """Aliases worth showing: one spelling of each, none that only restates the term.

        Editors list plural and hyphenated variants so members find the entry; readers
        need to see each name once.
        """
        seen = {normalize(self.term)}
        shown = []
        for alias in self.aliases:
            key = normalize(alias)
            if key not in seen:
                seen.add(key)
                shown.append(alias)
        return shown


@dataclass(frozen=True)
class TipSheet:
    """One tip sheet: front matter plus a Markdown body."""

    slug: str
    title: str
    summary: str
    body: str
    aliases: tuple[str, ...] = ()
    order: int = 0
    reviewed: dt.date | None = None


@dataclass(frozen=True)
class Content:
    """Everything under ``content/`` that the bot serves, validated."""

    categories: tuple[Category, ...]
    glossary: tuple[GlossaryEntry, ...]
    tipsheets: tuple[TipSheet, ...]
    root: Path = field(default=Path("content"))
    shareout: ShareoutContent = field(default_factory=ShareoutContent)
    sessions: tuple[Series, ...] = ()  # series declared in sessions.yml

    def category_name(self, category_id: str) -> str:
        """The display name of a category id."""
        return next(c.name for c in self.categories if c.id == category_id)


def slugify(text: str) -> str:
    """A stable id from a term: ``Trauma-informed approach`` -> ``trauma-informed-approach``."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


class _Problems:
    """Collects every problem found, so an editor fixes them all in one pass."""

    def __init__(self, root: Path):
        self.root = root
        self.lines: list[str] = []

    def add(self, path: Path, where: str, problem: str) -> None:
        name = path.relative_to(self.root) if path.is_relative_to(self.root) else path
        self.lines.append(f"{name}: {where}: {problem}" if where else f"{name}: {problem}")

    def raise_if_any(self) -> None:
        if self.lines:
            raise ContentError("\n".join(self.lines))


def load_content(root: Path) -> Content:
    """Read and validate all content under ``root``.

    :raises ContentError: listing every problem, one per line.
    """
    root = Path(root)
    problems = _Problems(root)
    if not root.is_dir():
        raise ContentError(f"{root}: the content folder does not exist (set CONTENT_DIR or restore content/)")
    categories = _load_categories(root / "glossary" / "categories.yml", problems)
    glossary = _load_glossary(root / "glossary", categories, problems)
    tipsheets = _load_tipsheets(root / "tipsheets", problems)
    shareout = load_shareout_content(root, lambda path: _read_yaml(path, problems), problems.add)
    sessions = load_session_content(root, lambda path: _read_yaml(path, problems), problems.add)
    problems.raise_if_any()
    return Content(tuple(categories), tuple(glossary), tuple(tipsheets), root, shareout, sessions)


def _read_yaml(path: Path, problems: _Problems) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.add(path, "", "file is missing")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        problems.add(path, where, f"not valid YAML ({getattr(error, 'problem', error)})")
    except ValueError as error:  # e.g. a date like 2026-13-01
        problems.add(path, "", f"has an impossible value ({error})")
    return None


def _load_categories(path: Path, problems: _Problems) -> list[Category]:
    data = _read_yaml(path, problems)
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(c, dict) and c.get("id") and c.get("name") for c in data):
        problems.add(path, "", "must be a list of items with an id and a name")
        return []
    return [Category(str(c["id"]), str(c["name"])) for c in data]


def _text_list(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return None


def _load_glossary(folder: Path, categories: list[Category], problems: _Problems) -> list[GlossaryEntry]:
    known = {c.id for c in categories}
    raw: list[tuple[Path, str, dict[str, Any]]] = []
    for path in sorted(folder.glob("*.yml")):
        if path.name == "categories.yml":
            continue
        if path.stem not in known:
            problems.add(path, "", f"file name must be a category id ({', '.join(sorted(known))})")
            continue
        data = _read_yaml(path, problems)
        if data is None:
            continue
        if not isinstance(data, list):
            problems.add(path, "", "must be a list of entries")
            continue
        for index, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                problems.add(path, f"entry {index}", "must be a mapping with a term and a definition")
                continue
            raw.append((path, path.stem, item))

    entries: list[GlossaryEntry] = []
    owners: dict[str, tuple[str, Path]] = {}  # normalized key -> (term, file)
    pending_related: list[tuple[Path, str, tuple[str, ...]]] = []
    for path, category, item in raw:
        entry = _entry(path, category, item, problems)
        if entry is None:
            continue
        for key_text in (entry.term, *entry.aliases):
            key = normalize(key_text)
            owner = owners.get(key)
            if owner and owner[0] != entry.term:
                problems.add(path, entry.term, f"{key_text!r} is also used by {owner[0]!r} ({owner[1].name})")
            elif not key:
                problems.add(path, entry.term, f"{key_text!r} has no letters or digits")
            else:
                owners[key] = (entry.term, path)
        pending_related.append((path, entry.term, entry.related))
        entries.append(entry)

    ids = {normalize(e.term): e.id for e in entries}
    resolved: dict[str, tuple[str, ...]] = {}
    for path, term, related in pending_related:
        targets = []
        for name in related:
            target = ids.get(normalize(name))
            if target is None:
                problems.add(path, term, f"related entry {name!r} is not a term in the glossary")
            else:
                targets.append(target)
        resolved[term] = tuple(targets)
    return [replace(e, related=resolved.get(e.term, ())) for e in entries]


def _entry(path: Path, category: str, item: dict[str, Any], problems: _Problems) -> GlossaryEntry | None:
    term = str(item.get("term") or "").strip()
    where = term or f"entry without a term ({str(item)[:40]}...)"
    unknown = set(item) - ENTRY_FIELDS
    if unknown:
        problems.add(path, where, f"unknown field(s) {', '.join(sorted(unknown))}")
    definition = " ".join(str(item.get("definition") or "").split())
    aliases = _text_list(item.get("aliases"))
    related = _text_list(item.get("related"))
    sources = _text_list(item.get("sources"))
    reviewed = item.get("reviewed")
    ok = True
    for check, problem in (
        (term, "needs a term"),
        (definition, "needs a definition"),
        (len(definition) <= MAX_DEFINITION, f"definition is over {MAX_DEFINITION} characters"),
        (aliases is not None, "aliases must be a list of words"),
        (related is not None, "related must be a list of terms"),
        (sources, "needs at least one source (an organisation or document)"),
        (isinstance(reviewed, dt.date), "reviewed must be a date like 2026-11-28"),
    ):
        if not check:
            problems.add(path, where, problem)
            ok = False
    if not ok:
        return None
    return GlossaryEntry(
        id=slugify(term),
        term=term,
        category=category,
        definition=definition,
        aliases=aliases or (),
        related=related or (),
        sources=sources or (),
        reviewed=reviewed,
    )


def _load_tipsheets(folder: Path, problems: _Problems) -> list[TipSheet]:
    sheets: list[TipSheet] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.md")):
        try:
            post = frontmatter.loads(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, ValueError) as error:
            problems.add(path, "front matter", f"not valid ({error})")
            continue
        meta = post.metadata
        title = str(meta.get("title") or "").strip()
        summary = " ".join(str(meta.get("summary") or "").split())
        aliases = _text_list(meta.get("aliases"))
        unknown = set(meta) - SHEET_FIELDS
        checks = (
            (not unknown, f"unknown front matter field(s) {', '.join(sorted(unknown))}"),
            (title, "front matter needs a title"),
            (summary, "front matter needs a one-line summary"),
            (len(summary) <= MAX_SUMMARY, f"summary is over {MAX_SUMMARY} characters"),
            (aliases is not None, "aliases must be a list of words"),
            (isinstance(meta.get("order", 0), int), "order must be a whole number"),
            (isinstance(meta.get("reviewed"), dt.date), "reviewed must be a date like 2026-11-28"),
            (post.content.strip(), "has no text below the front matter"),
        )
        failed = [problem for check, problem in checks if not check]
        for problem in failed:
            problems.add(path, "", problem)
        if failed:
            continue
        for key_text in (path.stem, title, *(aliases or ())):
            key = normalize(key_text)
            if seen.get(key, path.stem) != path.stem:
                problems.add(path, "", f"{key_text!r} is also used by tip sheet {seen[key]!r}")
            seen[key] = path.stem
        sheets.append(
            TipSheet(
                slug=path.stem,
                title=title,
                summary=summary,
                body=post.content.strip(),
                aliases=aliases or (),
                order=int(meta.get("order", 0)),
                reviewed=meta.get("reviewed"),
            )
        )
    if not sheets:
        problems.add(folder, "", "no tip sheets found (*.md)")
    return sorted(sheets, key=lambda s: (s.order, s.title))
