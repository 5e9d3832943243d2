"""Content validation: every problem is reported as file, entry and what to fix."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.errors import ContentError
from bot.library.loaders import MAX_TIPSHEETS
from bot.runtime import load_content
from tests.conftest import FIXTURE_CONTENT
from tests.support.harness import ROOT, run_cache


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, target)
    return target


def write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def test_the_fixture_content_is_valid(content_dir):
    content = load_content(content_dir)
    assert len(content.glossary) == 6
    assert [s.slug for s in content.tipsheets] == ["best-practices-for-collaboration", "addressing-barriers-to-collaboration"]


def test_related_entries_become_ids(content_dir):
    content = load_content(content_dir)
    tic = next(e for e in content.glossary if e.term == "Trauma-informed approach")
    assert tic.related == ("trauma", "secondary-traumatic-stress")


@pytest.mark.parametrize(
    "entry, problem",
    [
        (
            "- term: Burnout\n  definition: Tired.\n  sources: [X]\n  reviewed: 2026-13-01\n",
            "impossible value (month must be in 1..12)",
        ),
        ("- term: Burnout\n  sources: [X]\n  reviewed: 2026-11-01\n", "needs a definition"),
        ("- term: Burnout\n  definition: Tired.\n  reviewed: 2026-11-01\n", "needs at least one source"),
        (
            "- term: Burnout\n  definition: Tired.\n  sources: [X]\n  related: [Nothing like it]\n  reviewed: 2026-11-01\n",
            "related entry 'Nothing like it' is not a term",
        ),
        (
            "- term: Burnout\n  definition: Tired.\n  sources: [X]\n  aliases: [TIC]\n  reviewed: 2026-11-01\n",
            "'TIC' is also used by 'Trauma-informed approach'",
        ),
        ("- term: Burnout\n  definition: Tired.\n  sources: [X]\n  reviewed: soon\n", "reviewed must be a date"),
        (
            "- term: Burnout\n  definition: Tired.\n  sources: [X]\n  colour: red\n  reviewed: 2026-11-01\n",
            "unknown field(s) colour",
        ),
        ("- term: Burnout\n  definition: [unclosed\n", "not valid YAML"),
        (
            "- term: Burnout\n  definition: Tired.\n  sources: [X]\n  also_searched_as: [tic]\n  reviewed: 2026-11-01\n",
            "also_searched_as 'tic' is already a name of 'Trauma-informed approach'",
        ),
        (
            "- term: Burnout\n  definition: Tired.\n  sources: [X]\n  also_searched_as: tired\n  reviewed: 2026-11-01\n",
            "also_searched_as must be a list of words",
        ),
        (
            "- term: Burnout\n  definition: One. Two. Three. Four.\n  sources: [X]\n  reviewed: 2026-11-01\n",
            "definition is over 3 sentences (move detail to `more`)",
        ),
    ],
)
def test_each_problem_names_file_entry_and_fix(content_dir, entry, problem):
    write(content_dir / "glossary" / "wellness-equity.yml", entry)
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert "wellness-equity.yml" in str(error.value)
    assert problem in str(error.value)


def test_an_entry_with_a_problem_is_reported_once_not_again_where_others_name_it(content_dir):
    write(
        content_dir / "glossary" / "wellness-equity.yml",
        """
        - term: Burnout
          definition: One. Two. Three. Four.
          sources: [X]
          reviewed: 2026-11-01
        - term: Compassion fatigue
          definition: Tired of caring.
          sources: [X]
          related: [Burnout, Nothing like it]
          reviewed: 2026-11-01
        """,
    )
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert str(error.value).splitlines() == [
        "glossary/wellness-equity.yml: Burnout: definition is over 3 sentences (move detail to `more`)",
        "glossary/wellness-equity.yml: Compassion fatigue: related entry 'Nothing like it' is not a term in the glossary",
    ]


def test_while_a_glossary_file_cannot_be_read_its_terms_named_as_related_elsewhere_are_not_reported(content_dir):
    school = content_dir / "glossary" / "school-systems.yml"
    school.write_text(school.read_text(encoding="utf-8") + "- term: [unclosed\n", encoding="utf-8")
    trauma = content_dir / "glossary" / "trauma-resilience.yml"
    trauma.write_text(trauma.read_text(encoding="utf-8").replace("related: []", "related: [Multi-tiered system of supports]", 1))
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    [line] = str(error.value).splitlines()  # the file's own problem, once: not "'Multi-tiered...' is not a term"
    assert line.startswith("glossary/school-systems.yml: line ") and "not valid YAML" in line


def test_a_tip_sheet_with_a_problem_is_reported_at_the_sheet_not_again_where_connections_name_it(content_dir):
    sheet = content_dir / "tipsheets" / "best-practices-for-collaboration.md"
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("title: ", "titel: ", 1), encoding="utf-8")
    (content_dir / "connections.yml").write_text(
        "topics:\n  - theme: collaboration\n    starters: best-practices-for-collaboration\n"
        "  - theme: staff-wellness\n    starters: best-practice-for-collaboration\n"
        "  - tipsheet: best-practices-for-collaboration\n"
        "default_starters: best-practices-for-collaboration\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert str(error.value).splitlines() == [
        "tipsheets/best-practices-for-collaboration.md: unknown front matter field(s) titel",
        "tipsheets/best-practices-for-collaboration.md: front matter needs a title",
        "connections.yml: topics item 2: starters: 'best-practice-for-collaboration' is not a tip sheet",  # a typo still is
    ]


def test_an_unknown_category_file_is_reported(content_dir):
    write(content_dir / "glossary" / "misc.yml", "[]\n")
    with pytest.raises(ContentError, match="misc.yml: file name must be a category id"):
        load_content(content_dir)


def test_a_tip_sheet_without_a_title_is_reported(content_dir):
    write(content_dir / "tipsheets" / "untitled.md", "---\nsummary: s\nreviewed: 2026-11-01\n---\n\nBody\n")
    with pytest.raises(ContentError, match="untitled.md: front matter needs a title"):
        load_content(content_dir)


def test_more_tip_sheets_than_one_slack_message_can_list_are_reported(content_dir):
    for n in range(MAX_TIPSHEETS - 1):  # the fixture content has two already
        write(content_dir / "tipsheets" / f"sheet-{n}.md", f"---\ntitle: Sheet {n}\nsummary: s\nreviewed: 2026-11-01\n---\n\nBody\n")
    with pytest.raises(ContentError, match=f"{MAX_TIPSHEETS + 1} tip sheets: /tipsheet lists them in one message"):
        load_content(content_dir)


@pytest.mark.parametrize(
    ("connections", "problem"),
    [
        ("topics:\n  - theme: astrology\n    starters: best-practices-for-collaboration\n", "theme 'astrology' is not a theme"),
        ("topics:\n  - theme: collaboration\n    starters: nowhere\n", "starters: 'nowhere' is not a tip sheet"),
        ("topics:\n  - tipsheet: best-practices-for-collaboration\n    sections: [Learn more]\n", "sections must be headings"),
        ("topics:\n  - theme: win\n    tipsheet: x\n", "must name a theme or a tipsheet"),
        (
            "topics:\n  - theme: win\n    starters: best-practices-for-collaboration\ndefault_starters: nowhere\n",
            "default_starters",
        ),
    ],
)
def test_connections_topics_must_name_real_themes_and_tip_sheets(content_dir, connections, problem):
    write(content_dir / "connections.yml", connections)
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert "connections.yml" in str(error.value) and problem in str(error.value)


def test_connections_offer_the_share_out_sectors_and_starters_from_the_tip_sheets(content_dir):
    connecting = load_content(content_dir).connections
    assert [c.id for c in connecting.sectors][:3] == ["school-staff", "school-clinician", "community-health-center"]
    assert connecting.topic_label("addressing-barriers-to-collaboration") == "Addressing Possible Barriers to Collaboration"
    (starter,) = connecting.default_starters
    assert starter.sheet == "Best Practices for Collaboration" and starter.tip.startswith("*Use an MOU.*")


def test_check_command_fails_with_a_precise_message(content_dir):
    write(content_dir / "glossary" / "wellness-equity.yml", "- term: Burnout\n  definition: Tired.\n  reviewed: 2026-11-01\n")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "CONTENT_DIR": str(content_dir), "HOME": str(content_dir), **run_cache()},
    )
    assert result.returncode == 1
    assert "glossary/wellness-equity.yml: Burnout: needs at least one source" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_command_passes_on_the_real_content():
    result = subprocess.run([sys.executable, "-m", "bot", "check", "--content"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "content ok" in result.stdout


@pytest.mark.parametrize(
    "model, problem",
    [
        ("{not json", "crisis-model.json: can't be read: Expecting property name"),
        ('{"threshold": 0.8, "intercept": 0, "words": {"die": [1.0]}}', "words must map each word to [idf, weight]"),
        ('{"threshold": 2, "intercept": 0, "words": {}}', "threshold a probability between 0 and 1"),
        ('{"intercept": 0, "words": {}}', "is missing threshold"),
    ],
)
def test_a_broken_word_model_is_reported(content_dir, model, problem):
    (content_dir / "crisis-model.json").write_text(model, encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert problem in str(error.value)


def test_without_its_word_model_the_safety_net_listens_with_its_rules(content_dir):
    (content_dir / "crisis-model.json").unlink()
    net = load_content(content_dir).shareout.crisis
    assert net.model is None
    assert net.hears("I just want to die") is not None


def test_a_broken_whom_model_is_reported(content_dir):
    (content_dir / "crisis-whom.json").write_text('{"intercept": 0, "words": {}}', encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_content(content_dir)
    assert "crisis-whom.json: can't be read: is missing threshold" in str(error.value)


def test_without_its_whom_model_the_words_for_people_say_whom_it_heard_about(content_dir):
    (content_dir / "crisis-whom.json").unlink()
    net = load_content(content_dir).shareout.crisis
    assert net.whom is None
    assert net.hears("my coworker said she doesn't want to be alive anymore").about.value == "other"
