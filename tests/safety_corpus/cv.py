"""Cross-validate the word model on the corpus's tuning part: how it hears share-outs it was not fitted on.

``python -m tests.safety_corpus.cv`` (needs scikit-learn) splits the tuning part into five
folds, fits the model (``train.fit``, the settings in ``train.py``) on four and scores the
fifth with the bot's own code (``bot/word_model.py``), five times. Share-outs that read
alike (a third of their word pairs shared) stay in one fold, so a near-copy never
answers for its twin. It prints each category's recall (or false alarms) for the model
alone and for the rules with the model, at the threshold that keeps the model's own
false alarms at most ``FALSE_ALARMS``; that threshold is the one ``train.py`` uses. Then
how often the model, sure a share-out is calm (under ``train.CALM_BELOW``), would overrule
a rule that fired: on alerts (a loss) and on false alarms (a gain). Last, the whom model
(``train.fit_whom``), fitted on the same folds' alert share-outs: how often the note of an
alert share-out out of fold is for the wrong person, with it and with the words for people alone.

The rules were written on the whole tuning part, so "rules and model" here is kinder
than share-outs nobody tuned for; "model alone" is the figure that tells settings apart.
The held-out part is never read.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations

from sklearn.model_selection import StratifiedGroupKFold

from bot.runtime import load_content
from bot.word_model import GAP, WordModel, read_word_model
from bot.safety import SafetyNet
from tests.safety_corpus.report import Case, cases
from tests.safety_corpus.train import CALM_BELOW, CONTENT, MIN_WORDS, SURE_ABOVE, SURE_WORDS, fit, fit_whom

FOLDS = 5
ALIKE = 0.3  # share-outs sharing this part of their word pairs are near-copies: one fold
# The model's own false alarms the threshold may cost, out of fold. Recall is the bar the net
# misses, and a false alarm costs a member a private note they did not need: 3% (2% until
# forty-five batches) keeps the rules and model together at about 3.6%, under the 5% bar.
FALSE_ALARMS = 0.03
THRESHOLDS = [t / 100 for t in range(50, 100)]


def groups(read: Sequence[Sequence[str]]) -> list[int]:
    """A group number per share-out: near-copies (by shared word pairs) share one."""
    pairs = [{(a, b) for a, b in zip(words, words[1:]) if GAP not in (a, b)} for words in read]
    parent = list(range(len(read)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    holders: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, found in enumerate(pairs):
        for pair in found:
            holders[pair].append(i)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for held in holders.values():
        if len(held) <= 40:  # a pair this common ("i am") says nothing about copying
            for a, b in combinations(held, 2):
                shared[a, b] += 1
    for (a, b), n in shared.items():
        if n / max(1, len(pairs[a] | pairs[b])) >= ALIKE:
            parent[root(a)] = root(b)
    return [root(i) for i in range(len(read))]


def splits(read: Sequence[Sequence[str]], alert: Sequence[bool], seed: int = 0) -> list[tuple[list[int], list[int]]]:
    """The folds, as (fitted on, scored) share-out numbers: near-copies stay in one fold."""
    folds = StratifiedGroupKFold(FOLDS, shuffle=True, random_state=seed)
    return [(list(train), list(test)) for train, test in folds.split(read, alert, groups(read))]


def out_of_fold(read: Sequence[Sequence[str]], alert: Sequence[bool], seed: int = 0) -> list[tuple[int, float]]:
    """Each share-out's score from a model fitted on the folds it is not in: how many of the
    model's words it holds, and its log-odds (``WordModel.score``)."""
    scores = [(0, 0.0)] * len(read)
    for train, test in splits(read, alert, seed):
        model = read_word_model(fit([read[i] for i in train], [alert[i] for i in train]))
        for i in test:
            scores[i] = model.score(read[i])
    return scores


def settings(threshold: float) -> WordModel:
    """A model with no features and train.py's settings at ``threshold``: it judges scores."""
    return WordModel.of(
        {}, intercept=0.0, threshold=threshold, min_words=MIN_WORDS, calm_below=CALM_BELOW,
        sure_words=SURE_WORDS, sure_above=SURE_ABOVE,
    )


