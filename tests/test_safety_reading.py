"""The safety net's quick paths read a text exactly as the plain way of reading it does.

Folding reads words and marks in one pass, each index searches a pattern only in the
sentences where the pattern set found its matches end, the model's words are read sentence by sentence, and the
word model sums its terms in C; each is checked here against the plain reading it replaces
(a regular expression per sentence, every pattern searched over the whole line, the model's
words read word by word over the whole line, its tables summed feature by feature), on
tuning share-outs, long share-outs made of them and texts chosen to be awkward.
"""

from __future__ import annotations

import functools
import json
import math
import pickle
import random
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from bot.feature_table import GramTable
from bot.memo import Memo
from bot.runtime import load_content
from bot.safety import BLANK, CLAUSE, NEGATION_REACH, QUOTE, SENTENCE, WORD_START, _Index, _Line, _tokens
from bot.word_model import WordModel, letter_features, word_features
from tests.safety_corpus.report import cases

CONTENT = Path(__file__).parent.parent / "content"

AWKWARD = [
    "", " ", "...", "?!", "\n\n", ":", "a:b", 'x":y', "I can\u2019t go on", "I CAN'T GO ON", "N\u00e3o aguento mais viver",
    "ya no aguanto m\u00e1s.", "I want to die \u2014 really", "I want - - - to die", "I want to die (not really)",
    "I want -\nto die", "I want\n- to die", "\u00abquiero morir\u00bb", "\u201cI want to die\u201d she said",
    'she said: "I want to kill myself"', "\ufb01ne, I want to di\u0301e",
    "\uff49 \uff57\uff41\uff4e\uff54 \uff54\uff4f \uff44\uff49\uff45",
    "Stra\u00dfe | I want to die", "i feel sucidal today", "KMS!!!", "I'm not suicidal", "killing it at work",
    "took 30 pills", "when I was 16 I wanted to die", "I still want to die", "kill " * 200, "die. " * 200,
    "I\tam\t-\tdone", "I\u00a0want\u00a0to\u00a0die", "i want to die;;;; really", "\U0001f602 I want to die \U0001f602",
    "I\u2028want to die", "I've given up. On everything.", "i have just given up. not on life",
    "gave up. on myself. gave up. on life", "given up\non life", "selfharming again", "autolesiones otra vez",
    "me automutilo", "he molested her", "self-harm", "the student's note said she wants to die",
    "not not hopeless", "I don't, I want to die", "never ever hopeless pills", "no no no no hope left at all",
    "I'm not but I am hopeless", "not", "I'm not. Hopeless", "when I was 16 I was not hopeless. Not now either",
]


@pytest.fixture(scope="module")
def net():
    return load_content(CONTENT).shareout.crisis


@pytest.fixture(scope="module")
def texts():
    """3,000 tuning share-outs drawn at random (a fixed number: the corpus keeps growing, and
    each test here reads every text with every pattern), a dozen long ones made of several, and
    the awkward texts."""
    tuning = [case.text for case in cases("tuning")]
    rng = random.Random(5)
    long = [" ".join(rng.sample(tuning, 14))[:2000] for _ in range(12)]
    return rng.sample(tuning, 3000) + long + AWKWARD


def plain_tokens(text: str) -> list[str]:
    """Folding as it was first written: each sentence split off, then its clause marks and words."""
    text = re.sub(r"(?<=\w)['\u2019\u02bc`](?=\w)", "", text.casefold())
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = re.sub(r"[\"'\u2018\u2019\u201c\u201d\u00ab\u00bb`]", ' " ', text)
    tokens: list[str] = []
    for sentence in re.split(r"[.!?;\n\u2026]+|(?<!\w):(?!\w)", text):
        words = re.findall(r"[0-9a-z]+|,|\"", re.sub(r",|\s[-\u2013\u2014]\s|\(|\)", f" {CLAUSE} ", sentence))
        if words:
            tokens += [*words, SENTENCE]
    return tokens


