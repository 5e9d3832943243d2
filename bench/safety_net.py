"""How long the safety net takes to read a 2,000-character share-out.

``python -m bench.safety_net`` times :meth:`SafetyNet.hears` on long share-outs (work talk
with and without one risk sentence) and, as a floor measured in the same run, folding the
same text into words. It prints p50 and p99 in milliseconds and the ratio to the floor.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from bot.runtime import load_content
from bot.safety import fold

WORK_TALK = (
    "Our team met about the attendance flowchart and the tier two groups. The IEP meetings ran long again, "
    "and the new EHR templates still don't carry over the safety plan fields. Parents asked about the bus "
    "schedule, the counselor covered lunch duty, and we finally got the interpreter budget approved. "
)
RISK = "Honestly some nights I just want to go to sleep and not wake up. "
LENGTH = 2_000
RUNS = 2_000


def share_outs(count: int, seed: int = 7) -> list[str]:
    """``count`` texts of about 2,000 characters, half with one risk sentence somewhere inside."""
    rng = random.Random(seed)
    texts = []
    for n in range(count):
        words = (WORK_TALK * 10).split()
        rng.shuffle(words)
        text = " ".join(words)[: LENGTH - len(RISK)]
        if n % 2:
            cut = rng.randrange(len(text))
            text = text[:cut] + " " + RISK + text[cut:]
        texts.append(text[:LENGTH])
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
    heard = timings(net.hears, texts)
    floor = timings(fold, texts)
    print(f"safety net on {RUNS} share-outs of {LENGTH} characters")
    print(f"  hears(): p50 {statistics.median(heard):.3f} ms, p99 {p99(heard):.3f} ms (bar: p99 under 2 ms)")
    print(f"  floor (fold the text): p50 {statistics.median(floor):.3f} ms, p99 {p99(floor):.3f} ms")
    print(f"  ratio at p99: {p99(heard) / p99(floor):.1f}x the floor")


if __name__ == "__main__":
    main()