def speaking(scores: Sequence[tuple[int, float]], threshold: float) -> list[bool]:
    """Whether the model speaks up on each score at ``threshold``, with train.py's other settings."""
    at = settings(threshold)
    return [at.speaks(held, z) for held, z in scores]


def whom_out_of_fold(net: SafetyNet, labelled: Sequence[Case], read: Sequence[Sequence[str]]) -> tuple[int, int, int]:
    """How many alert share-outs the net hears, and how many of their notes are for the wrong
    person with a whom model fitted on the other folds and with the words for people alone."""
    alone = dataclasses.replace(net, whom=None)
    heard = with_whom = without = 0
    for train, test in splits(read, [case.alert for case in labelled]):
        fitted_on = [i for i in train if labelled[i].alert]
        whom = read_word_model(fit_whom([read[i] for i in fitted_on], [labelled[i].about == "self" for i in fitted_on]))
        judged = dataclasses.replace(net, whom=whom)
        for i in test:
            case = labelled[i]
            if case.alert and (concern := judged.hears(case.text)) is not None:
                heard += 1
                with_whom += concern.about.value != case.about
                without += alone.hears(case.text).about.value != case.about  # whom changes no alert, only its note
    return heard, with_whom, without


def rate(said: Sequence[bool], chosen: Sequence[int]) -> float:
    return sum(said[i] for i in chosen) / len(chosen) if chosen else 0.0


def main() -> None:
    net = load_content(CONTENT).shareout.crisis
    rules = dataclasses.replace(net, model=None)
    labelled = list(cases("tuning"))
    read = [net.words_for_model(case.text) for case in labelled]
    alert = [case.alert for case in labelled]
    ruled = [rules.hears(case.text) is not None for case in labelled]
    scores = out_of_fold(read, alert)
    alerts = [i for i, a in enumerate(alert) if a]
    calm = [i for i, a in enumerate(alert) if not a]
    fits = [t for t in THRESHOLDS if rate(speaking(scores, t), calm) <= FALSE_ALARMS]
    threshold = min(fits) if fits else THRESHOLDS[-1]
    model = speaking(scores, threshold)
    chosen = settings(threshold)
    overruled = [r and chosen.calms(held, z) for r, (held, z) in zip(ruled, scores)]
    both = [(r and not o) or m for m, r, o in zip(model, ruled, overruled)]
    print(f"{FOLDS}-fold cross validation on the tuning part ({len(labelled)} share-outs, "
          f"{len(set(groups(read)))} groups); threshold {threshold} (model's own false alarms at most {FALSE_ALARMS:.0%})\n")
    print("| category | cases | model alone | rules and model |\n| --- | ---: | ---: | ---: |")
    for category in sorted({case.category for case in labelled}):
        chosen = [i for i, case in enumerate(labelled) if case.category == category]
        kind = "" if labelled[chosen[0]].alert else " false alarms"
        print(f"| {category} | {len(chosen)} | {rate(model, chosen):.0%}{kind} | {rate(both, chosen):.0%}{kind} |")
    print(f"| **all alerts** | {len(alerts)} | **{rate(model, alerts):.1%}** | **{rate(both, alerts):.1%}** |")
    print(f"| **all quiet: false alarms** | {len(calm)} | **{rate(model, calm):.1%}** | **{rate(both, calm):.1%}** |")
    print(f"\nrules alone: recall {rate(ruled, alerts):.1%}, false alarms {rate(ruled, calm):.1%}")
    print(f"the model sure it is calm (under {CALM_BELOW}) where a rule fired: {sum(overruled[i] for i in alerts)} "
          f"of {sum(ruled[i] for i in alerts)} alerts the rules heard, {sum(overruled[i] for i in calm)} of "
          f"{sum(ruled[i] for i in calm)} false alarms")
    heard, with_whom, without = whom_out_of_fold(net, labelled, read)
    print(f"\nwrong person, out of fold, among the {heard} alerts heard: {with_whom} ({with_whom / heard:.1%}) with the "
          f"whom model, {without} ({without / heard:.1%}) with the words for people alone")


if __name__ == "__main__":
    main()
