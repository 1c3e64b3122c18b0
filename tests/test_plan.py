"""The plan: the spec's JSON object exactly, the readable text, dropped-cue warnings."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction as F

import jsonschema

from tests.fakes import fake_measure
from voiceguide.base import SAMPLE_RATE, clock
from voiceguide.errors import Position
from voiceguide.script.model import BreathPattern, Chime, Press, Say, Script, Section
from voiceguide.timeline.compiler import compile_timeline
from voiceguide.timeline.layout import Chapter, DroppedCue, Event, Timeline
from voiceguide.timeline.plan import dropped_warnings, format_plan, plan_dict, seconds

P = Position("s.yaml", 4, 3)

PLAN_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "duration", "language", "voice", "engine", "events", "chapters"],
    "properties": {
        "title": {"type": "string"},
        "duration": {"type": "number", "minimum": 0},
        "language": {"type": "string"},
        "voice": {"type": ["string", "null"]},
        "engine": {"enum": ["pyttsx3", "hibari", None]},
        "chapters": {  # revision 2: one per section
            "type": "array",
            "items": {"type": "object", "additionalProperties": False, "required": ["t", "title"],
                      "properties": {"t": {"type": "number", "minimum": 0}, "title": {"type": "string"}}},
        },
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["t", "duration", "kind", "cue", "text", "step", "side", "section", "label"],
                "properties": {
                    "t": {"type": "number", "minimum": 0},
                    "duration": {"type": "number", "exclusiveMinimum": 0},
                    "kind": {"enum": ["speech", "tone"]},
                    "cue": {
                        "enum": [
                            "title", "caution", "say", "section", "round", "announce", "press", "release",
                            "remaining", "halfway", "countdown", "inhale", "hold", "exhale", "rest", "count",
                            "chime",
                        ]
                    },
                    "text": {"type": ["string", "null"]},
                    "step": {"type": "string", "pattern": r"^(0|[1-9][0-9]*(\.[1-9][0-9]*)*)$"},
                    "side": {"enum": ["left", "right", None]},
                    "section": {"type": ["string", "null"]},
                    "label": {"type": ["string", "null"]},  # revision 2
                    "spoken": {"type": "string"},  # revision 3: only where pronounce changes the words
                    "moved": {"type": "number", "minimum": -2, "maximum": 2, "not": {"const": 0}},  # revision 3
                },
            },
        },
    },
}  # fmt: skip


def event(start: int, length: int, cue: str, text: str | None, *, step: str = "1", side: str | None = None,
          section: str | None = None, sound: str | None = None) -> Event:  # fmt: skip
    if sound:
        return Event(start, length, "tone", cue, text, sound, step, side, section)
    return Event(start, length, "speech", cue, text, sound, step, side, section)


def session() -> Script:
    return Script(
        title="Sciatica relief",
        description="A short test session.",
        position=P,
        cautions=("Stop if it hurts.",),
        steps=(
            Chime(1, P),
            Section("Buttock point", P),
            Press(F(30), P, point="GB30", side="both", cue_every=F(10), halfway=True, countdown=3,
                  breathe=BreathPattern(F(4), F(6))),
            Say("Well done.", P),
        ),
    )  # fmt: skip


def test_plan_dict_has_exactly_the_spec_keys_and_validates() -> None:
    timeline = compile_timeline(session(), fake_measure)
    plan = plan_dict(dataclasses.replace(timeline, voice="gmw/de", engine="pyttsx3"))
    jsonschema.validate(plan, PLAN_SCHEMA)
    assert list(plan) == ["title", "duration", "language", "voice", "engine", "events", "chapters"]
    assert (plan["language"], plan["voice"], plan["engine"]) == ("en", "gmw/de", "pyttsx3")
    section = next(e for e in plan["events"] if e["cue"] == "section")
    assert plan["chapters"] == [{"t": 0.0, "title": "Sciatica relief"}, {"t": section["t"], "title": "Buttock point"}]
    keys = ["t", "duration", "kind", "cue", "text", "step", "side", "section", "label"]
    assert all(list(e) in (keys, [*keys, "moved"]) for e in plan["events"])
    assert any("moved" in e for e in plan["events"])  # the halfway cue, due with a time-left cue
    assert plan["title"] == "Sciatica relief"
    assert plan["duration"] == round(timeline.length / SAMPLE_RATE, 6)
    assert json.loads(json.dumps(plan)) == plan  # plain JSON types only


def test_plan_events_are_the_timeline_events_in_seconds_sorted_by_t() -> None:
    timeline = compile_timeline(session(), fake_measure)
    plan = plan_dict(timeline)["events"]
    assert len(plan) == len(timeline.events)
    assert [e["t"] for e in plan] == sorted(e["t"] for e in plan)
    for got, want in zip(plan, sorted(timeline.events, key=lambda e: e.start), strict=True):
        assert got["t"] == round(want.start / SAMPLE_RATE, 6)
        assert got["duration"] == round(want.length / SAMPLE_RATE, 6)
        assert (got["kind"], got["cue"], got["text"], got["step"]) == (want.kind, want.cue, want.text, want.step)
    press = next(e for e in plan if e["cue"] == "press")
    assert (press["side"], press["section"], press["step"]) == ("left", "Buttock point", "3")
    chime = next(e for e in plan if e["cue"] == "chime")
    assert (chime["kind"], chime["text"], chime["duration"]) == ("tone", None, 1.5)
    assert plan[0] == {"t": 0.0, "duration": plan[0]["duration"], "kind": "speech", "cue": "title",
                       "text": "Sciatica relief", "step": "0", "side": None, "section": None,
                       "label": None}  # fmt: skip


def test_seconds_are_exact_to_the_microsecond() -> None:
    assert seconds(319_725, SAMPLE_RATE) == 14.5
    assert seconds(1, SAMPLE_RATE) == 0.000045
    assert seconds(22_051, SAMPLE_RATE) == 1.000045
    assert seconds(10 * 3600 * SAMPLE_RATE + 7, SAMPLE_RATE) == 36000.000317


def handmade() -> Timeline:
    sr = SAMPLE_RATE
    events = (
        event(0, sr, "title", "Sciatica relief", step="0"),
        event(2 * sr, 3 * sr // 2, "chime", None, sound="bell"),
        event(sr * 29 // 2, sr * 62 // 100, "press", "Press now.", step="3", side="left", section="Buttock point"),
        event(sr * 10, sr, "section", "Buttock point.", step="2", section="Buttock point"),
    )
    return Timeline("Sciatica relief", "Test.", sr, 61 * sr + sr // 4, events, (), (Chapter("Buttock point", 10 * sr),),
                    ())  # fmt: skip


def test_format_plan_reads_like_a_timetable() -> None:
    text = format_plan(handmade())
    assert text.splitlines() == [
        "Sciatica relief",
        "Test.",
        "",
        "  0:00.00     title           Sciatica relief",
        "  0:02.00  1  chime           (bell)",
        "",
        "Buttock point  (from 0:10.00)",
        "  0:10.00  2  section         Buttock point.",
        "  0:14.50  3  press    left   Press now.",
        "",
        "Total length 1:01.25, 4 cues.",
    ]


def test_format_plan_shows_hours_and_sections_without_cues() -> None:
    sr = SAMPLE_RATE
    timeline = Timeline("Long", None, sr, 2 * 3600 * sr, (event(3723 * sr, sr, "say", "Hi."),), (),
                        (Chapter("Quiet", 3000 * sr), Chapter("End", 7000 * sr)), ())  # fmt: skip
    lines = format_plan(timeline).splitlines()
    assert "Quiet  (from 50:00.00)" in lines
    assert "  1:02:03.00  1  say             Hi." in lines
    assert lines[:3] == ["Long", "", "Quiet  (from 50:00.00)"]
    assert lines[-3:] == ["End  (from 1:56:40.00)", "", "Total length 2:00:00.00, 1 cue."]


def test_clock_rounds_frames_to_hundredths() -> None:
    assert clock(0, SAMPLE_RATE, decimals=2) == "0:00.00"
    assert clock(SAMPLE_RATE * 59 + SAMPLE_RATE * 995 // 1000 + 1, SAMPLE_RATE, decimals=2) == "1:00.00"
    assert clock(110, SAMPLE_RATE, decimals=2) == "0:00.00" and clock(111, SAMPLE_RATE, decimals=2) == "0:00.01"


def test_dropped_cues_become_positioned_warnings() -> None:
    sr = SAMPLE_RATE
    lost = event(30 * sr, sr, "halfway", "Halfway.")
    kept = event(29 * sr + sr // 2, sr, "remaining", "Ten seconds left.")
    timeline = Timeline("T", None, sr, 40 * sr, (kept,), (), (), (DroppedCue(lost, kept, 12, 7, "halfway"),))
    (warning,) = dropped_warnings(timeline, "my.yaml")
    assert warning.format(snippet=False) == (
        'my.yaml:12:7: warning: the halfway cue "Halfway." at 0:30.00 is dropped: the remaining cue '
        '"Ten seconds left." at 0:29.50 is sounding then; change \'halfway\' to make room'
    )


def test_a_drop_warning_points_at_the_key_to_change_even_through_an_alias() -> None:
    source = b"""voiceguide: 1
title: T
x-reuse:
  hip: &hip
    hold: 4s
    halfway: true
    countdown: 3
    say: Press firmly and breathe slowly and deeply, as deep as you can.
steps:
  - press: *hip
"""
    from voiceguide.script.parse import parse_script

    script = parse_script(source, "c.yaml").script
    assert script is not None
    timeline = compile_timeline(script, fake_measure)
    warnings = dropped_warnings(timeline, "c.yaml", source)
    assert warnings
    lines = {(w.position.line, w.position.column, w.source_line) for w in warnings}
    assert lines <= {(6, 5, "    halfway: true"), (8, 5, "    say: Press firmly and breathe slowly and deeply, as "
                                                        "deep as you can."), (7, 5, "    countdown: 3")}


def test_a_real_collision_is_reported() -> None:
    where = Position("c.yaml", 9, 5)
    press = Press(F(4), where, halfway=True, countdown=3, say="Press firmly and breathe slowly and deeply.")
    crowded = Script(title="T", position=P, steps=(press,))
    timeline = compile_timeline(crowded, fake_measure)
    warnings = dropped_warnings(timeline, "c.yaml")
    assert warnings and all(w.format().startswith("c.yaml:9:5: warning: the ") for w in warnings)
