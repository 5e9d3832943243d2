"""The glossary on the probe of members' queries: the bars, on the part it was tuned on.

The held-out part is reported (``python -m tests.glossary_probe.report``), not asserted:
it shows how the search does on queries it was never tuned on.
"""

from tests.glossary_probe.report import PARTS, measure, render, shares

judged = measure()["tuning"]
overall_total, overall = shares(judged)["overall"]


def test_the_probe_is_large_and_a_fifth_is_held_out():
    sizes = {part: sum(1 for line in path.open(encoding="utf-8") if not line.startswith("#")) for part, path in PARTS.items()}
    assert sum(sizes.values()) >= 300
    assert 0.18 <= sizes["heldout"] / sum(sizes.values()) <= 0.22


def test_nine_in_ten_queries_are_answered_as_meant():
    print("\n" + render("tuning part", judged))
    assert overall["as meant"] / overall_total >= 0.90


def test_at_most_one_in_a_hundred_is_answered_wrongly():
    assert overall["wrong"] / overall_total <= 0.01, [j.describe() for j in judged if j.verdict == "wrong"]


def test_every_term_the_glossary_lacks_is_answered_honestly():
    lacking = [j for j in judged if not j.probe.meant]
    assert lacking
    assert all(j.verdict != "wrong" for j in lacking), [j.describe() for j in lacking if j.verdict == "wrong"]
