"""Figure 2, glossary search at scale: 10,000 synthetic entries, in process.

Each kind of query (exact, alias, typo, fuzzy, miss) is timed lookup by lookup, in the
CPU time of the looking-up thread: the figure is the search's own cost (figure 1 has the
latency members see). The floor is a plain dict lookup of the same queries. The notes say
how often the entry a query meant was the answer (or among the suggestions), so speed
never hides a worse search.
"""

from __future__ import annotations

import time

from bench.context import Bench
from bench.loadgen import percentile
from bench.results import Bar, Row
from bench.synthetic import glossary_entries, queries
from bot.library.glossary import GlossaryIndex, Outcome
from bot.text import normalize

FIGURE = "2. Glossary search"
FAST = Bar("<=", 0.1, text="<= 0.1 ms")
FUZZY = Bar("<=", 5.0, text="<= 5 ms")
BARS = {"exact": FAST, "alias": FAST, "typo": FUZZY, "fuzzy": FUZZY, "miss": FUZZY}


def run(bench: Bench) -> list[Row]:
    plan = bench.plan
    entries = glossary_entries(plan.glossary_entries)
    plain = {normalize(text): entry.id for entry in entries for text in (entry.term, *entry.aliases)}
    # Each distinct query once: the index remembers what it answered, and a repeat would time that.
    by_kind = {kind: list(dict(pairs).items()) for kind, pairs in queries(entries, plan.glossary_queries).items()}
    p99: dict[str, list[float]] = {kind: [] for kind in by_kind}
    floor: list[float] = []
    found: dict[str, int] = dict.fromkeys(by_kind, 0)
    for number in range(plan.runs):
        # A fresh index each run: what it remembers of earlier queries' words lasts one run.
        built = time.perf_counter()
        index = GlossaryIndex(entries)
        build_seconds = time.perf_counter() - built
        floor_times = []
        for kind, pairs in by_kind.items():
            times = []
            for text, meant in pairs:
                started = time.thread_time_ns()
                lookup = index.lookup(text)
                times.append((time.thread_time_ns() - started) / 1e6)
                if number == 0:
                    found[kind] += _meant(lookup, meant)
                started = time.thread_time_ns()
                plain.get(text)
                floor_times.append((time.thread_time_ns() - started) / 1e6)
            p99[kind].append(percentile(times, 0.99))
        floor.append(percentile(floor_times, 0.99))
    bench.note(
        FIGURE,
        f"{len(entries):,} synthetic entries ({len(plain):,} names with aliases) built from the real "
        f"glossary's vocabulary; the index builds in {build_seconds:.2f} s, afresh for each run (within a run it "
        f"remembers the neighbours of query words it has seen, as in service). {plan.glossary_queries:,} queries of "
        "each kind per run, those that repeat asked once (the index remembers a query's answer: a repeat would time "
        f"that), {min(len(pairs) for pairs in by_kind.values()):,} to {max(len(pairs) for pairs in by_kind.values()):,} "
        "distinct; each timed in the CPU time of the thread that looks it up (so other processes on a shared machine do not "
        "count); the floor is a plain dict lookup of the same queries, timed the same way.",
    )
    bench.note(
        FIGURE,
        "Answered as meant (the entry, or among the suggestions; a miss for nonsense): "
        + ", ".join(f"{kind} {found[kind] * 100 / len(pairs):.1f}%" for kind, pairs in by_kind.items())
        + ".",
    )
    return [Row(FIGURE, f"{kind.capitalize()} lookup p99", "ms", p99[kind], floor, "dict lookup", BARS[kind]) for kind in by_kind]


def _meant(lookup, meant: str | None) -> bool:
    if meant is None:
        return lookup.outcome is Outcome.MISS
    if lookup.entry is not None:
        return lookup.entry.id == meant
    return any(entry.id == meant for entry in lookup.suggestions)
