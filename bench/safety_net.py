"""How long the safety net takes to read a 2,000-character share-out.

``python -m bench.safety_net`` times :meth:`SafetyNet.hears` on long share-outs (real quiet
share-outs of the corpus's tuning part run together, half with one alert share-out inside)
and, as a floor measured in the same run, folding the same text into words. It prints p50 and p99 in milliseconds and the ratio to the floor.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from pathlib import Path

import yaml

from bot.runtime import load_content
from bot.safety import fold

CORPUS = Path("tests/safety_corpus/tuning")  # the tuning part only: the held-out part is never read here
LENGTH = 2_000
RUNS = 2_000


def corpus_texts() -> tuple[list[str], list[str]]:
    """The tuning part's quiet share-outs and its alert ones, file by file in name order."""
    quiet: list[str] = []
    alerts: list[str] = []
    for path in sorted(CORPUS.glob("*.yml")):
        data = yaml.safe_load(path.read_text())
        (alerts if data["alert"] else quiet).extend(case["text"] for case in data["cases"])
    return quiet, alerts


def share_outs(count: int, seed: int = 7) -> list[str]:
    """``count`` texts of about 2,000 characters: real quiet share-outs, picked at random and
    run together, half of them with one alert share-out put in between two of them."""
    rng = random.Random(seed)
    quiet, alerts = corpus_texts()
    texts = []
    for n in range(count):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < LENGTH:
            parts.append(rng.choice(quiet))
        if n % 2:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(alerts))
        texts.append(" ".join(parts)[:LENGTH])
    return texts


def timings(check, texts: list[str]) -> list[float]:
    """Milliseconds per call of ``check`` on each text, in thread CPU time."""
    times = []
    for text in texts:
        start = time.thread_time_ns()
        check(text)
        times.append((time.thread_time_ns() - start) / 1e6)
    return times


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    net = load_content(Path("content")).shareout.crisis
    texts = share_outs(RUNS)
    timings(net.hears, texts[:100])  # warm the typo cache as a running bot would be
    # ...and, as the serving bot does once its indexes are built (Heart._build_indexes), leave
    # what lives as long as the process out of the garbage collector's walks.
    gc.collect()
    gc.freeze()
    heard = timings(net.hears, texts)
    floor = timings(fold, texts)
    print(f"safety net on {RUNS} share-outs of {LENGTH} characters")
    print(f"  hears(): p50 {statistics.median(heard):.3f} ms, p99 {p99(heard):.3f} ms (bar: p99 under 2 ms)")
    print(f"  floor (fold the text): p50 {statistics.median(floor):.3f} ms, p99 {p99(floor):.3f} ms")
    print(f"  ratio at p99: {p99(heard) / p99(floor):.1f}x the floor")


if __name__ == "__main__":
    main()
