"""``plan --plot``: the picture of a session holds what the timeline holds, for 4 and 60 minutes alike."""

from __future__ import annotations

from typing import Any

import pytest

from voiceguide.script.limits import estimated_measure
from voiceguide.script.parse import load_script
from voiceguide.script.shipped import resolve_script
from voiceguide.timeline.compiler import compile_timeline
from voiceguide.timeline.drawing import breath_phases, draw_session, pressure_holds
from voiceguide.timeline.layout import Timeline


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
    assert len(holds) == 2 and all(bar.length == pytest.approx(60) for bar in holds)  # 60 s, left then right
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


def test_a_long_session_is_drawn_with_minute_ticks_and_dropped_cues_marked() -> None:
    timeline = _timeline("sciatica", pace=3.6)  # about 50 minutes
    assert timeline.length / timeline.sample_rate > 40 * 60
    axes = draw_session(timeline).axes[0]
    assert 5 <= len([t for t in axes.get_xticks() if 0 <= t <= axes.get_xlim()[1]]) <= 16  # a tick every 5 min
    short = draw_session(_timeline("quick-relief")).axes[0]
    assert 5 <= len([t for t in short.get_xticks() if 0 <= t <= short.get_xlim()[1]]) <= 16
    crowded = _parsed("{point: LI4, hold: 4s, countdown: 3, cue_every: 1s}")  # time-left cues fit nowhere
    assert crowded.dropped
    dropped = [line for line in draw_session(crowded).axes[0].get_lines() if line.get_gid() == "dropped"]
    assert list(dropped[0].get_xdata()) == [d.dropped.start / crowded.sample_rate for d in crowded.dropped]


def _parsed(press: str) -> Timeline:
    from voiceguide.script.parse import parse_script

    script = parse_script(f"voiceguide: 1\ntitle: Crowded\nsteps:\n  - press: {press}\n", "crowded.yaml").script
    assert script is not None
    return compile_timeline(script, estimated_measure(160, 22050))


def test_a_moved_cue_is_drawn_as_an_arrow_from_its_planned_instant() -> None:
    timeline = _parsed("{point: LI4, hold: 60s, cue_every: 30s, halfway: true}")
    moved = [e for e in timeline.events if e.moved]
    assert moved  # the halfway cue, due with the time-left cue
    arrows = [a for a in draw_session(timeline).axes[0].texts if a.get_gid() == "moved"]
    assert len(arrows) == len(moved)
    rate = timeline.sample_rate
    for arrow, event in zip(arrows, moved, strict=True):
        assert arrow.xy[0] == pytest.approx(event.start / rate)
        assert arrow.xyann[0] == pytest.approx((event.start - event.moved) / rate)  # the planned instant
