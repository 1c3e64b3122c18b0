"""The session limits (24 h, 100,000 events), estimated without expanding repeat or aliases."""

from __future__ import annotations

import tracemalloc
from fractions import Fraction
from pathlib import Path

import pytest

from voiceguide.base import SAMPLE_RATE
from voiceguide.errors import Position
from voiceguide.script.limits import (
    MIN_SPEECH_SECONDS,
    Estimate,
    check_limits,
    estimate_session,
    estimated_measure,
    speech_seconds,
)
from voiceguide.script.model import (
    MAX_EVENTS,
    TONE_SECONDS,
    Breathe,
    BreathPattern,
    Chime,
    Pause,
    Press,
    Repeat,
    Say,
    Script,
    Section,
    Step,
)
from voiceguide.script.parse import load_script, parse_script
from voiceguide.timeline.compiler import compile_timeline

REPO = Path(__file__).resolve().parent.parent
HERE = Position("test.yaml", 1, 1)
RATE = 160


def session(*steps: Step, title: str = "T", cautions: tuple[str, ...] = ()) -> Script:
    return Script(title=title, steps=tuple(steps), position=HERE, cautions=cautions)


def body(script: Script) -> Estimate:
    """The estimate of the steps alone (without the title)."""
    total = estimate_session(script)
    title = speech_seconds(script.title, RATE)
    return Estimate(total.seconds - float(title), total.events - 1)


def estimate(seconds: Fraction | float, events: int) -> Estimate:
    """An expected estimate: seconds are floats inside the estimator, so compare them approximately."""
    return Estimate(pytest.approx(float(seconds)), events)  # type: ignore[arg-type]


def test_speech_is_words_times_sixty_over_rate_and_at_least_0_3_s() -> None:
    assert speech_seconds("one two three four", 160) == Fraction(4 * 60, 160)
    assert speech_seconds("one two three four", 80) == Fraction(3)
    assert speech_seconds("Hi", 400) == MIN_SPEECH_SECONDS == Fraction(3, 10)
    assert speech_seconds("", 160) == MIN_SPEECH_SECONDS


def test_title_and_cautions_count() -> None:
    script = session(Pause(Fraction(10), HERE), title="A title here", cautions=("Be careful now.", "Stop."))
    result = estimate_session(script)
    assert result.events == 3
    assert result.seconds == pytest.approx(float(Fraction(3 * 60, 160) * 2 + Fraction(60, 160) + 10))


def test_say_pause_chime_section() -> None:
    assert body(session(Say("one two", HERE, pause=Fraction(2)))) == estimate(Fraction(120, 160) + 2, 1)
    assert body(session(Pause(Fraction(7), HERE))) == estimate(Fraction(7), 0)
    assert body(session(Chime(3, HERE))) == estimate(3 * TONE_SECONDS, 3)
    assert body(session(Section("Part one", HERE))) == estimate(Fraction(120, 160), 1)
    assert body(session(Section("Part one", HERE, announce=False))) == estimate(Fraction(0), 0)


def test_breathe_counts_cues_per_non_zero_phase_and_the_spoken_seconds() -> None:
    pattern = BreathPattern(inhale=Fraction(4), exhale=Fraction(6), hold=Fraction(2))
    plain = body(session(Breathe(pattern, HERE, cycles=3)))
    assert plain == estimate(Fraction(36), 3 * 3)  # inhale, hold, exhale; rest is zero: no cue
    counted = body(session(Breathe(pattern, HERE, cycles=3, count=True)))
    assert counted.events == 3 * (3 + (4 - 1) + (2 - 1) + (6 - 1))
    timed = body(session(Breathe(pattern, HERE, for_seconds=Fraction(50), say="Let us breathe")))
    assert timed == estimate(Fraction(48) + Fraction(3 * 60, 160), 4 * 3 + 1)


def test_press_counts_every_cue_per_side() -> None:
    press = Press(hold=Fraction(60), position=HERE, point="GB30", side="both", cue_every=Fraction(15),
                  halfway=True, countdown=3, say="Firmly", prepare=Fraction(2), rest=Fraction(5))
    one_side_events = 1 + 1 + 1 + 3 + 1 + 3 + 1  # announce, press, say, remaining x3, halfway, countdown x3, release
    result = body(session(press))
    assert result.events == 2 * one_side_events
    announce = speech_seconds("both GB30", RATE)  # the side word and the point
    release = speech_seconds("Release", RATE)
    assert result.seconds == pytest.approx(float(2 * (announce + 2 + 60 + release + 5)))


