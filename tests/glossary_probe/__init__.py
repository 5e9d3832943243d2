"""The glossary probe: queries as members type them, each with the entry it means.

``tuning.tsv`` is what the search was tuned on; ``heldout.tsv`` (a fifth of the probe,
written at the same time) was never tuned on and shows how the search does on queries it
has not seen. :mod:`tests.glossary_probe.report` measures both.
"""
