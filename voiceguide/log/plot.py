"""``voiceguide log --plot FILE``: pain before and after each session over time, drawn with matplotlib.

matplotlib is an optional extra (``pip install 'voiceguide[plot]'``); without
it, ``PlotUnavailable`` says what to install.  The chart is drawn with the
Agg canvas (no window, no display needed) and written atomically.

The points drawn are read back from the plotted lines and stored in the
file, so a reader can check the picture against the log: a PNG carries them
as the text chunk ``voiceguide:points`` (JSON); in an SVG, the markers are
the ``<use>`` elements inside the groups ``pain-before`` and ``pain-after``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from voiceguide.errors import VoiceguideError
from voiceguide.log.pain_points import PainChart, PainPoint
from voiceguide.log.record import PAIN_MAX
from voiceguide.log.tables import TITLE_CHARS, safe_text
from voiceguide.printable import printable, shown_path

FORMATS = (".png", ".svg")
MAX_POINTS = 2000
"""Sessions drawn each as a mark at most: a longer log is drawn as means per day, week, month or year."""
POINTS_KEY = "voiceguide:points"
WIDTH_INCHES, HEIGHT_INCHES, DPI = 9.0, 4.5, 100
BEFORE_COLOR, AFTER_COLOR, LINK_COLOR = "#c0504d", "#2e75b6", "#9e9e9e"
NAMED_SESSIONS = 30
"""Up to this many sessions, each is named on the chart; beyond, the marks shrink and the names go."""


class PlotUnavailable(VoiceguideError):
    """matplotlib, the optional extra for pictures, is not installed."""

    def __init__(self) -> None:
        super().__init__("Drawing the chart needs matplotlib, which is not installed.",
                         hint="pip install 'voiceguide[plot]' (or run 'voiceguide log --plot' "
                              "without a file for a text chart)")


class PlotPathError(VoiceguideError):
    """``--plot`` names a file of a kind it cannot write (exit 1, as every failure of ``log``)."""


def check_plot_path(path: str) -> str:
    """The picture format for ``path`` (``.png`` or ``.svg``); raises PlotPathError for another."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = printable(suffix, one_line=True, max_chars=40) or "a file without extension"
        raise PlotPathError(f"--plot writes .png or .svg files, not {shown!r}.",
                            hint="name the file chart.png or chart.svg")
    return suffix


