"""Alert share-outs heard inside long quiet ones: the sentence at risk in a long paragraph.

``python -m tests.safety_corpus.buried [tuning|heldout]`` takes the alert share-outs of one
part of the corpus that the net hears alone (all but ``buried_long``'s, which are long
already), puts each between quiet share-outs of the same part run together to about 1,600
characters (leaving out the runs the net hears by themselves, which it counts as false
alarms of long share-outs), and counts how often the net still hears it. Two kinds of company: calm share-outs (positive reflections, everyday
stress, work talk), and share-outs of every quiet category, look-alikes included (idioms, a
past told calmly, negations). The draws are seeded, so a run is repeatable.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence

from bot.runtime import load_content
from bot.safety import SafetyNet
from tests.safety_corpus.report import cases
from tests.safety_corpus.train import CONTENT

LENGTH = 1_600  # characters of company around each alert share-out
CALM = ("positive_reflection", "everyday_stress", "professional_talk")
SEED = 11


def heard_inside(net: SafetyNet, alerts: Sequence[str], company: Sequence[str], seed: int = SEED) -> tuple[int, int, int]:
    """How many of ``alerts`` the net hears, each put at a random place among share-outs of
    ``company`` that it leaves quiet; how many were tried; and how many runs of company drawn
    for them the net heard by themselves (each alert is tried on one run it leaves quiet)."""
    rng = random.Random(seed)
    heard = tried = loud = 0
    for alert in alerts:
        parts: list[str] = []
        while sum(len(part) + 1 for part in parts) < LENGTH:
            parts.append(rng.choice(company))
        if net.hears(" ".join(parts)) is not None:
            loud += 1
            continue  # the company alone is heard: it tells nothing of the alert
        parts.insert(rng.randrange(len(parts) + 1), alert)
        tried += 1
        heard += net.hears(" ".join(parts)) is not None
    return heard, tried, loud


def main() -> None:
    part = sys.argv[1] if len(sys.argv) > 1 else "tuning"
    net = load_content(CONTENT).shareout.crisis
    labelled = list(cases(part))
    alerts = [c.text for c in labelled if c.alert and c.category != "buried_long" and net.hears(c.text) is not None]
    for name, company in (
        ("calm share-outs", [c.text for c in labelled if c.category in CALM]),
        ("quiet share-outs of every category", [c.text for c in labelled if not c.alert]),
    ):
        heard, tried, loud = heard_inside(net, alerts, company)
        print(f"{part}: alert share-outs heard alone, heard again inside {LENGTH:,} characters of {name}: "
              f"{heard / tried:.1%} ({heard}/{tried}); the {name} alone heard: {loud / (tried + loud):.1%} ({loud}/{tried + loud})")


if __name__ == "__main__":
    main()
