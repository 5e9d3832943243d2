"""Fit the safety net's word model on the corpus's tuning part and write ``content/crisis-model.json``.

``python -m tests.safety_corpus.train`` (needs scikit-learn, a development dependency).
The held-out part is never used here. The settings below were chosen by five-fold cross
validation on the tuning part alone: the highest recall of the model by itself with at
most about 2% false alarms.

The model reads the words the rules leave (idioms and work talk blanked, words after a
negation marked ``not_``, sentences told of the past dropped) so it listens the way the
rules do; the bot uses it only when no rule fired.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.runtime import load_content
from bot.safety import SafetyNet
from bot.shareouts.content import CRISIS_MODEL
from tests.safety_corpus.report import CORPUS, cases

CONTENT = CORPUS.parent.parent / "content"
STRENGTH = 30.0  # LogisticRegression's C: little regularisation, as the vocabulary is small
THRESHOLD = 0.9  # the probability at which the model speaks up
MIN_WORDS = 8  # a short text is the rules' to judge: on three words, one word decides the model
DIGITS = 4  # weights are rounded so the file stays small and diffs stay readable


def tuning_digest() -> str:
    """A fingerprint of the tuning part, so a test can tell when the model needs refitting."""
    digest = hashlib.sha256()
    for path in sorted((CORPUS / "tuning").glob("*.yml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def fit(net: SafetyNet) -> dict[str, object]:
    """The model, as the JSON document the bot reads."""
    labelled = list(cases("tuning"))
    texts = [" ".join(net.words_for_model(case.text)) for case in labelled]
    vectorizer = TfidfVectorizer(token_pattern=r"[^ |]+", sublinear_tf=True, lowercase=False)
    features = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=STRENGTH, max_iter=5000, class_weight="balanced")
    model.fit(features, [case.alert for case in labelled])
    words = {
        word: [round(float(vectorizer.idf_[i]), DIGITS), round(float(model.coef_[0][i]), DIGITS)]
        for word, i in sorted(vectorizer.vocabulary_.items())
    }
    return {
        "about": "The safety net's word model: each word's idf and weight. Written by "
        "`python -m tests.safety_corpus.train`; do not edit by hand. Delete this file to let the rules listen alone.",
        "trained_on": f"tests/safety_corpus/tuning: {len(labelled)} share-outs, digest {tuning_digest()}",
        "threshold": THRESHOLD,
        "intercept": round(float(model.intercept_[0]), DIGITS),
        "min_words": MIN_WORDS,
        "words": words,
    }


def main() -> None:
    content = load_content(CONTENT)
    path = CONTENT / CRISIS_MODEL
    model = fit(content.shareout.crisis)
    words = model.pop("words")
    head = json.dumps(model, indent=1, ensure_ascii=False)[:-2]  # one word a line below, for readable diffs
    lines = ",\n".join(f"  {json.dumps(word, ensure_ascii=False)}: {json.dumps(pair)}" for word, pair in words.items())
    path.write_text(f'{head},\n "words": {{\n{lines}\n }}\n}}\n', encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