def plot_pain(chart: PainChart) -> Any:
    """A matplotlib Figure of the pain answers in ``chart``; raises PlotUnavailable."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotUnavailable() from None
    mdates = _dates()
    drawn = chart.points
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    axes: Any = figure.add_subplot()  # matplotlib's stubs do not know that it plots datetimes
    # Many sessions (months, years): smaller marks and no names, so the trend stays readable.
    scale = 1.0 if len(drawn) <= NAMED_SESSIONS else max(0.35, (NAMED_SESSIONS / len(drawn)) ** 0.5)
    for record in drawn:
        if record.pain_before is not None and record.pain_after is not None:
            axes.plot([record.started_at] * 2, [record.pain_before, record.pain_after],
                      color=LINK_COLOR, linewidth=1.5 * scale, alpha=scale, zorder=1)
    before = [r for r in drawn if r.pain_before is not None]
    after = [r for r in drawn if r.pain_after is not None]
    # Before: a ring drawn on top, wide enough to show around an equal "after" dot.
    axes.plot([r.started_at for r in before], [r.pain_before for r in before], linestyle="none",
              marker="o", markersize=11 * scale, markerfacecolor="none", markeredgecolor=BEFORE_COLOR,
              markeredgewidth=2 * scale, label="before the session", gid="pain-before", zorder=3)
    axes.plot([r.started_at for r in after], [r.pain_after for r in after], linestyle="none",
              marker="o", markersize=7 * scale, color=AFTER_COLOR, label="after the session", gid="pain-after",
              zorder=2)
    if len(drawn) > NAMED_SESSIONS and chart.period is None:  # means per period are a trend already
        _draw_trend(axes, before, "pain_before", BEFORE_COLOR)
        _draw_trend(axes, after, "pain_after", AFTER_COLOR)
    for record in drawn if len(drawn) <= NAMED_SESSIONS else ():
        top = max(v for v in (record.pain_before, record.pain_after) if v is not None)
        axes.annotate(safe_text(record.label, TITLE_CHARS), (mdates.date2num(record.started_at), top),
                      xytext=(0, 10), textcoords="offset points", rotation=60, fontsize=7,
                      ha="left", va="bottom", color="#444444")
    axes.set_ylim(-0.5, PAIN_MAX + 3)
    axes.set_yticks(range(0, PAIN_MAX + 1, 2))
    axes.set_ylabel("pain (0 none, 10 worst)")
    axes.set_title("Pain before and after each session" if chart.period is None
                   else f"Mean pain before and after the sessions of each {chart.period}")
    axes.grid(axis="y", color="#e0e0e0")
    if drawn:
        # The axis spans the sessions, with a margin (half a day at least): never years around one session.
        first, last = drawn[0].started_at, drawn[-1].started_at
        margin = max(timedelta(hours=12), (last - first) * 0.04)
        axes.set_xlim(first - margin, last + margin)
    locator = mdates.AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if drawn:
        axes.legend(loc="upper right", fontsize=8)
    else:
        axes.text(0.5, 0.5, "no pain answers in the log yet", transform=axes.transAxes, ha="center")
    return figure


def _draw_trend(axes: Any, records: Sequence[PainPoint], field: str, color: str) -> None:
    """The mean per week (per month past a year of sessions), as a line through the marks."""
    if not records:
        return
    first = records[0].started_at
    days = 7 if (records[-1].started_at - first) < timedelta(days=365) else 30
    bins: dict[int, list[PainPoint]] = {}
    for record in records:
        bins.setdefault((record.started_at - first).days // days, []).append(record)
    groups = [bins[index] for index in sorted(bins)]
    # Each mean sits at the mean time of its sessions (never past the last one).
    xs = [first + sum((r.started_at - first for r in group), timedelta()) / len(group) for group in groups]
    ys = [sum(getattr(r, field) for r in group) / len(group) for group in groups]
    label = f"{'weekly' if days == 7 else 'monthly'} mean {field.removeprefix('pain_')}"
    axes.plot(xs, ys, color=color, linewidth=2, label=label, gid=f"trend-{field.removeprefix('pain_')}", zorder=4)


def _dates() -> Any:
    """``matplotlib.dates``, typed loosely (its functions have no annotations)."""
    import importlib

    return importlib.import_module("matplotlib.dates")


def plotted_points(figure: Any) -> dict[str, list[list[float]]]:
    """The marker positions drawn in ``figure``, read back from its lines: ``{"before": [[x, y]...], ...}``."""
    points: dict[str, list[list[float]]] = {}
    for line in figure.axes[0].get_lines():
        gid = line.get_gid()
        if gid in ("pain-before", "pain-after"):
            xs = _dates().date2num(list(line.get_xdata()))
            ys = line.get_ydata()
            points[gid.removeprefix("pain-")] = [[float(x), float(y)] for x, y in zip(xs, ys, strict=True)]
    return points


def write_plot(chart: PainChart, path: str) -> int:
    """Draw the chart into ``path`` (.png or .svg), atomically; returns the number of sessions drawn."""
    from voiceguide.base import write_atomically

    suffix = check_plot_path(path)
    figure = plot_pain(chart)
    buffer = io.BytesIO()
    if suffix == ".png":
        metadata = {"Title": "voiceguide pain log", POINTS_KEY: json.dumps(plotted_points(figure))}
        figure.savefig(buffer, format="png", metadata=metadata)
    else:
        figure.savefig(buffer, format="svg", metadata={"Title": "voiceguide pain log"})
    try:
        write_atomically(path, buffer.getvalue())
    except OSError as error:
        raise PlotPathError(f"The chart could not be written to {shown_path(path)}: "
                            f"{error.strerror or error}.") from error
    return chart.sessions
