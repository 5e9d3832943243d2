"""Who meets whom in a round: pure and deterministic, so a round can be previewed and tested.

Every opted-in member who is not skipping the round is paired with one other, preferring,
in this order of weight:

- someone they have not been introduced to before (:data:`NEW_PERSON`),
- someone from a different sector (:data:`OTHER_SECTOR`),
- someone who picked the same topics (:data:`SHARED_TOPIC` each, up to :data:`MAX_SHARED`).

Nobody is ever paired with a member they asked not to be paired with, nor with one who asked
not to be paired with them. With an odd number of members, one joins a pair as a third. A
member left without a partner (only when every other member is excluded for them) goes first
in the next round, so nobody is left out twice in a row when a partner exists; and the member
who makes a trio is never the one who made the last one, when there is a choice.

The same members, history and seed give the same groups. A greedy pass pairs each member in
turn with the best partner among a window of candidates (the first few unpaired members of each
sector and of each of their topics, in the round's shuffled order; everyone in a pool of up to
:data:`EXHAUSTIVE`), then partners are swapped between pairs wherever that makes both better,
so 5,000 members pair in a fraction of a second. A small community is also tried in other
orders and the best round kept.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import combinations

# Someone new outweighs everything else, even summed over two pairs (swapping partners never
# trades a new introduction for a repeat); another sector outweighs any shared topics.
NEW_PERSON = 16
OTHER_SECTOR = 4
SHARED_TOPIC = 1
MAX_SHARED = 2
WINDOW = 4  # unpaired candidates taken from each sector and topic a member is compared with
EXHAUSTIVE = 200  # below this many unpaired members (or pairs), compare with all of them
SWAP_PASSES = 3  # rounds of swapping partners between pairs to mend the greedy pass's last choices
SWAP_SAMPLE = 60  # pairs a weak pair of a large round is compared with
SMALL, RETRIES = 60, 40  # a round of this many members or fewer is also tried in this many other orders


@dataclass(frozen=True)
class Candidate:
    """A member who can be paired this round."""

    user_id: str
    sector: str
    topics: frozenset[str] = frozenset()


@dataclass(frozen=True)
class History:
    """What earlier rounds decided that this one must take into account."""

    met: Mapping[str, frozenset[str]] = field(default_factory=dict)  # whom each member was introduced to
    left_out_last: frozenset[str] = frozenset()  # left without a partner in the last round
    trio_last: frozenset[str] = frozenset()  # the third member of a group in the last round


@dataclass(frozen=True)
class Pairing:
    """A round's groups (pairs, and at most a few trios) and who was left without a partner."""

    groups: tuple[tuple[str, ...], ...]
    left_out: tuple[str, ...] = ()


def score(a: Candidate, b: Candidate, met: Mapping[str, frozenset[str]]) -> int:
    """How good a match ``a`` and ``b`` are (higher is better); blocks are checked separately."""
    value = 0 if b.user_id in met.get(a.user_id, frozenset()) else NEW_PERSON
    if a.sector != b.sector:
        value += OTHER_SECTOR
    return value + SHARED_TOPIC * min(MAX_SHARED, len(a.topics & b.topics))


def pair(
    candidates: Iterable[Candidate],
    *,
    seed: str,
    blocked: Mapping[str, Iterable[str]] | None = None,
    history: History | None = None,
) -> Pairing:
    """Pair ``candidates`` for one round.

    :param seed: makes the round's shuffle (and so its groups) reproducible, e.g. the round's id.
    :param blocked: for each member, those they asked never to be paired with (either way round).
    :param history: earlier introductions, and who was left out or a third last round.
    """
    history = history or History()
    members = {c.user_id: c for c in candidates}
    excluded = _symmetric(blocked or {}, members)
    order = sorted(members)
    rng = random.Random(seed)
    rng.shuffle(order)
    best = _attempt(order, members, excluded, history, rng)
    # A small community is tried in several orders, and the best kept: one greedy pass can
    # leave its last members only someone they have met, where another order would not.
    for _ in range(RETRIES if len(order) <= SMALL else 0):
        rng.shuffle(order)
        tried = _attempt(order, members, excluded, history, rng)
        if (len(tried.left_out), -_total(tried, members, history)) < (len(best.left_out), -_total(best, members, history)):
            best = tried
    return best


