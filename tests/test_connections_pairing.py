"""Who meets whom: the pairing rules, one at a time, then twelve rounds of a community in a row."""

from __future__ import annotations

import random
from collections import Counter
from itertools import combinations

import pytest

from bot.connections.pairing import Candidate, History, Pairing, pair

SECTORS = ("school-staff", "school-clinician", "community-health-center", "behavioral-health-agency", "lived-experience")
TOPICS = ("collaboration", "referrals-access", "family-engagement", "staff-wellness", "equity", "workforce")


def member(user_id: str, sector: str = "school-staff", *topics: str) -> Candidate:
    return Candidate(user_id, sector, frozenset(topics))


def placed(pairing: Pairing) -> Counter:
    """How many groups each member is in (each must be in one at most)."""
    return Counter(user_id for group in pairing.groups for user_id in group)


def pairs_of(pairing: Pairing) -> set[frozenset[str]]:
    return {frozenset(two) for group in pairing.groups for two in combinations(group, 2)}


def test_members_are_paired_across_sectors_when_they_can_be():
    schools = [member(f"US{n}", "school-staff") for n in range(4)]
    centers = [member(f"UC{n}", "community-health-center") for n in range(4)]
    pairing = pair(schools + centers, seed="r1")
    assert len(pairing.groups) == 4 and pairing.left_out == ()
    assert all({g[0][1], g[1][1]} == {"S", "C"} for g in pairing.groups)


def test_shared_topics_decide_between_equally_new_people_of_other_sectors():
    ana = member("UANA", "school-staff", "family-engagement", "equity")
    ben = member("UBEN", "community-health-center", "family-engagement", "equity")
    cy = member("UCY", "community-health-center", "workforce")
    dee = member("UDEE", "school-staff", "workforce")
    for seed in ("a", "b", "c", "d", "e"):
        assert pairs_of(pair([ana, ben, cy, dee], seed=seed)) == {frozenset({"UANA", "UBEN"}), frozenset({"UCY", "UDEE"})}


def test_members_who_have_met_are_not_paired_again_while_someone_new_is_there():
    people = [member(f"U{n}", SECTORS[n % 2]) for n in range(6)]
    first = pair(people, seed="round-1")
    met = {m.user_id: frozenset(o for p in pairs_of(first) if m.user_id in p for o in p if o != m.user_id) for m in people}
    second = pair(people, seed="round-2", history=History(met=met))
    assert pairs_of(first).isdisjoint(pairs_of(second))


