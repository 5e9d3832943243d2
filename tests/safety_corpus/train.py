"""Fit the safety net's word model and whom model on the corpus's tuning part and write
``content/crisis-model.json`` and ``content/crisis-whom.json``.

``python -m tests.safety_corpus.train`` (needs scikit-learn, a development dependency).
The held-out part is never used here. The settings below were chosen by five-fold cross
validation on the tuning part alone (``python -m tests.safety_corpus.cv``, folds grouped
so that near-duplicate share-outs stay together): words, word pairs and character
n-grams, and the threshold giving the highest recall of the model by itself with at most
about 3% false alarms.

The model reads the words the rules leave (idioms and work talk blanked, words after a
negation marked ``not_``, sentences told of the past dropped) so it listens the way the
rules do; the bot uses it only when no rule fired.

The whom model reads the same words of the alert share-outs, and tells the writer at risk
(its class) from someone else at risk. Cross validated the same way, it put a heard
share-out's note for the wrong person less often than the words for people alone, and the
bot lets it decide only where it is sure (``SURE_OF_WHOM``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy
import scipy.sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.runtime import load_content
from bot.shareouts.content import CRISIS_MODEL, CRISIS_WHOM
from bot.word_model import letter_features, word_features
from tests.safety_corpus.report import CORPUS, cases

CONTENT = CORPUS.parent.parent / "content"
STRENGTH = 1000.0  # LogisticRegression's C: very little regularisation (docs/SAFETY_NET.md: 30 heard less of batches nobody tuned for)
TOLERANCE = 1e-6  # when the solver may stop
THRESHOLD = 0.56  # the probability at which the model speaks up (the cross validation's choice)
CALM_BELOW = 0.05  # under this the model overrules a rule: it is sure the share-out is calm (0.15 at C = 30, chosen on the rules' blind false alarms, batches 12-20; lowered with C so it costs as few alerts out of fold: cv.py counts them)
MIN_WORDS = 8  # a short text is the rules' to judge: on three words, one word decides the model
# On fewer of the model's words than MIN_WORDS (at least SURE_WORDS), the model speaks only when
# sure: out of fold, on fifty-three batches, it heard 11 more alerts of 11,768 at 2 more false
# alarms of 6,807 (docs/SAFETY_NET.md).
SURE_WORDS = 5
SURE_ABOVE = 0.9
GRAM_SIZES = (3, 5)  # character n-grams from three to five letters (a word's edges count as letters)
GRAM_SCALE = 0.5  # the letters' block's weight beside the words' block
WORD_MIN_CASES = 2  # a word or pair seen in one share-out only is left out of the word model too
GRAM_MIN_CASES = 2  # a character n-gram seen in one share-out only is that share-out's, not a way of saying
DIGITS = 4  # weights are rounded so the file stays small and diffs stay readable
WHOM_STRENGTH = 10.0  # the whom model's C
WHOM_MIN_CASES = 2  # a word or pair of one share-out only is that share-out's: the whom model leaves it out
SURE_OF_WHOM = 0.7  # the whom model decides at this probability of "the writer" or over, or one minus it or under


def tuning_digest() -> str:
    """A fingerprint of the tuning part, so a test can tell when the model needs refitting."""
    digest = hashlib.sha256()
    for path in sorted((CORPUS / "tuning").glob("*.yml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _letters(words: Sequence[str]) -> list[str]:
    """Each distinct word's character n-grams, each once a word (an n-gram two words share counts twice)."""
    return [gram for word in dict.fromkeys(words) for gram in dict.fromkeys(letter_features(word, GRAM_SIZES))]


@dataclass(frozen=True)
class Fitted:
    """A model as scikit-learn fitted it: its vectorizers and the regression."""

    by_word: TfidfVectorizer
    by_letter: TfidfVectorizer | None  # None: words and word pairs only (the whom model)
    regression: LogisticRegression

    def features(self, read: Sequence[Sequence[str]]) -> scipy.sparse.csr_matrix:
        words = self.by_word.transform(read)
        if self.by_letter is None:
            return words.tocsr()
        return _features(words, _letter_block(self.by_letter, self.by_letter.transform(read)))

    def probability(self, read: Sequence[Sequence[str]]) -> list[float]:
        """scikit-learn's probability for each share-out's words (the bot's own code must agree)."""
        return [float(p) for p in self.regression.predict_proba(self.features(read))[:, 1]]

    def document(self, threshold: float = THRESHOLD) -> dict[str, object]:
        """The word model as the JSON document the bot reads."""
        assert self.by_letter is not None
        weights = self.regression.coef_[0]
        return {
            "about": "The safety net's word model: the idf and weight of each word, word pair and character n-gram. "
            "Written by `python -m tests.safety_corpus.train`; do not edit by hand. Delete this file to let the "
            "rules listen alone.",
            "threshold": threshold,
            "calm_below": CALM_BELOW,
            "intercept": round(float(self.regression.intercept_[0]), DIGITS),
            "min_words": MIN_WORDS,
            "sure_words": SURE_WORDS,
            "sure_above": SURE_ABOVE,
            "gram_sizes": list(GRAM_SIZES),
            "gram_scale": GRAM_SCALE,
            "words": _table(self.by_word, weights),
            "grams": _table(self.by_letter, weights[len(self.by_word.vocabulary_) :]),
        }


def _table(vectorizer: TfidfVectorizer, weights: numpy.ndarray) -> dict[str, list[float]]:
    """Each feature of ``vectorizer`` with its [idf, weight], ``weights`` in the vectorizer's order."""
    return {
        feature: [round(float(vectorizer.idf_[i]), DIGITS), round(float(weights[i]), DIGITS)]
        for feature, i in sorted(vectorizer.vocabulary_.items())
    }


