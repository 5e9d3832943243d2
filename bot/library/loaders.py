"""Loading and validating the library: the glossary and the tip sheets.

``glossary/categories.yml`` names the categories, ``glossary/<category>.yml`` lists that
category's entries, and ``tipsheets/*.md`` holds one tip sheet per file (Markdown with YAML
front matter). :func:`load_library` reports every problem it finds through ``report``
(see :mod:`bot.content`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from bot.content import Problem, ReadYaml
from bot.library.entries import Category, GlossaryEntry, Library, TipSheet, slugify
from bot.text import normalize

ENTRY_FIELDS = {"term", "definition", "aliases", "also_searched_as", "related", "sources", "reviewed", "more"}
SHEET_FIELDS = {"title", "summary", "aliases", "order", "reviewed"}
MAX_DEFINITION = 450  # 1-3 plain sentences; detail goes on the "more" line
MAX_SENTENCES = 3
MAX_MORE = 600
MAX_SUMMARY = 150
# /tipsheet lists every sheet in one message, a section each, and a message holds 50 blocks.
MAX_TIPSHEETS = 40


def load_library(root: Path, read_yaml: ReadYaml, report: Problem) -> Library:
    """The glossary and the tip sheets under ``root``, each problem reported through ``report``."""
    categories = _load_categories(root / "glossary" / "categories.yml", read_yaml, report)
    glossary = _load_glossary(root / "glossary", categories, read_yaml, report)
    tipsheets = _load_tipsheets(root, report)
    return Library(tuple(categories), tuple(glossary), tuple(tipsheets))


def tipsheet_files(root: Path) -> dict[str, Path]:
    """Every tip sheet's file under ``root`` by its slug (its name without ``.md``), whether or
    not it reads as a tip sheet."""
    return {path.stem: path for path in sorted((root / "tipsheets").glob("*.md"))}


def _load_categories(path: Path, read_yaml: ReadYaml, report: Problem) -> list[Category]:
    data = read_yaml(path)
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(c, dict) and c.get("id") and c.get("name") for c in data):
        report(path, "", "must be a list of items with an id and a name")
        return []
    return [Category(str(c["id"]), str(c["name"])) for c in data]


def _text_list(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return None


def _load_glossary(folder: Path, categories: list[Category], read_yaml: ReadYaml, report: Problem) -> list[GlossaryEntry]:
    known = {c.id for c in categories}
    raw: list[tuple[Path, str, dict[str, Any]]] = []
    every_file_read = True  # else a term named as related may be in the file that could not be read
    for path in sorted(folder.glob("*.yml")):
        if path.name == "categories.yml":
            continue
        if path.stem not in known:
            report(path, "", f"file name must be a category id ({', '.join(sorted(known))})")
            every_file_read = False
            continue
        data = read_yaml(path)
        if data is None:
            every_file_read = False
            continue
        if not isinstance(data, list):
            report(path, "", "must be a list of entries")
            every_file_read = False
            continue
        for index, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                report(path, f"entry {index}", "must be a mapping with a term and a definition")
                continue
            raw.append((path, path.stem, item))

    entries: list[GlossaryEntry] = []
    owners: dict[str, tuple[str, Path]] = {}  # normalized key -> (term, file)
    pending_related: list[tuple[Path, str, tuple[str, ...]]] = []
    placed: list[tuple[Path, GlossaryEntry]] = []
    for path, category, item in raw:
        entry = _entry(path, category, item, report)
        if entry is None:
            continue
        for key_text in (entry.term, *entry.aliases):
            key = normalize(key_text)
            owner = owners.get(key)
            if owner and owner[0] != entry.term:
                report(path, entry.term, f"{key_text!r} is also used by {owner[0]!r} ({owner[1].name})")
            elif not key:
                report(path, entry.term, f"{key_text!r} has no letters or digits")
            else:
                owners[key] = (entry.term, path)
        pending_related.append((path, entry.term, entry.related))
        entries.append(entry)
        placed.append((path, entry))
    for path, entry in placed:
        _check_searched_as(path, entry, owners, report)

    ids = {normalize(e.term): e.id for e in entries}
    # A term whose own entry has a problem is still a term: that problem is told once, at the
    # entry, not again at every entry that names it as related. And while a file can't be read,
    # which terms exist is not known: related entries are checked once every file reads.
    named = {normalize(str(item.get("term") or "")) for _, _, item in raw}
    resolved: dict[str, tuple[str, ...]] = {}
    for path, term, related in pending_related:
        targets = []
        for name in related:
            target = ids.get(normalize(name))
            if target is None and normalize(name) not in named and every_file_read:
                report(path, term, f"related entry {name!r} is not a term in the glossary")
            elif target is not None:
                targets.append(target)
        resolved[term] = tuple(targets)
    return [replace(e, related=resolved.get(e.term, ())) for e in entries]


def _entry(path: Path, category: str, item: dict[str, Any], report: Problem) -> GlossaryEntry | None:
    term = str(item.get("term") or "").strip()
    where = term or f"entry without a term ({str(item)[:40]}...)"
    unknown = set(item) - ENTRY_FIELDS
    if unknown:
        report(path, where, f"unknown field(s) {', '.join(sorted(unknown))}")
    definition = " ".join(str(item.get("definition") or "").split())
    more = " ".join(str(item.get("more") or "").split())
    aliases = _text_list(item.get("aliases"))
    searched_as = _text_list(item.get("also_searched_as"))
    related = _text_list(item.get("related"))
    sources = _text_list(item.get("sources"))
    reviewed = item.get("reviewed")
    ok = True
    for check, problem in (
        (term, "needs a term"),
        (definition, "needs a definition"),
        (len(definition) <= MAX_DEFINITION, f"definition is over {MAX_DEFINITION} characters (move detail to `more`)"),
        (sentences(definition) <= MAX_SENTENCES, f"definition is over {MAX_SENTENCES} sentences (move detail to `more`)"),
        (len(more) <= MAX_MORE, f"more is over {MAX_MORE} characters"),
        (aliases is not None, "aliases must be a list of words"),
        (searched_as is not None, "also_searched_as must be a list of words"),
        (related is not None, "related must be a list of terms"),
        (sources, "needs at least one source (an organisation or document)"),
        (isinstance(reviewed, dt.date), "reviewed must be a date like 2026-11-28"),
    ):
        if not check:
            report(path, where, problem)
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
        searched_as=searched_as or (),
        more=more,
    )


def sentences(text: str) -> int:
    """How many sentences ``text`` holds (a full stop, question or exclamation mark followed
    by a space and a capital or digit, or the end, closes one)."""
    return len(re.findall(r"[.!?](?=\s+[A-Z0-9\"(]|\s*$)", text.strip())) or 1


def _check_searched_as(path: Path, entry: GlossaryEntry, owners: dict[str, tuple[str, Path]], report: Problem) -> None:
    """Lay words must not repeat a name: a term or alias always opens its own entry, so the
    lay word would never be read."""
    seen: set[str] = set()
    for text in entry.searched_as:
        key = normalize(text)
        owner = owners.get(key)
        if not key:
            report(path, entry.term, f"also_searched_as {text!r} has no letters or digits")
        elif owner:
            where = "a name of this entry" if owner[0] == entry.term else f"a name of {owner[0]!r} ({owner[1].name})"
            report(path, entry.term, f"also_searched_as {text!r} is already {where}")
        elif key in seen:
            report(path, entry.term, f"also_searched_as lists {text!r} twice")
        seen.add(key)


def _load_tipsheets(root: Path, report: Problem) -> list[TipSheet]:
    sheets: list[TipSheet] = []
    seen: dict[str, str] = {}
    import frontmatter  # imported when content is read, not when it comes from the cache

    for path in tipsheet_files(root).values():
        try:
            post = frontmatter.loads(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, ValueError) as error:
            report(path, "front matter", f"not valid ({error})")
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
            report(path, "", problem)
        if failed:
            continue
        for key_text in (path.stem, title, *(aliases or ())):
            key = normalize(key_text)
            if seen.get(key, path.stem) != path.stem:
                report(path, "", f"{key_text!r} is also used by tip sheet {seen[key]!r}")
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
        report(root / "tipsheets", "", "no tip sheets found (*.md)")
    if len(sheets) > MAX_TIPSHEETS:
        report(root / "tipsheets", "", f"{len(sheets)} tip sheets: /tipsheet lists them in one message, which holds {MAX_TIPSHEETS} at most")
    return sorted(sheets, key=lambda s: (s.order, s.title))