@pytest.mark.parametrize("count", [3, 5, 7, 21])
def test_an_odd_member_out_joins_a_group_of_three(count):
    pairing = pair([member(f"U{n:02d}", SECTORS[n % 3]) for n in range(count)], seed="odd")
    assert sorted(len(group) for group in pairing.groups) == [2] * ((count - 3) // 2) + [3]
    assert pairing.left_out == () and set(placed(pairing).values()) == {1}


def test_nobody_is_paired_alone_or_with_themselves():
    assert pair([member("ULONE")], seed="s") == Pairing((), ("ULONE",))
    assert pair([], seed="s") == Pairing(())


def test_a_member_is_never_paired_with_someone_they_excluded_either_way_round():
    people = [member(f"U{n}", SECTORS[n % 2]) for n in range(9)]
    blocked = {"U0": ["U1", "U3", "U5", "U7"], "U2": ["U0"]}  # U0 can meet only U4, U6 or U8
    for seed in range(30):
        pairing = pair(people, seed=str(seed), blocked=blocked)
        for excluded in ({"U0", "U1"}, {"U0", "U3"}, {"U0", "U5"}, {"U0", "U7"}, {"U0", "U2"}):
            assert frozenset(excluded) not in pairs_of(pairing), (seed, pairing)
        assert pairing.left_out == ()


def test_exclusions_of_members_not_in_the_round_are_ignored():
    pairing = pair([member("UA", "school-staff"), member("UB", "lived-experience")], seed="s", blocked={"UA": ["UGONE"]})
    assert pairing.groups == (("UA", "UB"),) or pairing.groups == (("UB", "UA"),)


def test_a_member_left_out_goes_first_next_round_and_is_not_left_out_twice_in_a_row():
    # UX excluded everyone but UE; in round one UE skips, so UX has nobody.
    others = [member(f"U{c}", SECTORS[i % 3]) for i, c in enumerate("ABCD")]
    ux, ue = member("UX", "lived-experience"), member("UE", "school-staff")
    blocked = {"UX": ["UA", "UB", "UC", "UD"]}
    first = pair([*others, ux], seed="r1", blocked=blocked)
    assert first.left_out == ("UX",)
    second = pair([*others, ux, ue], seed="r2", blocked=blocked, history=History(left_out_last=frozenset({"UX"})))
    assert "UX" not in second.left_out and frozenset({"UX", "UE"}) in pairs_of(second)


def test_the_same_members_and_seed_give_the_same_groups_and_another_seed_others():
    people = [member(f"U{n:03d}", SECTORS[n % 5], TOPICS[n % 6]) for n in range(101)]
    assert pair(people, seed="2026-12-07T10:00") == pair(list(reversed(people)), seed="2026-12-07T10:00")
    assert pair(people, seed="2026-12-07T10:00") != pair(people, seed="2027-01-04T10:00")


def test_a_large_community_is_paired_completely_and_across_sectors():
    rng = random.Random(5)
    people = [member(f"U{n:05d}", rng.choice(SECTORS), *rng.sample(TOPICS, 2)) for n in range(2001)]
    pairing = pair(people, seed="big")
    assert pairing.left_out == () and set(placed(pairing).values()) == {1} and len(placed(pairing)) == 2001
    sector = {p.user_id: p.sector for p in people}
    assert sum(len({sector[m] for m in group}) > 1 for group in pairing.groups) / len(pairing.groups) > 0.95


# ----------------------------------------------------------------------------- twelve rounds in a row

ROUNDS = 12


def simulate(people: list[Candidate], blocked: dict[str, list[str]], skipping: dict[int, set[str]]) -> list[Pairing]:
    """Twelve rounds, each fed the history the database would give it."""
    met: dict[str, set[str]] = {p.user_id: set() for p in people}
    history = History()
    found = []
    for number in range(ROUNDS):
        present = [p for p in people if p.user_id not in skipping.get(number, set())]
        pairing = pair(present, seed=f"round-{number}", blocked=blocked, history=history)
        found.append(pairing)
        for group in pairing.groups:
            for user_id in group:
                met[user_id].update(other for other in group if other != user_id)
        trios = frozenset(group[2] for group in pairing.groups if len(group) == 3)
        history = History({k: frozenset(v) for k, v in met.items()}, frozenset(pairing.left_out), trios)
    return found


def community(size: int, seed: int) -> tuple[list[Candidate], dict[str, list[str]]]:
    rng = random.Random(seed)
    people = [member(f"U{n:03d}", rng.choice(SECTORS), *rng.sample(TOPICS, rng.randint(0, 3))) for n in range(size)]
    blocked = {p.user_id: [rng.choice(people).user_id] for p in rng.sample(people, size // 5)}
    return people, blocked


@pytest.mark.parametrize(("size", "seed"), [(31, 1), (57, 2), (200, 3)])
def test_twelve_rounds_are_fair_to_everyone(size, seed):
    people, blocked = community(size, seed)
    skipping = {n: {people[(n * 7) % size].user_id, people[(n * 11 + 3) % size].user_id} for n in range(ROUNDS)}
    rounds = simulate(people, blocked, skipping)
    excluded = {frozenset({a, b}) for a, others in blocked.items() for b in others if a != b}
    seen: Counter = Counter()
    for number, pairing in enumerate(rounds):
        present = {p.user_id for p in people} - skipping[number]
        assert set(placed(pairing)) | set(pairing.left_out) == present, "everyone present is placed, and only they"
        assert set(placed(pairing).values()) == {1}, "nobody is in two groups"
        assert not pairs_of(pairing) & excluded, "nobody meets someone excluded"
        assert pairing.left_out == (), "with a few exclusions each, everyone finds a partner"
        if number:
            before = rounds[number - 1]
            trios = {g[2] for g in pairing.groups if len(g) == 3}
            assert not trios & {g[2] for g in before.groups if len(g) == 3}, "nobody makes a trio twice in a row"
        seen.update(pairs_of(pairing))
    made = sum(len(pairs_of(p)) for p in rounds)
    repeats = sum(count - 1 for count in seen.values())
    # A member meets 12 of the others in a year: with 30 or more to choose from, nobody needs to meet anyone twice.
    assert repeats == 0, f"{repeats} repeated introductions of {made}"
    sector = {p.user_id: p.sector for p in people}
    across = sum(len({sector[m] for m in group}) > 1 for pairing in rounds for group in pairing.groups)
    assert across / sum(len(p.groups) for p in rounds) > 0.9


@pytest.mark.parametrize("sectors", [2, 3, 5])
def test_a_community_of_twenty_meets_someone_new_every_month_for_a_year(sectors):
    people = [member(f"U{n:02d}", SECTORS[n % sectors]) for n in range(20)]
    seen: set[frozenset[str]] = set()
    for pairing in simulate(people, {}, {}):
        current = pairs_of(pairing)
        assert not current & seen
        seen |= current
