"""The glossary reads members' questions, word forms, lay words and Spanish, answers
ambiguous words with a choice, and says plainly when it doesn't have something."""

import pytest

from bot.library.glossary import CRISIS_ENTRY, GlossaryIndex, Outcome
from bot.library.query import understand
from bot.runtime import load_content
from tests.conftest import REAL_CONTENT

content = load_content(REAL_CONTENT)
index = GlossaryIndex(content.glossary)
net = content.shareout.crisis


def answer(query: str) -> str | None:
    found = index.lookup(query, crisis=net.is_crisis_topic(query))
    return found.entry.id if found.outcome is Outcome.HIT else None


@pytest.mark.parametrize(
    "query, core",
    [
        ("what is a 504 plan", "504 plan"),
        ("What does IEP stand for?", "iep"),
        ("what's a BIP", "bip"),
        ("tell me about psychological first aid", "psychological first aid"),
        ("¿Qué es el duelo?", "duelo"),
        ("o que é luto", "luto"),
        ("trauma", "trauma"),
    ],
)
def test_question_wording_is_taken_off(query, core):
    assert understand(query).core == core


@pytest.mark.parametrize(
    "query, entry",
    [
        ("what is a 504 plan", "section-504-plan"),
        ("what does IEP stand for", "individualized-education-program"),
        ("who has to report child abuse", "mandated-reporting"),
        ("planning for safety", "safety-planning"),
        ("stress secondary traumatic", "secondary-traumatic-stress"),
        ("emotionally exhausted at work", "burnout"),
        ("depressed teen", "depression"),
        ("qué es el duelo", "grief"),
        ("primeros auxilios psicológicos", "psychological-first-aid-for-schools"),
        ("ASCA", "american-school-counselor-association"),
        ("SRO", "school-resource-officer"),
    ],
)
def test_members_words_find_the_entry(query, entry):
    assert answer(query) == entry


def test_a_comparison_answers_with_both_entries():
    found = index.lookup("what's the difference between burnout and compassion fatigue")
    assert found.outcome is Outcome.HIT
    assert {e.id for e in found.answered} == {"burnout", "compassion-fatigue"}


@pytest.mark.parametrize("word", ["ed", "ED", "consent", "MHFA"])
def test_a_word_of_several_meanings_offers_a_choice(word):
    found = index.lookup(word)
    assert found.outcome is Outcome.CHOICE
    assert len(found.suggestions) >= 2


@pytest.mark.parametrize("query", ["ASD", "OCD", "zoom fatigue", "bipolar disorder", "weather tomorrow", "lice"])
def test_what_the_glossary_lacks_is_never_answered_with_a_guess(query):
    assert index.lookup(query).outcome is not Outcome.HIT


def test_a_short_acronym_is_answered_only_on_its_own_name():
    assert index.lookup("asca").entry.id == "american-school-counselor-association"
    assert index.lookup("bsca").entry.id == "bipartisan-safer-communities-act"
    assert index.lookup("esca").outcome is not Outcome.HIT  # one letter from both: no guess


@pytest.mark.parametrize(
    "query",
    ["kid cutting themselves", "self harm", "suicide hotline", "student talking about suicide", "overdose", "in crisis"],
)
def test_a_crisis_query_opens_the_crisis_entry_or_one_it_lists(query):
    assert net.is_crisis_topic(query)
    found = index.lookup(query, crisis=True)
    crisis = next(e for e in content.glossary if e.term == CRISIS_ENTRY)
    assert found.outcome is Outcome.HIT
    assert found.entry.id in {crisis.id, *crisis.related}


def test_the_988_entry_says_press_2_for_spanish():
    crisis = next(e for e in content.glossary if e.term == CRISIS_ENTRY)
    assert "press 2" in f"{crisis.definition} {crisis.more}".lower()


def test_confidence_is_reported():
    assert index.lookup("burnout").confidence == 1.0
    assert 0 < index.lookup("worn out and cynical about my job").confidence <= 1.0