def _attempt(
    order: list[str],
    members: Mapping[str, Candidate],
    excluded: Mapping[str, frozenset[str]],
    history: History,
    rng: random.Random,
) -> Pairing:
    """One greedy pass over the members in ``order``, mended by swaps, with leftovers placed."""
    # The extra member of an odd count joins a pair at the end; chosen among those who were
    # neither a third nor left out last time and exclude nobody, from the back of the order.
    extra = _extra(order, history, excluded) if len(order) % 2 else None
    pool = _Pool([members[m] for m in order if m != extra])
    # Those left out last round choose first; then those who exclude the most members (the
    # fewest options); the rest in the round's order (sorting is stable).
    first = sorted(order, key=lambda m: (m not in history.left_out_last, -len(excluded.get(m, ()))))
    groups: list[list[str]] = []
    leftovers: list[str] = []
    for user_id in first:
        if user_id == extra or not pool.unpaired(user_id):
            continue
        pool.take(user_id)
        partner = _best(members[user_id], pool.candidates_for(members[user_id]), excluded, history)
        if partner is None:
            partner = _best(members[user_id], pool.everyone(), excluded, history)
        if partner is None:
            leftovers.append(user_id)
            continue
        pool.take(partner.user_id)
        groups.append([user_id, partner.user_id])
    _improve(groups, members, excluded, history, rng)
    if extra is not None:
        leftovers.append(extra)
    left_out = _place_leftovers(leftovers, groups, members, excluded, history)
    return Pairing(tuple(tuple(group) for group in groups), tuple(left_out))


def _total(pairing: Pairing, members: Mapping[str, Candidate], history: History) -> int:
    """The sum of every pair's score within the round's groups."""
    return sum(score(members[a], members[b], history.met) for group in pairing.groups for a, b in combinations(group, 2))


def _improve(
    groups: list[list[str]],
    members: Mapping[str, Candidate],
    excluded: Mapping[str, frozenset[str]],
    history: History,
    rng: random.Random,
) -> None:
    """Swap partners between two pairs wherever that makes both better in sum (a pair that had
    met before, or of one sector, traded for new, cross-sector ones): the greedy pass leaves its
    last choices to whoever is left, and this mends them. A large round compares each weak pair
    with a sample of :data:`SWAP_SAMPLE` others."""
    met = history.met

    def value(a: str, b: str) -> int:
        if b in excluded.get(a, ()):
            return -1_000
        return score(members[a], members[b], met)

    best_possible = NEW_PERSON + OTHER_SECTOR
    for _ in range(SWAP_PASSES):
        improved = False
        for index, group in enumerate(groups):
            a, b = group
            if value(a, b) >= best_possible:
                continue
            others = range(len(groups)) if len(groups) <= EXHAUSTIVE else rng.sample(range(len(groups)), SWAP_SAMPLE)
            for other in others:
                c, d = groups[other]
                if other == index:
                    continue
                now = value(a, b) + value(c, d)
                crossed, swapped = value(a, c) + value(b, d), value(a, d) + value(b, c)
                if max(crossed, swapped) > now:
                    groups[index], groups[other] = ([a, c], [b, d]) if crossed >= swapped else ([a, d], [b, c])
                    a, b = groups[index]
                    improved = True
                    if value(a, b) >= best_possible:
                        break
        if not improved:
            return


def _symmetric(blocked: Mapping[str, Iterable[str]], members: Mapping[str, Candidate]) -> dict[str, frozenset[str]]:
    """Each member's exclusions, both ways round, among this round's members."""
    found: dict[str, set[str]] = {}
    for user_id, others in blocked.items():
        for other in others:
            if user_id in members and other in members and other != user_id:
                found.setdefault(user_id, set()).add(other)
                found.setdefault(other, set()).add(user_id)
    return {user_id: frozenset(others) for user_id, others in found.items()}


