"""A step's ``label`` everywhere (spec revision 2): plan, plan --json, --from LABEL, screen and spoken status.

Without a label a step is named as a listener understands it: the point and side
of a press, else the section, else a short word ("breathing", "pause"), never an
internal kind name.
"""

from __future__ import annotations

import pytest

from tests.fakes import fake_measure
from voiceguide.play.program import Program, find_start_point
from voiceguide.script.parse import parse_script
from voiceguide.timeline.compiler import compile_timeline
from voiceguide.timeline.layout import StepSpan, Timeline
from voiceguide.timeline.places import step_name
from voiceguide.timeline.plan import format_plan, plan_dict

SCRIPT = b"""\
voiceguide: 1
title: Labels
steps:
  - say: Welcome.
    label: Hello
  - breathe: {inhale: 2, exhale: 2, cycles: 1}
  - repeat: 2
    label: Both sides
    steps:
      - press: {point: GB30, side: both, hold: 3, prepare: 1, rest: 1}
      - pause: 1
        label: Short rest
  - section: Closing
  - Well done.
"""


def _timeline() -> Timeline:
    result = parse_script(SCRIPT, "labels.yaml")
    assert result.script is not None, [d.format() for d in result.diagnostics]
    return compile_timeline(result.script, fake_measure)


def test_plan_json_carries_each_events_label_or_null() -> None:
    labels = {(e["step"], e["label"]) for e in plan_dict(_timeline())["events"]}
    # A step's own label; a repeat's label for the steps inside it; null for the rest.
    assert labels == {("0", None), ("1", "Hello"), ("2", None), ("3.1", "Both sides"),
                      ("4", None), ("5", None)}


def test_plan_text_names_each_labelled_run_of_steps_even_a_silent_one() -> None:
    lines = format_plan(_timeline()).splitlines()
    marks = [line.split()[-1] if "[" in line else None for line in lines]
    assert [line.strip().split("  ", 1)[1] for line in lines if "[" in line] == [
        "[Hello]", "[Both sides]", "[Short rest]", "[Both sides]", "[Short rest]"]
    assert marks.index("[Hello]") + 1 == next(i for i, line in enumerate(lines) if "Welcome." in line)


def test_from_accepts_a_label_like_a_step_number() -> None:
    timeline = _timeline()
    snapshot = Program.from_timeline(timeline).snapshot()
    rest = find_start_point(snapshot, step="short rest")  # case does not matter
    assert snapshot.spans[rest.index].step == "3.2" and snapshot.spans[rest.index].kind == "pause"
    both = find_start_point(snapshot, step="Both sides")
    assert snapshot.spans[both.index].step == "3.1"
    assert find_start_point(snapshot, step="3.2") == rest
    with pytest.raises(LookupError, match="no step labelled 'Nope' .labels: 'Hello', 'Both sides', 'Short rest'"):
        find_start_point(snapshot, step="Nope")


def test_play_from_an_unknown_label_names_the_labels(capsys: pytest.CaptureFixture[str]) -> None:
    from voiceguide.cli import main

    assert main(["play", "sciatica", "--from", "no such label"]) == 2
    err = capsys.readouterr().err
    assert "--from: the session has no step labelled 'no such label'" in err and "'Pressure rounds'" in err


def _span(kind: str, *, label: str | None = None, point: str | None = None, section: str | None = None) -> StepSpan:
    return StepSpan(step="1", kind=kind, start=0, end=1, label=label, section=section, point=point)


@pytest.mark.parametrize("kind", ["title", "cautions", "say", "pause", "chime", "section", "breathe", "press",
                                  "round"])
def test_a_step_without_label_point_or_section_gets_a_plain_word(kind: str) -> None:
    name = step_name(_span(kind))
    internal = {"talk", "chime", "say", "breathe", "press", "cautions", "title"}
    assert name.casefold() not in internal and name == name.lower()


def test_label_then_point_and_side_then_section_then_word() -> None:
    assert step_name(_span("press", label="Hip", point="GB30", section="S"), "left") == "Hip, left side"
    assert step_name(_span("press", point="GB30", section="S"), "right") == "GB30, right side"
    assert step_name(_span("say", section="Breathing practice")) == "Breathing practice"
    assert step_name(_span("breathe")) == "breathing" and step_name(_span("pause")) == "pause"
    assert step_name(_span("cautions", section="S")) == "safety cautions"


def test_spoken_status_and_screen_use_the_label() -> None:
    from voiceguide.play import screen
    from voiceguide.play.status import PlayState, status_at, status_text

    timeline = _timeline()
    snapshot = Program.from_timeline(timeline).snapshot()
    state = PlayState(paused=False, volume_percent=100, finished=False, sample_rate=timeline.sample_rate)
    pause = next(s for s in timeline.spans if s.label == "Short rest")
    assert status_text(status_at(snapshot, pause.start, state)).startswith("Short rest.")
    press = next(e for e in timeline.events if e.cue == "press" and e.side == "right")
    assert status_text(status_at(snapshot, press.start, state)).startswith("Both sides, right side.")
    breathe = next(s for s in timeline.spans if s.kind == "breathe")
    line = screen.status_line(status_at(snapshot, breathe.start, state), 100)
    assert "Breathing" in line and "Breathe" not in line.split("“")[0]