def test_press_breathing_cycles_start_after_the_press_cue() -> None:
    pattern = BreathPattern(inhale=Fraction(4), exhale=Fraction(6))
    press = Press(hold=Fraction(25), position=HERE, breathe=pattern)
    # "Press now" lasts 0.75 s → cycles start 1 s in; 24 s left: two whole cycles (4 cues) and an inhale.
    assert body(session(press)).events == 2 + 5


def test_repeat_multiplies_and_announces_each_round() -> None:
    inner = Repeat(3, (Say("a", HERE), Chime(1, HERE)), HERE, announce=True)
    round_speech = speech_seconds("Round 3 of 3", RATE)
    expected = estimate(3 * (Fraction(60, 160) + Fraction(1, 2) + TONE_SECONDS + round_speech), 3 * 3)
    assert body(session(inner)) == expected


def test_shared_objects_are_estimated_once_and_counted_every_use() -> None:
    shared = Say("hello", HERE)
    twice = body(session(shared, shared))
    once = body(session(Say("hello", HERE)))
    assert twice == estimate(2 * once.seconds, 2 * once.events)


def test_within_the_limits_no_problem() -> None:
    assert check_limits(session(Pause(Fraction(23 * 3600), HERE))) == []
    events = Breathe(BreathPattern(Fraction(1, 1000), Fraction(1, 1000)), HERE, cycles=(MAX_EVENTS - 1) // 2)
    assert check_limits(session(events)) == []


def test_over_a_limit_at_the_top_level() -> None:
    problems = check_limits(session(Pause(Fraction(23 * 3600), HERE), Pause(Fraction(3600), HERE)))
    assert [problem.message for problem in problems] == [
        "the session would last about 24 h 0 min 1 s; a session may last at most 24 h"  # not "24.0 h"
    ]
    events = Breathe(BreathPattern(Fraction(1, 1000), Fraction(1, 1000)), HERE, cycles=MAX_EVENTS // 2)
    (problem,) = check_limits(session(events))  # 100,000 cues and the title
    assert problem.position == HERE
    assert "100,001 events" in problem.message


def test_the_innermost_offending_repeat_is_blamed() -> None:
    inner_place = Position("test.yaml", 5, 5)
    inner = Repeat(2000, (Chime(100, HERE),), inner_place)
    outer = Repeat(10, (inner,), Position("test.yaml", 3, 3))
    problems = check_limits(session(outer))
    assert {problem.position for problem in problems} == {inner_place}
    assert len(problems) == 2  # too long and too many events, each once


def nested_aliases(depth: int, fan_out: int) -> str:
    """``depth`` nested repeats of 10, each holding ``fan_out`` aliases of the repeat below."""
    lines = ["voiceguide: 1", "title: Laughs", "x-l0: &l0 Ha."]
    for level in range(1, depth + 1):
        items = ", ".join([f"*l{level - 1}"] * fan_out)
        lines.append(f"x-l{level}: &l{level} {{repeat: 10, steps: [{items}]}}")
    lines += [f"steps: [*l{depth}]"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("depth", "fan_out"), [(10, 1), (10, 10), (60, 10)])
def test_nested_aliased_repeats_are_refused_at_once_with_bounded_memory(depth: int, fan_out: int) -> None:
    text = nested_aliases(depth, fan_out)  # (10 · fan_out)^depth steps if expanded: 10^10 up to 10^120
    tracemalloc.start()
    result = parse_script(text, "laughs.yaml")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.script is None
    messages = [d.message for d in result.diagnostics]
    assert messages and all(message.startswith("this repeat would") for message in messages)
    # A generous bound (the real figure is ~200 kB); expansion would need terabytes.  How fast it is
    # refused is measured by benchmarks/bench_check.py.
    assert peak < 20_000_000


def test_the_shared_model_stays_small() -> None:
    result = parse_script(nested_aliases(2, 10).replace("Ha.", "{pause: 1ms}"), "laughs.yaml")
    assert result.script is not None
    seen: set[int] = set()

    def walk(steps: tuple[Step, ...]) -> None:
        for step in steps:
            if id(step) not in seen:
                seen.add(id(step))
                if isinstance(step, Repeat):
                    walk(step.steps)

    walk(result.script.steps)
    assert len(seen) == 3  # one object per written step, though 10^4 steps are played


@pytest.mark.parametrize("path", sorted((REPO / "tests" / "data" / "valid").glob("*.yaml"))
                         + sorted((REPO / "scripts").glob("*.yaml")), ids=lambda path: path.stem)
def test_the_estimated_event_count_is_the_compilers_for_every_example_and_shipped_session(path: Path) -> None:
    script = load_script(path)
    timeline = compile_timeline(script, estimated_measure(script.voice.rate, SAMPLE_RATE))
    assert estimate_session(script).events == len(timeline.events) + len(timeline.dropped)
