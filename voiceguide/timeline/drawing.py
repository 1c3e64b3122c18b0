"""``voiceguide plan SCRIPT --plot FILE``: a picture of a session's timeline, for its author (matplotlib).

Four lanes over time: the spoken words (one bar per utterance, coloured by
what it is), the breathing phases (in, hold, out, rest), the pressure holds
(press to release, with their time-left, halfway and countdown cues as ticks)
and the chimes; sections are bands across every lane, named at the top.  A
cue the timeline moved to fit is marked with an arrow from its planned
instant; a dropped cue with a red cross.  The width is fixed and the time axis
ticks in whole minutes (or seconds for a short session), so a 4-minute and a
60-minute session both read at a glance; names are shortened to their band.

matplotlib is the optional ``plot`` extra; without it, ``DrawingUnavailable``
says what to install.  Drawn with the Agg canvas (no display) and written
atomically.  The drawn bars are kept in the figure's ``gid``s (``speech``,
``breath-inhale`` …, ``hold``, ``moved``, ``dropped``), so tests read back
what was drawn.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceguide.errors import VoiceguideError
from voiceguide.printable import printable
from voiceguide.timeline.layout import Timeline

FORMATS = (".png", ".svg")
WIDTH_INCHES, HEIGHT_INCHES, DPI = 14.0, 5.0, 100
LANES = ("speech", "breathing", "holds", "chimes")
"""Lanes from the top; each is one unit high."""
BREATH_CUES = ("inhale", "hold", "exhale", "rest")
BREATH_COLORS = {"inhale": "#4f81bd", "hold": "#9bbb59", "exhale": "#8064a2", "rest": "#d9d9d9"}
SPEECH_COLORS = {"press": "#e46c0a", "release": "#e46c0a", "remaining": "#f79646", "halfway": "#f79646",
                 "countdown": "#f79646", "inhale": "#4f81bd", "hold": "#9bbb59", "exhale": "#8064a2",
                 "rest": "#a6a6a6", "count": "#b7cce4"}
OTHER_SPEECH_COLOR = "#595959"
HOLD_COLOR, SECTION_COLORS = "#fbd4b4", ("#f2f2f2", "#dde8f3")
MIN_BAR_FRACTION = 0.0015
"""The narrowest bar drawn, as a fraction of the session (a one-word cue stays visible in an hour)."""


class DrawingUnavailable(VoiceguideError):
    """matplotlib, the optional extra for pictures, is not installed."""

    def __init__(self) -> None:
        super().__init__("Drawing the session needs matplotlib, which is not installed.",
                         hint="pip install 'voiceguide[plot]' (or 'voiceguide plan SCRIPT' for the text plan)")


class DrawingPathError(VoiceguideError):
    """``--plot`` names a file of a kind it cannot write."""

    exit_status = 2


def check_drawing_path(path: str) -> str:
    """The picture format for ``path`` (``.png`` or ``.svg``); raises DrawingPathError for another."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise DrawingPathError(f"--plot writes .png or .svg files, not {suffix or 'a file without extension'!r}",
                               hint="name the file session.png or session.svg")
    return suffix


@dataclass(frozen=True)
class Bar:
    """One drawn interval in seconds: ``lane``, ``start``, ``length``, and what it is (``what``)."""

    lane: str
    start: float
    length: float
    what: str


def breath_phases(timeline: Timeline) -> list[Bar]:
    """Each breathing phase from its cue to the next phase's cue (or the end of its step)."""
    rate = timeline.sample_rate
    spans = sorted(timeline.spans, key=lambda span: span.start)
    events = sorted(timeline.events, key=lambda e: e.start)
    bars = []
    for index, event in enumerate(events):
        if event.cue not in BREATH_CUES:
            continue
        # Until the next phase of the same step, or the release that ends a hold's breathing, or the step's end.
        step_end = next((span.end for span in spans if span.start <= event.start < span.end), event.end)
        end = next((e.start for e in events[index + 1:] if e.start >= step_end or (
            e.step == event.step and e.start > event.start and (e.cue in BREATH_CUES or e.cue == "release"))),
            step_end)
        end = min(end, step_end)
        bars.append(Bar("breathing", event.start / rate, (max(end, event.end) - event.start) / rate, event.cue))
    return bars


def pressure_holds(timeline: Timeline) -> list[Bar]:
    """Each hold from its press cue to its release cue."""
    rate = timeline.sample_rate
    events = sorted(timeline.events, key=lambda e: e.start)
    bars = []
    for index, event in enumerate(events):
        if event.cue != "press":
            continue
        release = next((e for e in events[index + 1:] if e.cue == "release" and e.step == event.step), None)
        if release is not None:
            side = event.side if event.side not in (None, "none") else ""
            bars.append(Bar("holds", event.start / rate, (release.start - event.start) / rate, side))
    return bars