def test_folding_in_one_pass_reads_as_sentence_by_sentence(texts):
    rng = random.Random(9)
    signs = list("ab z09 .!?;:\n\t\r\u2026,-\u2013\u2014()\"'\u2018\u2019\u201c\u201d\u00ab\u00bb`\u02bc")
    signs += list("|#_\u00e9\u0301\u00df\u2028\x85\xa0")
    shuffled = ["".join(rng.choice(signs + ["  ", " - ", "word"]) for _ in range(rng.randint(0, 30))) for _ in range(5000)]
    for text in texts + shuffled:
        assert _tokens(text) == plain_tokens(text), repr(text)


SEARCHED_TOGETHER = 40  # patterns the plain reading looks for in one expression before searching for each


@functools.cache
def pattern_groups(index: _Index) -> list[tuple[range, re.Pattern[str]]]:
    """The index's patterns in runs of SEARCHED_TOGETHER, each run with one expression (Python's
    own) that matches wherever one of its patterns does. Every pattern begins at a word, so the
    run's expression begins at a word too, once, and each pattern's rest is an alternative."""
    patterns = index.patterns
    assert all(pattern.expression.startswith(WORD_START) for pattern in patterns)
    groups = []
    for first in range(0, len(patterns), SEARCHED_TOGETHER):
        places = range(first, min(first + SEARCHED_TOGETHER, len(patterns)))
        either = "|".join(patterns[place].expression.removeprefix(WORD_START) for place in places)
        groups.append((places, re.compile(f"{WORD_START}(?:{either})")))
    return groups


def whole_line_matches(line: _Line, index: _Index) -> dict[int, list[tuple[int, int]]]:
    """Every pattern of ``index`` searched over the whole line, as the index does without its
    shortcuts. The patterns are looked for a run at a time first (:func:`pattern_groups`): a run
    whose expression finds nothing in the line holds no pattern that does, and is passed over.
    (The rules' 1,800-odd patterns searched one by one in each of a few thousand lines took half
    a minute; any one line matches in few runs.)"""
    found = {}
    starts = line.starts
    for places, either in pattern_groups(index):
        if either.search(line.text):
            for place in places:
                matches = index.patterns[place].regex.finditer(line.text)
                if spans := [(bisect_left(starts, m.start()), bisect_left(starts, m.end())) for m in matches]:
                    found[place] = spans
    return found


def test_every_pattern_compiles_to_an_expression_python_searches_with(net):
    indexes = (net._rule_index, net._quiet_index, net._past_index, net._now_index, net._cleared_index, net._doubt_index)
    patterns = [pattern for index in (*indexes, net._owned_index) for pattern in index.patterns] + list(net.topics)
    assert len(patterns) > 2_000
    for pattern in patterns:  # compiled when first used, so never at the start: each is compiled here
        assert pattern.regex.pattern == pattern.expression, pattern.source


def test_each_index_finds_what_searching_the_whole_line_finds(net, texts):
    for text in texts:
        tokens = list(map(net._spelling.__getitem__, _tokens(text)))
        line, blanked = _Line(tokens), net._read(tokens)
        for index in (net._quiet_index, net._cleared_index, net._doubt_index, net._owned_index):
            assert index.matches(line) == whole_line_matches(line, index), text
        for index in (net._rule_index, net._past_index, net._now_index, net._doubt_index):
            assert index.matches(blanked) == whole_line_matches(blanked, index), text


Table = dict[str, tuple[float, float]]  # a feature's (idf, weight), as a model file lists them


def plain_probability(model, words: list[str], tables: tuple[Table, Table] | None = None) -> float:
    """The model's probability summed feature by feature from its tables, as scikit-learn scores:
    ``tables`` of words and of n-grams as plain dicts, or else the model's own read back."""
    word_table, gram_table = tables or (dict(model.words), dict(model.grams))
    z, dot, square = model.intercept, 0.0, 0.0
    for feature, n in Counter(word_features(words)).items():
        if feature in word_table:
            idf, weight = word_table[feature]
            value = (1 + math.log(n)) * idf
            dot, square = dot + value * weight, square + value * value
    if square:
        z += dot / math.sqrt(square)
    # Each distinct word's n-grams, each once a word: an n-gram two words share counts twice.
    grams = Counter(g for word in set(words) for g in set(letter_features(word, model.gram_sizes)) if g in gram_table)
    if grams:
        lean = sum(n * idf * weight for g, n in grams.items() for idf, weight in [gram_table[g]])
        square = sum(n * idf * idf for g, n in grams.items() for idf, _ in [gram_table[g]])
        z += model.gram_scale * lean / math.sqrt(square)
    return 1 / (1 + math.exp(-z))


