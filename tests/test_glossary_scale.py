"""Glossary search in a large glossary: the same answers through the faster paths.

A glossary of more than ``FULL_SCAN_NAMES`` names scores only the names sharing a word
(or a near word) with the query; here the small test glossary is made to search that way.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz.distance import DamerauLevenshtein

from bot.library.glossary import GlossaryIndex, NearSpellings, Outcome
from bot.runtime import load_content
from tests.conftest import FIXTURE_CONTENT

content = load_content(FIXTURE_CONTENT)
small = GlossaryIndex(content.glossary)
large = GlossaryIndex(content.glossary, full_scan_names=0)  # searched as a large glossary is


@pytest.mark.parametrize(
    "query",
    [
        "TIC",
        "trauma-informed cares",
        "traumainformed care",
        "trama",
        "truama",
        "secondary traumtic stress",
        "individualised eduction program",
    ],
)
def test_exact_and_typo_answers_do_not_depend_on_size(query):
    assert large.lookup(query) == small.lookup(query)
    assert large.lookup(query).outcome is Outcome.HIT


def test_a_shared_word_still_offers_every_entry_with_it():
    found = large.lookup("stress")
    assert found.outcome is Outcome.SUGGEST
    assert {e.id for e in found.suggestions} >= {"toxic-stress", "secondary-traumatic-stress"}


def test_words_cut_short_still_find_the_entry():
    found = large.lookup("secon traum")
    assert "secondary-traumatic-stress" in {e.id for e in (found.entry, *found.suggestions) if e}


def test_definitions_are_searched_the_same_way():
    assert large.lookup("disability") == small.lookup("disability")


@pytest.mark.parametrize("query", ["zzqxv", "qqqq wwww"])
def test_nonsense_is_still_a_miss(query):
    assert large.lookup(query).outcome is Outcome.MISS


words = st.text(alphabet="abcde ", min_size=1, max_size=9)


@given(text=words, strings=st.lists(words, max_size=30), edits=st.integers(1, 3))
def test_near_spellings_are_exactly_those_within_the_edits(text, strings, edits):
    expected = sorted(
        (DamerauLevenshtein.distance(text, s), position, s)
        for position, s in enumerate(strings)
        if DamerauLevenshtein.distance(text, s) <= edits
    )
    found = NearSpellings(strings).within(text, edits)
    assert [(distance, position, s) for s, distance, position in found] == expected