def draw_session(timeline: Timeline) -> Any:
    """A matplotlib Figure of ``timeline``; raises DrawingUnavailable."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise DrawingUnavailable() from None
    rate = timeline.sample_rate
    total = max(timeline.length / rate, 1.0)
    minimum = total * MIN_BAR_FRACTION
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    axes: Any = figure.add_subplot()
    lane_y = {lane: len(LANES) - 1 - i for i, lane in enumerate(LANES)}
    _draw_sections(axes, timeline, total)
    speech = [e for e in timeline.events if e.kind == "speech"]
    _bars(axes, lane_y["speech"], [(e.start / rate, max(e.length / rate, minimum)) for e in speech],
          [SPEECH_COLORS.get(e.cue, OTHER_SPEECH_COLOR) for e in speech], "speech")
    for cue in BREATH_CUES:
        phases = [b for b in breath_phases(timeline) if b.what == cue]
        _bars(axes, lane_y["breathing"], [(b.start, max(b.length, minimum)) for b in phases],
              [BREATH_COLORS[cue]] * len(phases), f"breath-{cue}")
    holds = pressure_holds(timeline)
    _bars(axes, lane_y["holds"], [(b.start, b.length) for b in holds], [HOLD_COLOR] * len(holds), "hold")
    _draw_hold_cues(axes, timeline, lane_y["holds"])
    tones = [e for e in timeline.events if e.kind == "tone"]
    _bars(axes, lane_y["chimes"], [(e.start / rate, max(e.length / rate, minimum)) for e in tones],
          ["#c0a000"] * len(tones), "chime")
    _draw_placements(axes, timeline, lane_y["speech"])
    axes.set_xlim(0, total)
    axes.set_ylim(-0.6, len(LANES) + 0.2)
    axes.set_yticks([lane_y[lane] for lane in LANES], [lane for lane in LANES])
    _time_axis(axes, total)
    axes.set_title(_short(timeline.title, 80), loc="left", fontsize=11)
    _legend(axes)
    return figure


def _legend(axes: Any) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(color=OTHER_SPEECH_COLOR, label="spoken"),
                          Patch(color=SPEECH_COLORS["press"], label="press, release"),
                          Patch(color=SPEECH_COLORS["remaining"], label="time left, countdown")]
    handles += [Patch(color=BREATH_COLORS[cue], label=word)
                for cue, word in zip(BREATH_CUES, ("in", "hold", "out", "rest"), strict=True)]
    handles += [Patch(color=HOLD_COLOR, label="pressure hold"),
                Line2D([], [], color="#c00000", marker="x", linestyle="none", label="dropped cue"),
                Line2D([], [], color="#c00000", marker=">", linestyle="none", label="moved cue")]
    axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=len(handles),
                fontsize=8, frameon=False)


def _short(text: str, chars: int) -> str:
    text = printable(text, one_line=True)
    return text if len(text) <= chars else text[:chars - 1] + "…"


def _bars(axes: Any, y: float, spans: Sequence[tuple[float, float]], colors: Sequence[str], gid: str) -> None:
    if spans:
        axes.broken_barh(list(spans), (y - 0.35, 0.7), facecolors=list(colors), gid=gid, linewidth=0)


def _draw_sections(axes: Any, timeline: Timeline, total: float) -> None:
    rate = timeline.sample_rate
    chapters = sorted(timeline.chapters, key=lambda c: c.start)
    for index, chapter in enumerate(chapters):
        start = chapter.start / rate
        end = chapters[index + 1].start / rate if index + 1 < len(chapters) else total
        axes.axvspan(start, end, color=SECTION_COLORS[index % 2], zorder=0, gid="section")
        axes.axvline(start, color="#7f7f7f", linewidth=0.8, zorder=0)
        # The name fits its band: about one character per 1/220 of the width.
        room = max(4, int((end - start) / total * 220))
        axes.text(start, len(LANES) - 0.45 + 0.3 * (index % 2), _short(chapter.title, room), fontsize=8,
                  va="bottom", ha="left", color="#404040", clip_on=True)


def _draw_hold_cues(axes: Any, timeline: Timeline, y: float) -> None:
    rate = timeline.sample_rate
    marks = [e.start / rate for e in timeline.events if e.cue in ("remaining", "halfway", "countdown")]
    if marks:
        axes.plot(marks, [y] * len(marks), linestyle="none", marker="|", markersize=14, color="#974806",
                  gid="hold-cues")


def _draw_placements(axes: Any, timeline: Timeline, y: float) -> None:
    rate = timeline.sample_rate
    for event in timeline.events:
        if event.moved:  # placed off its instant (spec revision 3): an arrow from where it was due
            moved = event.moved / rate
            at = event.start / rate
            axes.annotate("", xy=(at, y + 0.45), xytext=(at - moved, y + 0.45), gid="moved",
                          arrowprops={"arrowstyle": "->", "color": "#c00000", "linewidth": 1.2})
    dropped = [d.dropped.start / rate for d in timeline.dropped]
    if dropped:
        axes.plot(dropped, [y] * len(dropped), linestyle="none", marker="x", markersize=9, color="#c00000",
                  markeredgewidth=2, gid="dropped", label="dropped cue")


def _time_axis(axes: Any, total: float) -> None:
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    minutes = total / 60
    step = 10 if minutes < 2 else 30 if minutes < 6 else 60 if minutes < 16 else 300 if minutes < 90 else 900
    axes.xaxis.set_major_locator(MultipleLocator(step))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{int(x) // 60}:{int(x) % 60:02d}"))
    axes.set_xlabel("time (minutes:seconds)")
    axes.grid(axis="x", color="#bfbfbf", linewidth=0.5)


def write_drawing(timeline: Timeline, path: str) -> None:
    """Draw ``timeline`` into ``path`` (.png or .svg), atomically."""
    from voiceguide.base import write_atomically

    suffix = check_drawing_path(path)
    figure = draw_session(timeline)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=suffix[1:], metadata={"Title": f"voiceguide plan: {timeline.title[:200]}"})
    try:
        write_atomically(path, buffer.getvalue())
    except OSError as error:
        raise DrawingPathError(f"The picture could not be written to {path}: {error.strerror or error}.") from error
