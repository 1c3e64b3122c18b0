"""``plan --plot``: the picture of a session holds what the timeline holds, for 4 and 60 minutes alike."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from voiceguide.script.limits import estimated_measure
from voiceguide.script.parse import load_script
from voiceguide.script.shipped import resolve_script
from voiceguide.timeline.compiler import DroppedCue, Timeline, compile_timeline
from voiceguide.timeline.drawing import breath_phases, draw_session, pressure_holds


def _timeline(name: str, pace: float = 1.0) -> Timeline:
    script = load_script(resolve_script(name))
    return compile_timeline(script, estimated_measure(script.voice.rate, 22050), pace=pace)


def _drawn(figure: Any, gid: str) -> list[tuple[float, float]]:
    """The (start, width) of the bars drawn under ``gid``."""
    bars = []
    for collection in figure.axes[0].collections:
        if collection.get_gid() == gid:
            for path in collection.get_paths():
                xs = path.vertices[:, 0]
                bars.append((float(xs.min()), float(xs.max() - xs.min())))
    return bars


def test_every_utterance_hold_and_breath_is_drawn_in_its_lane() -> None:
    timeline = _timeline("quick-relief")
    figure = draw_session(timeline)
    speech = [e for e in timeline.events if e.kind == "speech"]
    assert len(_drawn(figure, "speech")) == len(speech)
    holds = pressure_holds(timeline)
    assert len(holds) == 2 and all(59 < bar.length < 61 for bar in holds)  # a minute, left then right
    assert [round(start, 3) for start, _ in _drawn(figure, "hold")] == [round(bar.start, 3) for bar in holds]
    inhales = _drawn(figure, "breath-inhale")
    assert len(inhales) == sum(1 for e in timeline.events if e.cue == "inhale")
    assert all(3.9 < width < 4.1 for _, width in inhales)  # slow breath: 4 s in


def test_breathing_phases_never_run_past_their_step_or_a_release() -> None:
    timeline = _timeline("sciatica")
    spans = sorted(timeline.spans, key=lambda span: span.start)
    releases = [e.start / timeline.sample_rate for e in timeline.events if e.cue == "release"]
    for bar in breath_phases(timeline):
        end = bar.start + bar.length
        span = next(s for s in spans if s.start <= bar.start * timeline.sample_rate < s.end)
        assert end <= span.end / timeline.sample_rate + 1e-6
        assert not any(bar.start < release < end - 1e-6 for release in releases)


def test_a_long_session_is_drawn_with_its_dropped_cues_marked_and_minute_ticks(tmp_path: Path) -> None:
    long = _timeline("sciatica", pace=3.6)  # about 46 minutes
    # Its cues all fit (they shorten or move): mark a few as dropped, as a crowded script would have them.
    lost = [event for event in long.events if event.cue == "remaining"][:3]
    timeline = dataclasses.replace(long, dropped=tuple(DroppedCue(event, None, 1, 1, "cue_every") for event in lost))
    assert timeline.length / timeline.sample_rate > 40 * 60 and len(timeline.dropped) == 3
    figure = draw_session(timeline)
    axes = figure.axes[0]
    dropped = [line for line in axes.get_lines() if line.get_gid() == "dropped"]
    assert len(dropped[0].get_xdata()) == len(timeline.dropped)
    ticks = axes.get_xticks()
    assert 5 <= len([t for t in ticks if 0 <= t <= axes.get_xlim()[1]]) <= 16  # a tick every 5 minutes
    short = draw_session(_timeline("quick-relief")).axes[0]
    assert 5 <= len([t for t in short.get_xticks() if 0 <= t <= short.get_xlim()[1]]) <= 16


def test_a_moved_cue_is_drawn_as_an_arrow_from_its_instant() -> None:
    timeline = _timeline("sciatica", pace=1.5)  # time-left cues move clear of breathing cues here
    moved = [event for event in timeline.events if event.moved]
    assert moved
    arrows = [child for child in draw_session(timeline).axes[0].texts if child.get_gid() == "moved"]
    assert len(arrows) == len(moved)
    for arrow, event in zip(arrows, moved, strict=True):
        (to_x, _), (from_x, _) = arrow.xy, arrow.xyann
        assert to_x == event.start / timeline.sample_rate
        assert abs(to_x - from_x) <= 2 and to_x - from_x == pytest.approx(event.moved / timeline.sample_rate)
