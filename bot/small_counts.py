"""The small-count rule: a count about members from 1 to ``threshold - 1`` is never shown.

Every figure a coordinator sees about members (a report, its exports and summary, the
connections' counts) goes through a :class:`Suppressor`: a small count is shown as
``"<threshold"`` and kept as no number, a share is shown only when neither it nor what it
leaves out rests on one, and a breakdown, or a table's column (share-outs session by session,
lookups day by day), hides one more count where subtraction from the figure its counts add up
to would give a small one away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

HIDDEN = "hidden"  # a figure that would give away a small count
SECONDARY_NOTE = (
    "A breakdown's rows, and a column of counts session by session or day by day, add up to a figure shown "
    "with them, so where their small counts could be worked out by subtraction, the smallest other count is "
    "hidden with them and these counts read hidden."
)


@dataclass(frozen=True)
class Tally:
    """One row of a breakdown: what is counted and its count as shown.

    ``count`` is None when the count is small enough to be suppressed; ``shown`` is what
    every face prints (``"12"`` or ``"<3"``).
    """

    key: str
    label: str
    shown: str
    count: int | None


class Suppressor:
    """Turns counts into :class:`Tally` rows, hiding those from 1 to ``threshold - 1``."""

    def __init__(self, threshold: int):
        self.threshold = threshold

    def tally(self, key: str, label: str, count: int) -> Tally:
        """One row; small counts become ``"<threshold"`` with no number kept."""
        if 0 < count < self.threshold:
            return Tally(key, label, f"<{self.threshold}", None)
        return Tally(key, label, str(count), count)

    def share(self, key: str, label: str, part: int, whole: int) -> Tally:
        """A share as a whole percentage, hidden when ``part``, ``whole`` or what the share leaves
        out (``whole - part``) is a small count; "—" when there is nothing to share."""
        if whole == 0:
            return Tally(key, label, "—", None)
        if any(0 < count < self.threshold for count in (part, whole, whole - part)):
            return Tally(key, label, HIDDEN, None)
        percent = round(part * 100 / whole)
        return Tally(key, label, f"{percent}%", percent)

    def tallies(self, counts: Iterable[tuple[str, int]], label: Callable[[str], str]) -> tuple[Tally, ...]:
        """The rows of a breakdown for ``(key, count)`` pairs: the counts shown, largest first, then
        the hidden ones by label (in order of size, they would tell a 2 from a 1).

        A breakdown's rows add up to a figure shown beside it (share-outs by sector to the
        share-outs, members reached by state to the members engaged), so they are hidden as
        :meth:`column` hides a column's counts.
        """
        ordered = sorted(counts, key=lambda pair: (-pair[1], label(pair[0]).casefold()))
        rows = self.column((key, label(key), count) for key, count in ordered)
        hidden = sorted((row for row in rows if row.count is None), key=lambda row: row.label.casefold())
        return (*(row for row in rows if row.count is not None), *hidden)

    def column(self, cells: Iterable[tuple[str, str, int]]) -> tuple[Tally, ...]:
        """The counts of ``(key, label, count)`` cells that add up to a figure shown elsewhere (a
        table's column: share-outs session by session to the share-outs, lookups day by day to
        the lookups), as tallies in the same order.

        Small counts hidden on their own could be worked out by subtraction: a lone one, or
        several of the same number (two cells of "<3" that add up to 2 can only be 1 and 1).
        Then the smallest count shown is hidden too (of equal ones, the last by label), and every
        hidden cell reads "hidden" (see :data:`SECONDARY_NOTE`).
        """
        cells = list(cells)
        rows = [self.tally(key, label, count) for key, label, count in cells]
        if len({count for _, _, count in cells if 0 < count < self.threshold}) == 1:
            return _hide_smallest_shown(rows)
        return tuple(rows)


def _hide_smallest_shown(rows: list[Tally]) -> tuple[Tally, ...]:
    """``rows`` with the smallest count shown (but 0) hidden too, and every hidden row reading "hidden"."""
    shown = [(-row.count, row.label.casefold(), n) for n, row in enumerate(rows) if row.count]
    also = max(shown)[2] if shown else None
    return tuple(Tally(row.key, row.label, HIDDEN, None) if row.count is None or n == also else row for n, row in enumerate(rows))
