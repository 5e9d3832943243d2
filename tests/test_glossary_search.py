"""Glossary search on the small test glossary: exact, typo-tolerant, suggestions, misses."""

import pytest

from bot.library.glossary import GlossaryIndex, Outcome, allowed_edits, match_category
from bot.runtime import load_content
from tests.conftest import FIXTURE_CONTENT

content = load_content(FIXTURE_CONTENT)
index = GlossaryIndex(content.glossary)


@pytest.mark.parametrize(
    "query",
    [
        "TIC",
        "tic",
        "trauma informed care",
        "Trauma-Informed Care",
        "trauma-informed cares",
        "  TRAUMA   informed  approach ",
        "traumainformed care",
    ],
)
def test_spellings_of_one_term_meet(query):
    found = index.lookup(query)
    assert found.outcome is Outcome.HIT
    assert found.entry.id == "trauma-informed-approach"


@pytest.mark.parametrize("typo", ["trama", "trauuma", "truama", "secondary traumtic stress", "individualised eduction program"])
def test_small_typos_answer_outright(typo):
    assert index.lookup(typo).outcome is Outcome.HIT


def test_an_ambiguous_word_offers_suggestions():
    found = index.lookup("stress")
    assert found.outcome is Outcome.SUGGEST
    assert {e.id for e in found.suggestions} >= {"toxic-stress", "secondary-traumatic-stress"}
    assert len(found.suggestions) <= 5


def test_words_found_only_in_definitions_are_offered():
    found = index.lookup("disability")
    assert found.outcome is Outcome.SUGGEST
    assert found.in_definitions
    assert [e.id for e in found.suggestions] == ["individualized-education-program"]


@pytest.mark.parametrize("query", ["", "   ", "!!!", "zzqxv"])
def test_nonsense_is_a_miss(query):
    assert index.lookup(query).outcome is Outcome.MISS


def test_the_query_is_recorded_normalized():
    assert index.lookup("Trauma-Informed CARES!").query == "trauma informed care"


def test_short_queries_need_an_exact_match():
    assert allowed_edits(3) == 0
    assert index.lookup("tci").outcome is not Outcome.HIT


def test_categories_match_loosely():
    assert match_category(content.categories, "school").id == "school-systems"
    assert match_category(content.categories, "Trauma and resilience").id == "trauma-resilience"
    assert match_category(content.categories, "qqqq") is None