def test_the_word_model_scores_as_its_model_file_says(net, texts):
    model, written = net.model, json.loads((CONTENT / "crisis-model.json").read_text(encoding="utf-8"))
    tables = ({word: tuple(terms) for word, terms in written["words"].items()}, {gram: tuple(terms) for gram, terms in written["grams"].items()})
    for text in texts:
        words = net.words_for_model(text)
        held, probability = sum(word in tables[0] for word in words), plain_probability(model, words, tables)
        assert model.probability(words) == pytest.approx(probability, abs=1e-12), text
        if held >= model.min_words:
            assert model.leans(words) == (probability >= model.threshold)
        else:  # on fewer words, only when sure
            assert model.leans(words) == (held >= model.sure_words and probability >= model.sure_above)


def plain_model_words(net, line: _Line, past: set[int]) -> list[str]:
    """The words the model reads, word by word over the whole line: a negation reaches the
    next three words within its clause, a family's tags come before its word, and each word
    of a sentence set aside is a gap."""
    words: list[str] = []
    negated = 0
    dropped = {i for sentence in past for i in line.tokens_of(sentence)}
    for index, token in enumerate(line.tokens):
        if token in net.clause_breaks or token in (SENTENCE, CLAUSE, QUOTE) or token[0] == BLANK:
            negated = 0
            words.append("|")
        elif index in dropped:
            words.append("|")
        elif token in net.negations:
            negated = NEGATION_REACH
            words.append(token)
        else:
            prefix = "not_" if negated > 0 else ""
            words += [prefix + tag for tag in net.families.get(token, ())] + [prefix + token]
            negated -= 1
    return words