def _extra(order: list[str], history: History, excluded: Mapping[str, frozenset[str]]) -> str:
    """The member who will make a trio: the last in the shuffled order who has no claim to go first."""
    for user_id in reversed(order):
        if user_id not in history.trio_last and user_id not in history.left_out_last and not excluded.get(user_id):
            return user_id
    return order[-1]


def _best(
    member: Candidate, options: Iterable[Candidate], excluded: Mapping[str, frozenset[str]], history: History
) -> Candidate | None:
    """The best-scoring partner for ``member`` among ``options`` (the first of equals), or None."""
    barred = excluded.get(member.user_id, frozenset())
    best, best_score = None, -1
    for option in options:
        if option.user_id in barred:
            continue
        value = score(member, option, history.met)
        if value > best_score:
            best, best_score = option, value
    return best


def _place_leftovers(
    leftovers: list[str],
    groups: list[list[str]],
    members: Mapping[str, Candidate],
    excluded: Mapping[str, frozenset[str]],
    history: History,
) -> list[str]:
    """Pair the members still without a partner with each other where they can be, then make each
    one left a third in the best pair that excludes nobody; return whoever is left out."""
    remaining = list(leftovers)
    while len(remaining) > 1:
        first = members[remaining.pop(0)]
        partner = _best(first, (members[m] for m in remaining), excluded, history)
        if partner is None:
            remaining.append(first.user_id)
            break
        remaining.remove(partner.user_id)
        groups.append([first.user_id, partner.user_id])
    left_out = []
    for user_id in remaining:
        member, barred = members[user_id], excluded.get(user_id, frozenset())
        pairs = [g for g in groups if len(g) == 2 and not barred.intersection(g)]
        if not pairs:
            left_out.append(user_id)
            continue
        group = max(pairs, key=lambda g: sum(score(member, members[other], history.met) for other in g))
        group.append(user_id)
    return left_out


class _Pool:
    """The members not yet paired, with each sector's and each topic's in the round's order,
    read from the front (paired members are skipped as they are met, never removed)."""

    def __init__(self, members: list[Candidate]):
        self._unpaired = {member.user_id: member for member in members}
        self._by_sector: dict[str, list[Candidate]] = {}
        self._by_topic: dict[str, list[Candidate]] = {}
        for member in members:
            self._by_sector.setdefault(member.sector, []).append(member)
            for topic in member.topics:
                self._by_topic.setdefault(topic, []).append(member)
        self._heads: dict[int, int] = {}

    def unpaired(self, user_id: str) -> bool:
        return user_id in self._unpaired

    def take(self, user_id: str) -> None:
        del self._unpaired[user_id]

    def everyone(self) -> Iterator[Candidate]:
        """Every unpaired member, in the round's order."""
        return iter(list(self._unpaired.values()))

    def candidates_for(self, member: Candidate) -> list[Candidate]:
        """Whom ``member`` is compared with: everyone in a small pool, else a window of each
        sector (their own last) and of each of their topics."""
        if len(self._unpaired) <= EXHAUSTIVE:
            return list(self._unpaired.values())
        lists = [found for sector, found in self._by_sector.items() if sector != member.sector]
        lists += [self._by_topic[topic] for topic in sorted(member.topics) if topic in self._by_topic]
        lists.append(self._by_sector.get(member.sector, []))
        seen: dict[str, Candidate] = {}
        for found in lists:
            for candidate in self._front(found):
                seen.setdefault(candidate.user_id, candidate)
        return list(seen.values())

    def _front(self, found: list[Candidate]) -> Iterator[Candidate]:
        """The first :data:`WINDOW` unpaired members of ``found``."""
        key = id(found)
        start = self._heads.get(key, 0)
        while start < len(found) and found[start].user_id not in self._unpaired:
            start += 1
        self._heads[key] = start
        taken, index = 0, start
        while taken < WINDOW and index < len(found):
            if found[index].user_id in self._unpaired:
                taken += 1
                yield found[index]
            index += 1
