"""The real content: complete, consistent, findable with typos, and renderable in Slack."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.blocks import MAX_MESSAGE_BLOCKS
from bot.library import glossary_blocks, tipsheet_blocks
from bot.library.glossary import GlossaryIndex, Outcome
from bot.runtime import load_content
from bot.shareouts.blocks import visibility_option
from bot.shareouts.core import Visibility
from bot.text import escape, normalize
from tests.conftest import REAL_CONTENT
from tests.support.harness import ROOT

content = load_content(REAL_CONTENT)
index = GlossaryIndex(content.glossary)
categories = {c.id: c for c in content.categories}


def test_the_glossary_covers_every_category_generously():
    per_category = Counter(entry.category for entry in content.glossary)
    assert len(content.glossary) >= 90
    assert set(per_category) == set(categories)
    assert min(per_category.values()) >= 10


def test_the_six_tip_sheets_are_there():
    assert [sheet.slug for sheet in content.tipsheets] == [
        "best-practices-for-collaboration",
        "addressing-barriers-to-collaboration",
        "ways-to-support-advocacy",
        "staff-wellness",
        "running-a-peer-support-hour",
        "using-heart-bot",
    ]


@pytest.mark.parametrize("sheet", content.tipsheets, ids=lambda s: s.slug)
def test_each_tip_sheet_has_6_to_12_points_and_sources(sheet):
    body, _, learn_more = sheet.body.partition("## Learn more")
    points = re.findall(r"^\s*(?:-|\d+\.) ", body, flags=re.M)
    assert 6 <= len(points) <= 12
    assert re.findall(r"^- ", learn_more, flags=re.M), "a Learn more list naming sources"


@pytest.mark.parametrize("entry", content.glossary, ids=lambda e: e.id)
def test_every_term_and_alias_finds_its_own_entry(entry):
    for text in (entry.term, *entry.aliases):
        found = index.lookup(text)
        assert found.outcome is Outcome.HIT and found.entry.id == entry.id, text


def typos(word: str, rng: random.Random) -> list[str]:
    """One dropped, one doubled and one swapped letter, at random letter positions."""
    letters = [i for i, ch in enumerate(word) if ch.isalpha()]
    drop, double, swap = (rng.choice(letters) for _ in range(3))
    swappable = [i for i in letters if i + 1 < len(word) and word[i + 1].isalpha() and word[i] != word[i + 1]]
    out = [word[:drop] + word[drop + 1 :], word[:double] + word[double] + word[double:]]
    if swappable:
        i = rng.choice(swappable)
        out.append(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return out


def test_realistic_typos_find_the_right_entry():
    rng = random.Random(2026)
    # A "typo" that spells another entry's term or alias ("Tier III" -> "Tier II") is
    # that other entry's exact name, not a typo: leave those out.
    known = {normalize(text) for entry in content.glossary for text in (entry.term, *entry.aliases)}
    answered = offered = total = 0
    for entry in content.glossary:
        # The term and every alias long enough to mistype (a typo in a 3-letter
        # abbreviation is another abbreviation: those get suggestions, not answers).
        words = [entry.term, *(alias for alias in entry.aliases if sum(ch.isalpha() for ch in alias) >= 5)]
        for typo in (typo for word in words for typo in typos(word, rng) if normalize(typo) not in known):
            found = index.lookup(typo)
            total += 1
            answered += found.outcome is Outcome.HIT and found.entry.id == entry.id
            offered += (found.entry and found.entry.id == entry.id) or entry in found.suggestions
    print(f"\nglossary typo hit rate: {answered / total:.1%} answered outright, {offered / total:.1%} offered ({total} typos)")
    assert answered / total >= 0.95
    assert offered == total


@pytest.mark.parametrize("entry", content.glossary, ids=lambda e: e.id)
def test_every_entry_renders_within_block_kit_limits(entry):
    message = glossary_blocks.entry_message(entry, index, categories[entry.category]).to_dict()
    assert len(message["blocks"]) <= MAX_MESSAGE_BLOCKS
    shared = glossary_blocks.entry_message(entry, index, categories[entry.category], shared_by="U1").to_dict()
    assert shared["response_type"] == "in_channel"


@pytest.mark.parametrize("sheet", content.tipsheets, ids=lambda s: s.slug)
def test_every_tip_sheet_renders_within_block_kit_limits(sheet):
    message = tipsheet_blocks.sheet_message(sheet).to_dict()
    text = " ".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
    assert "**" not in text, "Markdown bold became Slack bold"
    assert len(message["blocks"]) <= MAX_MESSAGE_BLOCKS


def test_the_list_and_help_render():
    categories = list(content.categories)
    listed = glossary_blocks.list_message(categories, index).to_dict()
    helped = glossary_blocks.help_message(categories, index).to_dict()
    sheets = tipsheet_blocks.list_message(content.tipsheets).to_dict()
    for message in (listed, helped, sheets):
        assert 1 < len(message["blocks"]) <= MAX_MESSAGE_BLOCKS and message["text"]
    menus = [b["accessory"] for b in listed["blocks"] if b.get("accessory", {}).get("type") == "static_select"]
    assert {m["action_id"].split(":")[1] for m in menus} == {c.id for c in categories}  # terms menus for each category
    assert sorted(o["value"] for m in menus for o in m["options"]) == sorted(e.id for e in content.glossary)
    assert all(escape(c.name) in json.dumps(helped) for c in categories)
    assert all(escape(s.title) in json.dumps(sheets) for s in content.tipsheets)


def crisis_texts() -> list[tuple[Path, str]]:
    files = [
        *REAL_CONTENT.rglob("*.yml"),
        *REAL_CONTENT.rglob("*.md"),
        *(ROOT / "bot").rglob("*.py"),
        *(ROOT / "handlers").rglob("*.py"),
    ]
    return [(path, path.read_text(encoding="utf-8")) for path in files]


@pytest.mark.parametrize("path, text", crisis_texts(), ids=lambda v: v.name if isinstance(v, Path) else "")
def test_crisis_resources_are_stated_exactly(path, text):
    flat = re.sub(r"[*_~]", "", " ".join(text.split()))  # bold or italic marks change no fact
    for how in re.finditer(r"(?:call|text|dial)\b[^.;]{0,20}\b988\b", flat, flags=re.I):
        assert re.match(r"call or text 988", how.group(0), flags=re.I), how.group(0)
    if re.search(r"\bchat\b[^.;]{0,40}\b988\b|\b988\b[^.;]{0,80}\bchat\b", flat, flags=re.I):
        assert "988lifeline.org" in flat
    for keyword in re.finditer(r"text (\w+) to 741741", flat, flags=re.I):
        assert keyword.group(1) == "HOME"
    assert not re.search(r"press 3", flat, flags=re.I), "the 988 'press 3' option ended in July 2025"
    assert "1-800-273-TALK" not in flat


def test_using_heart_bot_names_the_share_out_choices_as_the_form_does():
    """The members' guide quotes each *Who reads it* choice exactly, and the export's two files."""
    sheet = next(s for s in content.tipsheets if s.slug == "using-heart-bot").body
    for visibility in Visibility:
        label = visibility_option(visibility, "C0SAMPLE").to_dict()["text"]["text"].replace("<#C0SAMPLE>", "#channel")
        assert f"*{label}*" in sheet
    assert "as two files: CSV (for a spreadsheet) and JSON" in sheet