def test_the_model_reads_each_sentence_as_reading_the_whole_line_does(net, texts):
    rng = random.Random(3)
    for text in texts:
        line = net._read(list(map(net._spelling.__getitem__, _tokens(text))))
        sentences = range(len(line.ends))
        for past in [set(), set(sentences), {0}, set(rng.sample(sentences, len(sentences) // 2))]:
            read, plain = net._model_words(line, past), plain_model_words(net, line, past)
            assert word_features(read) == word_features(plain), (text, past)
        for sentence in sentences:  # a sentence alone, as the loudest one is found
            tokens = line.tokens_of(sentence)
            alone = [word for words in net._token_words(line)[tokens.start : tokens.stop] for word in words]
            assert word_features(alone) == word_features(plain_model_words(net, line, set(sentences) - {sentence})), text


def test_a_memo_remembers_up_to_its_limit_then_starts_over():
    calls: list[int] = []
    memo = Memo(lambda n: calls.append(n) or n * n, limit=3)
    assert [memo[n] for n in (1, 2, 1, 3, 2)] == [1, 4, 1, 9, 4]
    assert calls == [1, 2, 3]
    assert memo[4] == 16 and len(memo) == 1  # full: it started over


def test_features_with_the_same_terms_are_still_counted_apart():
    # The model tells features apart by name, not by their numbers: equal terms must not merge.
    model = WordModel.of(
        words={"sad": (2.0, 0.5), "blue": (2.0, 0.5), "sad blue": (2.0, 0.5), "blue sad": (2.0, 0.5)},
        intercept=-1.0,
        threshold=0.5,
        grams={" sa": (1.5, 0.3), "sad": (1.5, 0.3), "ad ": (1.5, 0.3), " bl": (1.5, 0.3), "lue": (1.5, -0.2)},
        gram_sizes=(3, 3),
    )
    for words in (["sad", "blue"], ["sad", "blue", "sad", "blue", "sad"], ["blue", "|", "blue"], ["sad"]):
        assert model.probability(words) == pytest.approx(plain_probability(model, words), abs=1e-12), words


def test_texts_scored_together_score_as_each_alone_and_no_pair_spans_two_of_them():
    model = WordModel.of(
        words={"sad": (2.0, 0.5), "blue": (1.0, 0.25), "sad blue": (2.5, 0.25), "blue sad": (3.0, -0.75)},
        grams={" sa": (1.5, 0.3), "lue": (1.5, -0.2)},
        intercept=-1.0,
        threshold=0.5,
        gram_sizes=(3, 3),
    )
    # "sad" ends the first text and "blue" opens the second: together they'd be the pair "sad blue".
    texts = [["blue", "sad"], ["blue", "blue", "sad"], [], ["|", "grey"], ["sad", "sad", "blue"]]
    assert model.probabilities(texts) == pytest.approx([plain_probability(model, words) for words in texts], abs=1e-12)
    held, dots, squares = model.table.scores(texts)
    for words, *together in zip(texts, held, dots, squares, strict=True):
        assert together == pytest.approx(list(model.table.score(words)), abs=1e-12), words


def test_the_sentences_of_a_share_out_score_together_as_each_alone(net, texts):
    for text in texts:
        line = net._read(list(map(net._spelling.__getitem__, _tokens(text))))
        read = net._token_words(line)
        sentences = [[word for words in read[line.tokens_of(n).start : line.tokens_of(n).stop] for word in words] for n in range(len(line.ends))]
        for model in (net.model, net.whom):
            assert model.probabilities(sentences) == pytest.approx([model.probability(words) for words in sentences], abs=1e-9), text


def test_a_model_reads_back_its_tables_and_scores_alike_once_pickled():
    words = {"sad": (2.0, 0.5), "{pills}": (1.5, 0.4), "not_sad": (1.2, -0.3), "sad blue": (2.5, 0.25), "blue sad": (3.0, -0.75)}
    grams = {" sa": (1.5, 0.3), "lue": (1.5, -0.2)}
    model = WordModel.of(words=words, grams=grams, intercept=-1.0, threshold=0.5, gram_sizes=(3, 3))
    again = pickle.loads(pickle.dumps(model))
    for read in (model, again):
        for table, given in ((read.words, words), (read.grams, grams)):
            assert sorted(table) == sorted(given)
            assert all(table[feature] == pytest.approx(weights) for feature, weights in given.items())
        assert "blue" not in read.words and "sad sad" not in read.words  # a word only in pairs is no feature
        # A tag parts no pair ("{pills} sad" is never a feature), and a gap or a word the table lacks parts them too.
        for text in (["sad", "blue", "sad"], ["{pills}", "sad", "blue"], ["sad", "|", "blue"], ["sad", "grey", "blue"], []):
            assert read.score(text) == pytest.approx(model.score(text), abs=1e-12)
            assert read.probability(text) == pytest.approx(plain_probability(model, text), abs=1e-12), text


def test_a_words_n_grams_are_read_from_their_packed_table_each_once():
    terms = {" sa": 1 + 2j, "sad": 0.5 + 1j, "ad ": -0.25 + 3j, "lue": 2 + 0.5j, "12345678": 1j}
    grams = GramTable.of(list(terms), np.array(list(terms.values())))
    assert dict(grams) == terms
    assert dict(pickle.loads(pickle.dumps(grams))) == dict(grams)
    read = [" sa", "sad", "sad", "ad ", "xyz", "ünï", "far too long", "\0lue", ""]  # "\0lue" is not "lue"
    assert grams.sum_of(read) == (1 + 2j) + (0.5 + 1j) + (-0.25 + 3j)
    assert grams.sum_of([]) == 0
    for missing in ("xyz", "sa", "ünï", "far too long", ""):
        with pytest.raises(KeyError):
            grams[missing]
    with pytest.raises(ValueError, match="ASCII"):
        GramTable.of(["día"], np.array([1j]))


def test_a_line_blanked_by_the_quiet_patterns_is_searched_afresh(net):
    tokens = list(map(net._spelling.__getitem__, _tokens("I'm killing it at work, but honestly I want to kill myself")))
    line = _Line(tokens)
    quiet = net._quiet_index.matches(line)
    assert quiet and net._quiet_index.matches(line) is quiet  # searched once per line
    blanked = net._read(tokens)
    assert blanked.found is not line.found
    assert net._rule_index.matches(blanked) == whole_line_matches(blanked, net._rule_index)
