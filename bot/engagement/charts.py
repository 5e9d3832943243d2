"""The engagement chart: RSVPs, participation and share-outs for each session of a period,
drawn headless with matplotlib (Agg) as a PNG.

A count small enough to be suppressed in the report, or hidden with small ones so that they
cannot be worked out by subtraction, is drawn as a hatched bar (a hollow point) of the
suppression height, labelled as the report shows it (``<3``, ``hidden``), so the chart reveals
no more than the report.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

from bot.engagement.report import Report
from bot.small_counts import HIDDEN
from bot.text import truncate

# Colour-blind-safe (Okabe-Ito) and distinct in greyscale too.
COLOURS = {"RSVPs going": "#0072B2", "Took part": "#E69F00", "Share-outs": "#009E73"}
MAX_LABELLED_SESSIONS = 16  # beyond this, only every n-th session's date is written under the axis
# Beyond this many sessions, bars grow too thin to see (a year of weekly series): lines instead.
MAX_BAR_SESSIONS = 40
FOOTNOTE = (
    "Took part: members who RSVP'd going or shared out about the session under their name (not a headcount). "
    "{small}: fewer than {threshold} or hidden, not shown exactly."
)


@dataclass(frozen=True)
class Chart:
    """A rendered chart: the PNG, and the figures it draws (series name -> one value a session)."""

    png: bytes
    sessions: tuple[str, ...]  # a label for each session, in order
    series: dict[str, tuple[str, ...]]  # values as shown ("12", "<3", "hidden")

    @property
    def filename(self) -> str:
        return "heart-engagement.png"

    @property
    def alt_text(self) -> str:
        """The chart in words, for screen readers (Slack's ``alt_txt``, at most 1,000 characters)."""
        if not self.sessions:
            return "No sessions were held in this period."
        parts = [
            f"{label}: " + ", ".join(f"{values[n]} {name.lower()}" for name, values in self.series.items())
            for n, label in enumerate(self.sessions)
        ]
        return truncate("RSVPs going, members who took part and share-outs per session. " + "; ".join(parts) + ".", 1000)


def render(report: Report) -> Chart:
    """Draw the held sessions of ``report``: RSVPs going, members who took part and share-outs, per session."""
    # Imported here: matplotlib takes a moment to load, and only charts need it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    held = [row for row in report.sessions if row.held]
    labels = tuple(
        f"{row.starts_at.astimezone(report.period.tz):%b} {row.starts_at.astimezone(report.period.tz).day}" for row in held
    )
    series = {
        "RSVPs going": tuple(row.going.shown for row in held),
        "Took part": tuple(row.took_part.shown for row in held),
        "Share-outs": tuple(row.shareouts.shown for row in held),
    }
    figure = Figure(figsize=(10, 5.6), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    figure.suptitle("Sessions: RSVPs, participation and share-outs", fontsize=15, fontweight="bold", x=0.02, ha="left")
    axes.set_title(report.period.label, fontsize=11, loc="left", color="#444444")
    if not held:
        axes.text(0.5, 0.5, "No sessions were held in this period.", ha="center", va="center", fontsize=14, color="#444444")
        axes.set_axis_off()
    elif len(held) > MAX_BAR_SESSIONS:
        _draw_lines(axes, series, report.threshold)
    else:
        _draw_bars(axes, labels, series, report.threshold)
    if held:
        _finish_axes(axes, labels)
    small = "Hollow points" if len(held) > MAX_BAR_SESSIONS else "Hatched bars"
    footnote = FOOTNOTE.format(small=small, threshold=report.threshold)
    figure.supxlabel(footnote, fontsize=8.5, color="#555555", x=0.01, ha="left")
    buffer = io.BytesIO()
    # The figures go in the PNG's text chunk too, for screen readers' alt text and for checks.
    drawn = {"period": report.period.label, "sessions": labels, "series": series}
    if held:
        drawn["count_axis"] = [round(limit) for limit in axes.get_ylim()]
    description = json.dumps(drawn, ensure_ascii=False)
    figure.savefig(buffer, format="png", metadata={"Title": "heart-bot engagement", "Description": description})
    return Chart(buffer.getvalue(), labels, series)


def _suppressed(value: str) -> bool:
    """Whether a value as shown stands for no number: small ("<3") or hidden with small ones."""
    return value.startswith("<") or value == HIDDEN


def _heights(values: tuple[str, ...], threshold: int) -> list[int]:
    """Bar or point heights: a suppressed count ("<3", "hidden") is drawn at ``threshold - 1``, no higher."""
    return [threshold - 1 if _suppressed(value) else int(value) for value in values]


def _draw_bars(axes, labels: tuple[str, ...], series: dict[str, tuple[str, ...]], threshold: int) -> None:
    width = 0.8 / len(series)
    positions = range(len(labels))
    for index, (name, values) in enumerate(series.items()):
        offsets = [p - 0.4 + width * (index + 0.5) for p in positions]
        heights = _heights(values, threshold)
        bars = axes.bar(offsets, heights, width, label=name, color=COLOURS[name], edgecolor="white", linewidth=0.6)
        for bar, value in zip(bars, values, strict=True):
            if _suppressed(value):
                bar.set_hatch("///")
                bar.set_alpha(0.55)
        if len(labels) <= MAX_LABELLED_SESSIONS * 2:
            axes.bar_label(bars, labels=list(values), padding=2, fontsize=8 if len(labels) > 8 else 9, color="#333333")


def _draw_lines(axes, series: dict[str, tuple[str, ...]], threshold: int) -> None:
    for name, values in series.items():
        heights = _heights(values, threshold)
        axes.plot(range(len(values)), heights, label=name, color=COLOURS[name], linewidth=1.6)
        small = [n for n, value in enumerate(values) if _suppressed(value)]
        axes.scatter(small, [heights[n] for n in small], s=18, facecolors="white", edgecolors=COLOURS[name], zorder=3)


def _finish_axes(axes, labels: tuple[str, ...]) -> None:
    positions = list(range(len(labels)))
    step = max(1, -(-len(labels) // MAX_LABELLED_SESSIONS))
    axes.set_xticks(
        positions[::step],
        labels[::step],
        rotation=45 if len(labels) > 8 else 0,
        ha="right" if len(labels) > 8 else "center",
    )
    axes.set_ylabel("Count")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.margins(y=0.15)
    # Counts of nothing but zeros would leave matplotlib a span of its own choosing (0 to 0.06).
    axes.set_ylim(0, max(axes.get_ylim()[1], 1))
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.legend(loc="upper left", frameon=False, ncols=3)