def fitted(read: Sequence[Sequence[str]], alert: Sequence[bool]) -> Fitted:
    """The model fitted on share-outs' words as the safety net reads them (``words_for_model``)
    and whether each must alert.

    A word or pair of words seen in one share-out only is left out (``WORD_MIN_CASES``): it
    tells the model about that share-out, not about a way of saying. Cross validated, the
    model alone heard 94.9% of alerts without them against 94.3% with them, at the same false
    alarms, from 82,000 features instead of 152,000. Dropping the light features instead
    (weights under 0.2, 0.1 or 0.05) made the file smaller but cost two to four points of recall.
    """
    return _fit(
        TfidfVectorizer(analyzer=word_features, sublinear_tf=True, min_df=WORD_MIN_CASES),
        TfidfVectorizer(analyzer=_letters, norm=None, min_df=GRAM_MIN_CASES),
        read,
        alert,
    )


def fit(read: Sequence[Sequence[str]], alert: Sequence[bool], threshold: float = THRESHOLD) -> dict[str, object]:
    """The fitted model as the JSON document the bot reads."""
    return fitted(read, alert).document(threshold)


def fitted_whom(read: Sequence[Sequence[str]], writer: Sequence[bool]) -> Fitted:
    """The whom model fitted on alert share-outs' words and whether the writer is the one at
    risk in each: a regression over words and word pairs only."""
    by_word = TfidfVectorizer(analyzer=word_features, sublinear_tf=True, min_df=WHOM_MIN_CASES)
    regression = LogisticRegression(C=WHOM_STRENGTH, max_iter=5000, class_weight="balanced", tol=TOLERANCE)
    regression.fit(by_word.fit_transform(read), list(writer))
    return Fitted(by_word, None, regression)


def fit_whom(read: Sequence[Sequence[str]], writer: Sequence[bool]) -> dict[str, object]:
    """The fitted whom model (:func:`fitted_whom`) as the JSON document the bot reads."""
    whom = fitted_whom(read, writer)
    return {
        "about": "The safety net's whom model: the idf and weight of each word and word pair, towards 'the writer "
        "is the one at risk'. Written by `python -m tests.safety_corpus.train`; do not edit by hand. Delete this "
        "file to let the words for people alone say whom a share-out is about.",
        "threshold": SURE_OF_WHOM,
        "intercept": round(float(whom.regression.intercept_[0]), DIGITS),
        "words": _table(whom.by_word, whom.regression.coef_[0]),
    }


def _fit(by_word: TfidfVectorizer, by_letter: TfidfVectorizer, read: Sequence[Sequence[str]], alert: Sequence[bool]) -> Fitted:
    # Run to a tight tolerance: at the default (1e-4) the solver stopped after 17 iterations,
    # short of the fit, and cross validation scored a little lower.
    regression = LogisticRegression(C=STRENGTH, max_iter=5000, class_weight="balanced", tol=TOLERANCE)
    letters = by_letter.fit_transform(read)
    regression.fit(_features(by_word.fit_transform(read), _letter_block(by_letter, letters)), list(alert))
    return Fitted(by_word, by_letter, regression)


def _letter_block(by_letter: TfidfVectorizer, counted: scipy.sparse.spmatrix) -> scipy.sparse.csr_matrix:
    """The letters' block: each n-gram's count over distinct words times its idf, the row
    divided by the square root of its sum of count times idf squared. Each distinct word
    then adds its own two sums to a text's, and the bot reads a word's n-grams once."""
    square = counted @ by_letter.idf_
    scale = 1 / numpy.sqrt(numpy.where(square > 0, square, 1))
    return scipy.sparse.diags(scale) @ counted


def _features(words: scipy.sparse.spmatrix, letters: scipy.sparse.spmatrix) -> scipy.sparse.csr_matrix:
    return scipy.sparse.hstack([words, GRAM_SCALE * letters]).tocsr()


def write(path: Path, model: dict[str, object]) -> None:
    """Write a model's JSON document with one feature a line, for readable diffs."""
    tables = {name: model.pop(name) for name in ("words", "grams") if name in model}
    head = json.dumps(model, indent=1, ensure_ascii=False)[:-2]
    blocks = []
    for name, found in tables.items():
        lines = ",\n".join(f"  {json.dumps(key, ensure_ascii=False)}: {json.dumps(pair)}" for key, pair in found.items())
        blocks.append(f' "{name}": {{\n{lines}\n }}')
    path.write_text(head + ",\n" + ",\n".join(blocks) + "\n}\n", encoding="utf-8")
    print(f"wrote {path}: {sum(map(len, tables.values()))} features, {path.stat().st_size // 1024} KiB")


def main() -> None:
    net = load_content(CONTENT).shareout.crisis
    labelled = list(cases("tuning"))
    read = [net.words_for_model(case.text) for case in labelled]
    alerts = [(words, case.about == "self") for words, case in zip(read, labelled) if case.alert]
    trained_on = f"tests/safety_corpus/tuning: {len(labelled)} share-outs, digest {tuning_digest()}"
    model = fit(read, [case.alert for case in labelled])
    whom = fit_whom([words for words, _ in alerts], [writer for _, writer in alerts])
    for name, document in ((CRISIS_MODEL, model), (CRISIS_WHOM, whom)):
        write(CONTENT / name, {**document, "trained_on": trained_on})


if __name__ == "__main__":
    main()
