"""The small-count rule: a count about members from 1 to ``threshold - 1`` is never shown.

Every figure a coordinator sees about members (a report, its exports and summary, the
connections' counts) goes through a :class:`Suppressor`: a small count is shown as
``"<threshold"`` and kept as no number, a share is shown only when neither it nor what it
leaves out rests on one, and a breakdown, or a table's column (share-outs session by session,
lookups day by day), hides one more count where subtraction from the figure its counts add up
to would give a small one away; where nothing more in the column would do, that figure is
hidden instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

HIDDEN = "hidden"  # a figure that would give away a small count
TOGETHER = "together"  # the key of a breakdown's hidden rows shown as one...
TOGETHER_LABEL = "All together (too few to show one by one)"  # ...and its label, unless the breakdown names one
SECONDARY_NOTE = (
    "A breakdown's rows, and a column of counts session by session or day by day, add up to a figure shown "
    "with them, so where their small counts could be worked out by subtraction, the smallest other count (or a 0) "
    "is hidden with them and these counts read hidden; a breakdown whose rows are all one small count is shown as one row, "
    "and a headline figure whose column's counts are all one small count is hidden."
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
        self.given_away: set[str] = set()  # figures that a column's counts would all be told by (see column)

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

    def tallies(
        self, counts: Iterable[tuple[str, int]], label: Callable[[str], str], together: str = TOGETHER_LABEL
    ) -> tuple[Tally, ...]:
        """The rows of a breakdown for ``(key, count)`` pairs: the counts shown, largest first, then
        the hidden ones by label (in order of size, they would tell a 2 from a 1).

        A breakdown's rows add up to a figure shown beside it (share-outs by sector to the
        share-outs, members reached by state to the members engaged), so they are hidden as
        :meth:`column` hides a column's counts; and rows all of one small count are one row, labelled
        ``together``, since how many there are would tell it.
        """
        ordered = sorted(counts, key=lambda pair: (-pair[1], label(pair[0]).casefold()))
        values = {count for _, count in ordered}
        if len(ordered) > 1 and len(values) == 1 and 0 < min(values) < self.threshold:
            # Rows all of one small count: their number and the total they add up to would tell
            # it (three hidden rows under a total of 3 are 1 each), so they are shown as one.
            return (Tally(TOGETHER, together, HIDDEN, None),)
        rows = self.column((key, label(key), count) for key, count in ordered)
        hidden = sorted((row for row in rows if row.count is None), key=lambda row: row.label.casefold())
        return (*(row for row in rows if row.count is not None), *hidden)

    def column(self, cells: Iterable[tuple[str, str, int]], adds_up_to: str = "") -> tuple[Tally, ...]:
        """The counts of ``(key, label, count)`` cells that add up to a figure shown elsewhere (a
        table's column: share-outs session by session to the share-outs, lookups day by day to
        the lookups), as tallies in the same order.

        Small counts hidden on their own could be worked out by subtraction: a lone one, or
        several of the same number (two cells of "<3" that add up to 2 can only be 1 and 1).
        Then the smallest count shown is hidden too (of equal ones, the last by label), and every
        hidden cell reads "hidden" (see :data:`SECONDARY_NOTE`). Where every count shown is 0,
        a 0 is hidden instead: three hidden cells adding up to 3 could only be 1 each, but three
        hidden cells and a hidden 0 could be 2, 1 and 0 as well.

        Where every count is the same small number, nothing more in the column can be hidden
        (three cells of 1 under a total of 3 are 1 each): the figure they add up to, named
        ``adds_up_to``, is then given away, and :meth:`total` hides it.
        """
        cells = list(cells)
        rows = [self.tally(key, label, count) for key, label, count in cells]
        small = {count for _, _, count in cells if 0 < count < self.threshold}
        if len(small) != 1:
            return tuple(rows)
        if adds_up_to and all(count in small for _, _, count in cells):
            self.given_away.add(adds_up_to)
        return _hide_smallest_shown(rows)

    def total(self, key: str, label: str, count: int) -> Tally:
        """A figure that a column's counts add up to (a headline figure, named ``key`` as the
        column names it): shown as :meth:`tally` shows it, and hidden where it would be shown
        but the column gave it away."""
        tally = self.tally(key, label, count)
        if key in self.given_away and tally.count is not None:
            return Tally(key, label, HIDDEN, None)
        return tally


def _hide_smallest_shown(rows: list[Tally]) -> tuple[Tally, ...]:
    """``rows`` with the smallest count shown hidden too (a 0 only where no other count is
    shown), and every hidden row reading "hidden"."""
    shown = [n for n, row in enumerate(rows) if row.count is not None]
    candidates = [n for n in shown if rows[n].count] or shown  # a 0 only where no other count is shown
    also = max(candidates, key=lambda n: (-(rows[n].count or 0), rows[n].label.casefold()), default=None)
    return tuple(Tally(row.key, row.label, HIDDEN, None) if row.count is None or n == also else row for n, row in enumerate(rows))
