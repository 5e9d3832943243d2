"""One module per figure of docs/BENCHMARKS.md; each has ``run(bench) -> list[Row]``."""
