"""The safety net on its labelled corpus (tests/safety_corpus): what it must hear and what must stay quiet.

The corpus's ``heldout`` part was never read while the rules were written nor used to fit
the word model; its figures are reported in docs/SAFETY_NET.md (``python -m
tests.safety_corpus.report``), not asserted here, so they stay an honest measure of
share-outs nobody tuned for.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.library.glossary import CRISIS_ENTRY, GlossaryIndex
from bot.library.tipsheets import TipSheetLibrary
from bot.runtime import load_content
from bot.safety import Concern, NoteFor, SafetyNet, Who, note_for
from bot.shareouts.content import CRISIS_MODEL
from bot.word_model import ModelError, read_word_model
from tests.safety_corpus.report import cases, tally, totals
from tests.safety_corpus.train import fit_whom, fitted, fitted_whom, tuning_digest

CONTENT = Path(__file__).parent.parent / "content"


@pytest.fixture(scope="module")
def net():
    return load_content(CONTENT).shareout.crisis


@pytest.fixture(scope="module")
def hears(net) -> Callable[[str], Concern | None]:
    """What the net hears in a text, each text read once for the module: the tallies and the
    check that every rule is needed read every tuning share-out, the longest work here."""
    return functools.cache(net.hears)


@pytest.fixture(scope="module")
def tuning_tallies(hears):
    """Each category of the tuning part as the net hears it (read once for both tests: every tuning share-out)."""
    return tally(hears, "tuning")


def test_the_tuning_corpus_is_heard_for_whoever_is_at_risk_and_quiet_share_outs_stay_quiet(tuning_tallies):
    heard, alerts = totals(tuning_tallies, alert=True)
    quiet, calm = totals(tuning_tallies, alert=False)
    assert alerts >= 200 and calm >= 200
    assert heard / alerts >= 0.97
    assert 1 - quiet / calm <= 0.05
    for t in tuning_tallies:
        assert t.rate >= (0.97 if t.alert else 0.90), t
    # ...and the note speaks to whoever is at risk (checked here, not in a test of its own, which
    # a parallel run could give another worker, to read the whole tuning part again).
    assert sum(t.wrong_person for t in tuning_tallies) <= 0.01 * alerts


def test_at_least_a_fifth_of_the_corpus_is_held_out():
    tuning, heldout = len(list(cases("tuning"))), len(list(cases("heldout")))
    assert 0.2 <= heldout / (tuning + heldout) <= 0.3


def test_every_rule_is_needed_by_a_tuning_case(net, hears):
    """Without any one rule, some share-out of the tuning part is missed or misread: no rule
    is dead or a duplicate of another."""
    alerts = [case.text for case in cases("tuning") if case.alert]
    rules = _rules_alone(net)
    heard = {text: concern.rules for text in alerts if (concern := hears(text))}  # each share-out read once, not once a rule
    idle = []
    for rule in net.rules:
        without = dataclasses.replace(rules, rules=tuple(r for r in net.rules if r is not rule))
        fired = [text for text, ids in heard.items() if rule.id in ids]
        if all(_reading(without, text) == _reading(rules, text) for text in fired):
            idle.append(rule.id)
    assert idle == []


# The plainest words for each danger the safety net exists for, said as members say them. The
# rules alone (no word model) must hear each in its category, so a phrase or a whole rule taken out
# of content/crisis.yml shows here even when the corpus tallies stay above their floors.
PLAIN_WORDS = {
    "ideation": ["I'm going to kill myself", "I might kill myself tonight", "I keep thinking about killing myself",
                 "I want to die", "I'm thinking about ending my life", "kms", "I'm not going to make it to Christmas"],
    "passive": ["I wish I could go to sleep and not wake up"],
    # A burden told as no one having to carry the writer any more, in Spanish and in Portuguese.
    "hopelessness": ["everyone would be better off without me", "Después nadie va a tener que cargar conmigo.",
                     "Depois ninguém vai precisar lidar comigo."],
    # ...and affairs put in order by someone else, told in the asking.
    "plan": ["I have a plan and I bought a gun", "I wrote goodbye letters to my kids",
             "My coworker updated her will and asked if I'd be the one to take her dog."],
    "self-harm": ["I cut myself again last night", "I've been hurting myself"],
    "overdose": ["I took too many pills", "I overdosed last night", "I doubled my meds on purpose",
                 "She took a whole bottle of pills and won't wake up",
                 "Got a bag tonight and I'm not going to be careful with it.",
                 # a relapse "for the first time in years" is now, not the past
                 "I bought pills for the first time in five years and I want to overdose on them."],
    "abuse": ["he hits me and I'm scared to go home"],
}


def test_every_category_of_rule_is_named_here(net):
    assert {rule.category for rule in net.rules} == set(PLAIN_WORDS)


@pytest.mark.parametrize("category, text", [(c, t) for c, texts in PLAIN_WORDS.items() for t in texts])
def test_the_rules_alone_hear_the_plainest_words(net, category, text):
    concern = _rules_alone(net).hears(text)
    assert concern is not None and category in concern.categories, (text, concern)


def _rules_alone(net):
    return dataclasses.replace(net, model=None, whom=None)


def _reading(net, text):
    concern = net.hears(text)
    return concern and concern.about


def test_the_word_and_whom_models_were_fitted_on_the_tuning_part_as_it_is_now(net):
    assert net.model is not None and net.whom is not None
    for model in (net.model, net.whom):
        assert tuning_digest() in model.trained_on, "refit them: python -m tests.safety_corpus.train"


def test_the_word_model_speaks_only_when_no_rule_did(net):
    text = (
        "Most nights I lie awake thinking my kids would grieve for a while and then move on, and honestly "
        "that it would be easier for everyone. I haven't said this out loud to anyone."
    )
    assert net.rules_heard(text) == {"word-model"}
    assert net.hears("me muero de hambre") is None  # a short text is the rules' to judge


def test_a_rule_is_overruled_only_where_the_model_is_sure_the_whole_share_out_is_calm(net):
    calm = (
        "Great week with my 4th graders: the science fair went well, the parent conferences were kind, and our "
        "team finally has a shared planning period. I'd rather die than give up Friday read-aloud with them, "
        "honestly the best part of my week."
    )
    words = net.words_for_model(calm)
    assert net.model.sure_calm(words) and net.model.calm_below < net.model.threshold
    assert dataclasses.replace(net, model=None).hears(calm) is not None  # the rules alone hear "I'd rather die"
    assert net.hears(calm) is None
    assert net.hears("I'd rather die") is not None  # too few words for the model to be sure of anything


def sure_all_is_calm(net: SafetyNet, text: str) -> SafetyNet:
    """The net with a word model sure that every share-out is calm (whatever the fitted one makes of
    ``text``), to show what it may not overrule."""
    calm = dataclasses.replace(net.model, intercept=net.model.intercept - 20)
    assert calm.sure_calm(net.words_for_model(text))
    return dataclasses.replace(net, model=calm)


def test_a_helper_who_says_the_one_they_helped_is_safe_and_they_are_not_is_never_overruled(net):
    text = (
        "School nurse, Lowell. Long day. Not ok. I want to end my life. "
        "The student I sent to the ER this morning is safe; I'm not."
    )
    concern = sure_all_is_calm(net, text).hears(text)  # may not overrule the writer's "I'm not"
    assert concern is not None and concern.about is Who.SELF


@pytest.mark.parametrize(
    "text",
    [
        "I survived my first attempt in 2019 and I'm planning the second.",
        "My anniversary was last month. I woke up thinking this is the year I finish it, and I feel calm about it.",
    ],
)
def test_a_next_attempt_told_calmly_is_firm_the_model_never_overrules_it(net, text):
    concern = sure_all_is_calm(net, text).hears(text)  # may not overrule a firm rule
    assert concern is not None and concern.rules == {"attempt-again"} and concern.about is Who.SELF


def test_a_screening_answered_yes_throughout_is_firm_and_a_protocol_told_stays_quiet(net):
    screened = "The student I screened said yes to every ASQ question this morning."
    concern = sure_all_is_calm(net, screened).hears(screened)  # in calm work words, still heard
    assert concern is not None and concern.rules == {"screened-yes-to-all"}
    assert net.hears(screened).about is Who.OTHER
    assert net.hears("Students who say yes to all ASQ questions get a same-day assessment.") is None
    assert net.hears("If a student says yes to every ASQ item, walk them to the counselor.") is None


@pytest.mark.parametrize(
    "text, rule",
    [
        ("My husband's shotgun lives in my closet now, for when I'm ready.", "means-kept-close"),
        ("If my clinic gave me the Columbia tonight I'd answer yes to the first three questions.", "my-own-screening"),
        ("My own PHQ-9 item 9 would be a 3 this week.", "my-own-score"),
        ("I can't remember the last day I didn't think about dying.", "every-day-now"),
    ],
)
def test_means_kept_in_reach_and_risk_told_in_work_words_or_by_its_exceptions_are_firm(net, text, rule):
    concern = sure_all_is_calm(net, text).hears(text)  # told calmly, or through a negation: never overruled
    assert concern is not None and rule in concern.rules and concern.about is Who.SELF


WORK_TALK = (
    "Great week in the counseling office. The 6th graders loved the new SEL lessons and the kindness wall is full. "
    "Our attendance team met on Tuesday and chronic absence is down three points. The coat drive reached 80 coats. "
    "Parent conferences went smoothly and two families thanked us for the study skills group. "
    "The new referral form is working and the intern's small group on friendship ends next week with a pizza party. "
)


def test_one_sentence_at_risk_is_heard_inside_a_long_calm_share_out(net):
    text = (
        WORK_TALK + "I have the pills saved up for Friday and the note is written. "
        "We are planning the winter family night in January, and the choir will sing. Thanks to everyone who volunteered."
    )
    # A model sure that the whole share-out is calm (whatever the fitted one makes of it)...
    words = net.words_for_model(text)
    calm_below = (net.model.probability(words) + net.model.threshold) / 2  # between its reading and the threshold
    sure = dataclasses.replace(net, model=dataclasses.replace(net.model, calm_below=calm_below))
    assert sure.model.sure_calm(words)
    concern = sure.hears(text)  # ...still hears it: the sentences around the one at risk do not read calm
    assert concern is not None and concern.about is Who.SELF


def test_in_a_long_share_out_a_clearing_clears_only_the_worry_it_follows(net):
    text = (
        "A 4th grader told me at recess that she wants to kill herself, and she showed me the note she wrote. "
        + WORK_TALK
        + "At the assembly a boy said he wanted to die of boredom. He was just kidding, and he laughed with his friends."
    )
    concern = net.hears(text)
    assert concern is not None and concern.about is Who.OTHER and concern.child
    assert net.hears("At the assembly a boy said he wanted to die. He was just kidding, and he laughed with his friends.") is None


def test_on_fewer_words_than_it_judges_by_the_model_speaks_only_when_sure(net):
    model = net.model
    sure, unsure = net.words_for_model("cut agian last nite after meetin"), net.words_for_model("so tired after the staff meeting today")
    for words in (sure, unsure):
        assert model.sure_words <= model.score(words)[0] < model.min_words
    assert model.probability(sure) >= model.sure_above and model.leans(sure)
    assert model.probability(unsure) < model.threshold and not model.leans(unsure)
    assert not dataclasses.replace(model, sure_above=None).leans(sure)  # without sure_above: silent on few words


def test_a_model_that_would_overrule_what_it_would_say_itself_is_refused():
    document = json.loads((CONTENT / CRISIS_MODEL).read_text())
    with pytest.raises(ModelError, match="calm_below"):
        read_word_model({**document, "calm_below": document["threshold"]})
    with pytest.raises(ModelError, match="sure_above"):  # less sure on few words than on many
        read_word_model({**document, "sure_above": document["threshold"] - 0.01})
    with pytest.raises(ModelError, match="sure_words"):
        read_word_model({**document, "sure_words": document["min_words"] + 1})


@pytest.mark.parametrize("terms", [[1.0], [1.0, 0.5, 2.0], [1.0, True], [1.0, float("nan")], [float("inf"), 0.5], [1.0, "0.5"], 1.0, None])
def test_a_model_whose_tables_hold_anything_but_two_finite_numbers_a_feature_is_refused(terms):
    document = json.loads((CONTENT / CRISIS_MODEL).read_text())
    with pytest.raises(ModelError, match=r"words must map each word to \[idf, weight\]"):
        read_word_model({**document, "words": {**document["words"], "die": terms}})
    with pytest.raises(ModelError, match=r"grams must map each character n-gram to \[idf, weight\]"):
        read_word_model({**document, "grams": {**document["grams"], " di": terms}})
    with pytest.raises(ModelError, match="words must map"):
        read_word_model({**document, "words": [["die", 1.0, 0.5]]})


def test_a_model_whose_n_grams_its_table_cannot_pack_is_refused():
    document = json.loads((CONTENT / CRISIS_MODEL).read_text())
    with pytest.raises(ModelError, match="gram_sizes"):
        read_word_model({**document, "gram_sizes": [3, 9]})
    for gram in ("día", "ninelongs", ""):  # words are folded to ASCII; a table key holds eight letters
        with pytest.raises(ModelError, match="n-gram must be 1 to 8 ASCII"):
            read_word_model({**document, "grams": {**document["grams"], gram: [1.0, 0.5]}})


@pytest.mark.parametrize(
    "text, note",
    [
        (
            "My sister keeps saying her kids would be fine without her and that she is so tired of fighting every "
            "single day. She gave me her spare key last week and I cannot stop thinking about it.",
            NoteFor.HELPER,
        ),
        (
            "One of my juniors has been so quiet lately, she told me nobody would notice if she stopped showing up, "
            "not just to school but anywhere, and she asked me to keep her journal.",
            NoteFor.HELPER_CHILD,
        ),
        # Notes and diaries leave out "I": a sentence opened by what was done is the writer's.
        (
            "Left an envelope for each of my kids on the counter tonight with my sister's address on top. Gave "
            "the dog to the neighbor. Everything is sorted.",
            NoteFor.SELF,
        ),
        # The writer calling 911 for someone is the helper, not the one at risk.
        (
            "My husband swallowed his whole prescription after our fight. I called 911 and I'm in the "
            "ambulance with him now.",
            NoteFor.HELPER,
        ),
        # The one who grabs is not the one at risk: the "me" he grabbed is.
        (
            "He's tracking my phone again and he grabbed me in the parking lot after work yesterday. He screamed "
            "at me in front of everyone.",
            NoteFor.SELF,
        ),
    ],
)
def test_what_the_word_model_hears_is_worded_for_whoever_the_text_is_about(net, text, note):
    concern = net.hears(text)
    assert concern is not None and concern.rules == {"word-model"}
    assert note_for(concern) is note


@pytest.mark.parametrize(
    "text, note",
    [
        # The words for people count "he" three times and the writer not at all ("my" names no
        # subject); the whom model knows whose building this is.
        (
            "My ex keeps showing up at my building at night. He broke the window last week and he still has a key.",
            NoteFor.SELF,
        ),
        # Grief names the one who died; the wish is the writer's.
        (
            "Since Dad died I keep thinking I'd rather be with him than here. Mom says I need to be strong for her.",
            NoteFor.SELF,
        ),
        # The "me" is the student's: the note is for a helper, with the reminder for a child in one's care.
        ("My student came in with a split lip and said please don't call home, they'll hurt me worse.", NoteFor.HELPER_CHILD),
    ],
)
def test_where_the_whom_model_is_sure_it_says_whom_the_note_is_for(net, text, note):
    concern = net.hears(text)
    assert concern is not None and note_for(concern) is note
    assert note_for(dataclasses.replace(net, whom=None).hears(text)) is not note  # the words for people alone misread it


def test_the_whom_model_leaves_whom_to_the_words_for_people_where_it_is_unsure(net):
    text = "Found a note in the hallway at dismissal: I can't do this anymore, I just want to sleep forever."
    assert 1 - net.whom.threshold < net.whom.probability(net.words_for_model(text)) < net.whom.threshold
    assert net.hears(text) == dataclasses.replace(net, whom=None).hears(text)


def test_the_tests_read_the_same_safety_net_as_the_bot():
    fixtures = CONTENT.parent / "tests" / "fixtures" / "content"
    for path in sorted(CONTENT.glob("crisis*")):
        assert (fixtures / path.name).read_bytes() == path.read_bytes(), f"copy {path} to {fixtures}"


@pytest.mark.parametrize(
    "text, note",
    [
        (
            "I am so exhausted and hopeless, I feel like there's no way out and everyone would be better off "
            "if I just disappeared.",
            NoteFor.SELF,
        ),
        ("Sometimes I just want to disappear and not come back", NoteFor.SELF),
        ("kms lol this week", NoteFor.SELF),
        ("I keep thinking about driving my car off the road", NoteFor.SELF),
        ("A student told me she wants to kill herself...", NoteFor.HELPER_CHILD),
        ("my coworker said she doesn't want to be alive anymore", NoteFor.HELPER),
        ("quiero morirme", NoteFor.SELF),
        ("ya no aguanto más.", NoteFor.SELF),
        ("não aguento mais viver", NoteFor.SELF),
        ("I'm not safe at home, he hit me again last night", NoteFor.SELF_UNSAFE),
        # A colleague's grown son is named, not a child in the writer's care: no mandated-reporter reminder.
        (
            "Our school psychologist lost her son last spring. She told me in the copy room she doesn't see the "
            "point of going on without him.",
            NoteFor.HELPER,
        ),
        ("My daughter's coach told her she'd be better off dead and now she won't get out of bed.", NoteFor.HELPER_CHILD),
        # "Asking for a friend", and then the friend is the writer; inside a quotation, it is the student's.
        (
            "Asking for a friend: how do you know when thinking about killing yourself is more than a passing "
            "thought? The friend is me.",
            NoteFor.SELF,
        ),
        (
            'A student wrote "asking for a friend, the friend is me: where is the best place to cut so it does '
            'not show" on the question card in health class.',
            NoteFor.HELPER_CHILD,
        ),
        # Said beside what would otherwise set it aside: a calm day, a reassurance, a clearing, a question.
        ("I laughed at work all day and I'm going home to end it.", NoteFor.SELF),
        ("dont worry about me im fine just tired of living", NoteFor.SELF),
        ("She said she was joking but she's been giving her stuff away all week.", NoteFor.HELPER),
        ("My student asked me if it's normal to want to die every day. She wants to.", NoteFor.HELPER_CHILD),
        (
            "He told me he was only kidding about the pills. Then he showed me the bottle in his locker and said "
            "this weekend.",
            NoteFor.HELPER,
        ),
        # The writer insisting keeps what the rules heard, however calm the work talk around it reads.
        (
            "spent all morning co-leading the QPR training for the 9th grade team and the whole time I was "
            "thinking about killing myself. like actively.",
            NoteFor.SELF,
        ),
        ("My ex found my new apartment and was parked outside again tonight.", NoteFor.SELF_UNSAFE),
        ("I cut my thigh for the first time in three years.", NoteFor.SELF),
    ],
)
def test_plain_words_of_distress_bring_the_note_that_fits(net, text, note):
    concern = net.hears(text)
    assert concern is not None
    assert note_for(concern) is note


@pytest.mark.parametrize(
    "text",
    [
        "we were killing it at the science fair",
        "this meeting is killing me",
        "dead tired after conferences",
        "I'd die for a coffee",
        "we finished QPR suicide-prevention training",
        "our postvention protocol was updated",
        "we stocked naloxone kits in every building",
        "I'm not suicidal, just burnt out",
        "me muero de hambre",
        "estou morta de cansaço",
    ],
)
def test_idioms_negation_and_work_talk_stay_quiet(net, text):
    assert net.hears(text) is None


def test_a_concern_holds_what_was_heard_never_the_text(net):
    concern = net.hears("I want to die, and nobody at school knows")
    assert concern is not None and concern.about is Who.SELF
    assert {f.name for f in dataclasses.fields(concern)} == {"about", "child", "categories", "rules"}


@pytest.mark.parametrize("query", ["kid cutting themselves", "suicide", "suicide hotline", "self harm", "i want to die"])
def test_a_glossary_lookup_about_a_crisis_opens_the_988_entry(net, query):
    content = load_content(CONTENT)
    index = GlossaryIndex(content.glossary)
    found = index.lookup(query, crisis=net.is_crisis_topic(query))
    assert found.entry is not None and found.entry.term == CRISIS_ENTRY


@pytest.mark.parametrize("query", ["taking care of yourself as a teacher", "student with no place to live"])
def test_a_lookup_is_read_by_the_rules_alone_never_by_the_word_model(net, query):
    # On a few everyday words the word model may lean: a lookup opens the crisis help only where
    # a rule or a crisis topic is named.
    assert not net.is_crisis_topic(query)


def test_an_entry_named_exactly_still_opens_itself(net):
    index = GlossaryIndex(load_content(CONTENT).glossary)
    query = "suicide risk screening"
    assert net.is_crisis_topic(query)
    assert index.lookup(query, crisis=True).entry.term == "Suicide risk screening"


def test_a_tip_sheet_lookup_about_a_crisis_opens_the_crisis_steps(net):
    library = TipSheetLibrary(load_content(CONTENT).tipsheets)
    found = library.find("suicide hotline", crisis=net.is_crisis_topic("suicide hotline"))
    assert found.sheet is not None and "If someone is in crisis" in found.sheet.body


def test_a_pasted_run_of_one_letter_is_not_read_as_a_typo(net):
    """A 120,000-letter "word" once cost seconds in the typo reader; it is never a typo."""
    assert net.hears("a" * 120_000) is None
    assert net._spelling["sucidal"] == "suicidal"


def test_a_word_a_quiet_pattern_names_is_never_read_as_a_typo(net):
    """The typo reader knows no Portuguese: "mataram" (they killed) is one letter from "matarme"."""
    assert net._spelling["mataram"] == "mataram"
    assert _rules_alone(net).hears("Mataram a saudade no churrasco de domingo.") is None


def test_the_bot_scores_a_text_as_scikit_learn_fitted_it(net):
    """bot/word_model.py reads the JSON model without scikit-learn; fitted on part of the
    tuning cases, it must give the other cases the probabilities scikit-learn gives them."""
    labelled = list(cases("tuning"))
    fitted_on = labelled[::9]  # a ninth of the part is plenty to compare scores on
    scored = [net.words_for_model(case.text) for case in labelled[1::27]]
    model = fitted([net.words_for_model(case.text) for case in fitted_on], [case.alert for case in fitted_on])
    ours = read_word_model(model.document())
    assert ours.grams and any(" " in feature for feature in ours.words)  # letters and word pairs both heard
    assert [ours.probability(words) for words in scored] == pytest.approx(model.probability(scored), abs=0.002)


def test_the_bot_reads_whom_as_scikit_learn_fitted_it(net):
    """The whom model, words and pairs without letters, is scored by the same code."""
    alerts = [case for case in cases("tuning") if case.alert]
    fitted_on = alerts[::9]
    fitting, writer = [net.words_for_model(case.text) for case in fitted_on], [case.about == "self" for case in fitted_on]
    scored = [net.words_for_model(case.text) for case in alerts[1::27]]
    whom = fitted_whom(fitting, writer)
    ours = read_word_model(fit_whom(fitting, writer))
    assert not ours.grams
    assert [ours.probability(words) for words in scored] == pytest.approx(whom.probability(scored), abs=0.002)
