"""heart-bot's benchmarks: speed and scale measured against floors, in one run.

``python -m bench`` starts the real app over HTTP as the Procfile does, drives it with a
load generator in another process, and writes ``docs/BENCHMARKS.md``. Each figure is
compared with a floor measured in the same run on the same machine (a bare Bolt app, a
plain dict lookup, an indexed count, ...), because on a shared machine ratios hold
where absolute numbers drift.
"""
