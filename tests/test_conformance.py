"""The spec (format 1, revision 3) measured as an outside acceptance test would: through the command line.

Table-driven and lean: short scripts, ``plan --json`` and a few short renders,
each row citing the spec's section it checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from tests.cli_harness import run_cli
from tests.fakes import start_engine

pytestmark = pytest.mark.engine

RATE = 22050


@pytest.fixture(scope="module", autouse=True)
def _engine() -> None:
    start_engine().close()  # skips here (fails under CI) without the engine


def _script(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _plan(script: Path, *options: str) -> dict[str, Any]:
    result = run_cli("plan", str(script), "--json", *options)
    assert result.exit_status == 0, result.stderr
    plan: dict[str, Any] = json.loads(result.stdout)
    return plan


def _db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(samples * samples) + 1e-20))


# -- Background and stereo ------------------------------------------------------------------

SIDES = """\
voiceguide: 1
title: Sides
steps:
  - press: {point: The shoulder, side: left, hold: 12s, prepare: 1, rest: 1, say: Press gently now,
            halfway: true, cue_every: 4s, countdown: 2, breathe: {inhale: 3, exhale: 3}}
"""

PANNED = {"announce", "press", "remaining", "countdown", "release"}


def test_only_the_spec_side_cues_come_from_their_side_and_the_rest_of_the_hold_is_centred(tmp_path: Path) -> None:
    """Background and stereo: "the cues of a press's left or right side (announcement, press, time-left,
    countdown, release) come from that side [...]; everything else is centred"."""
    script = _script(tmp_path, SIDES)
    output = tmp_path / "sides.wav"
    result = run_cli("render", str(script), "-o", str(output), "--plain")
    assert result.exit_status == 0, result.stderr
    audio, rate = soundfile.read(output, dtype="float64", always_2d=True)
    assert rate == RATE and audio.shape[1] == 2
    seen = set()
    for event in _plan(script)["events"]:
        start = round(event["t"] * RATE)
        part = audio[start:start + round(event["duration"] * RATE)]
        margin = _db(part[:, 0]) - _db(part[:, 1])
        seen.add(event["cue"])
        if event["cue"] in PANNED:
            assert 6.0 < margin < 20.0, (event["cue"], event["text"], margin)
        else:
            assert abs(margin) < 0.01, (event["cue"], event["text"], margin)
    assert seen >= PANNED | {"say", "halfway", "inhale", "exhale", "title"}


def test_the_background_never_delays_a_cue(tmp_path: Path) -> None:
    """Background and stereo: "The background never delays a cue"; --background/--no-background/--mono on plan."""
    script = _script(tmp_path, SIDES.replace("title: Sides\n", "title: Sides\nbackground: {sound: rain, fade: 9s}\n"))
    plans = [_plan(script, *options) for options in ((), ("--no-background",), ("--background", "waves"), ("--mono",))]
    assert all(plan["events"] == plans[0]["events"] and plan["duration"] == plans[0]["duration"] for plan in plans)


def test_a_missing_background_file_is_an_error_at_its_place_in_check_plan_and_render(tmp_path: Path) -> None:
    """Errors: every problem in a script as FILE:LINE:COL; a missing sound file is one, found before any work."""
    script = _script(tmp_path, "voiceguide: 1\ntitle: Bed\nsteps:\n  - Hello.\n  - background: sea.ogg\n  - Bye.\n")
    expected = f"{script}:5:17: error: the background file sea.ogg does not exist"
    for command in (("check",), ("plan", "--json"), ("render", "-o", str(tmp_path / "out.wav"))):
        result = run_cli(command[0], str(script), *command[1:])
        assert result.exit_status == 2, (command, result.stderr)
        assert result.stderr_lines[0].startswith(expected), (command, result.stderr)
        assert result.stdout == "" or command[0] == "check"
    assert not (tmp_path / "out.wav").exists()
    assert run_cli("plan", str(script), "--no-background").exit_status == 0  # the file is not played then
    (tmp_path / "sea.ogg").mkdir()
    assert "sea.ogg is not a file" in run_cli("check", str(script)).stderr
    script.write_text("voiceguide: 1\ntitle: Bed\nbackground: {level: -30dB, sound: rain.wav}\nsteps: [Hi.]\n")
    assert run_cli("check", str(script)).stderr.startswith(f"{script}:3:35: error: the background file rain.wav")


@pytest.mark.parametrize(("sound", "message"), [
    ("nope", "--background 'nope' is neither a built-in sound nor an audio file"),
    ("nope.ogg", "the background file "),
])  # fmt: skip
def test_plan_refuses_a_background_option_that_render_would_refuse(tmp_path: Path, sound: str, message: str) -> None:
    """The command line: options that change the sound are accepted (and refused) by plan as by render."""
    script = _script(tmp_path, SIDES)
    for command in (("plan", "--json"), ("render", "-o", str(tmp_path / "out.wav"))):
        result = run_cli(command[0], str(script), *command[1:], "--background", sound)
        assert (result.exit_status, result.stdout) == (2, ""), (command, result.stderr)
        assert message in result.stderr, (command, result.stderr)


def test_a_spoken_form_of_a_number_word_the_phrasebook_says_is_no_unused_key(tmp_path: Path) -> None:
    """Spoken forms: "a key that never occurs is a warning" - and one that occurs, in a filled phrase, is not."""
    script = _script(tmp_path, "voiceguide: 1\ntitle: T\npronounce: {Twenty: Two-zero, Nowhere: x}\n"
                               "steps:\n  - press: {hold: 30, cue_every: 10}\n")
    assert "'Twenty seconds left.'" in repr([e["text"] for e in _plan(script)["events"]])
    result = run_cli("check", str(script))
    assert result.exit_status == 0
    assert [line.split(": warning: ")[1][:30] for line in result.stderr_lines if ": warning: " in line] == [
        "pronounce: 'Nowhere' occurs in"]


# -- Timing rules, from the plan (t and duration exact to the sample) ------------------------------

TIMING = """\
voiceguide: 1
title: Timing
steps:
  - say: Settle in.
    pause: 1.5s
  - breathe: {inhale: 3, hold: 1, exhale: "4s", rest: 0, for: "0.5m", say: Follow the voice}
  - press: {point: GB30, side: both, hold: 24s, prepare: 2, cue_every: 10s, halfway: true, countdown: 3,
            say: Press firmly, breathe: {inhale: 4, exhale: 4}, rest: "1500ms"}
  - chime: 2
"""


def _frames(seconds: float) -> int:
    return round(seconds * RATE)


@pytest.mark.parametrize("pace", [1.0, 1.5])
def test_the_spec_timing_rules_hold_in_the_plan(tmp_path: Path, pace: float) -> None:
    """Steps: say/pause, breathe (floor(for / C) cycles, each phase at T0 + k·C + ...), press (Tp, release at
    Tp + hold, time left at Tp + hold - n·cue_every, halfway at hold/2, countdown at Tp + hold - n,
    breathing from Tp + whole seconds), chime; --pace stretches the script's durations, not counts."""
    plan = _plan(_script(tmp_path, TIMING), "--pace", str(pace))
    events = plan["events"]
    at = {(e["step"], e["cue"], e["side"], n): _frames(e["t"]) for n, e in _numbered(events)}
    start = {e["cue"]: e for e in events if e["step"] == "1"}
    # say: the speech, then its pause; the breathe step starts there (its say, then 0.5 s, then the cycles).
    say_end = _frames(start["say"]["t"] + start["say"]["duration"]) + _frames(1.5 * pace)
    breathe_say = next(e for e in events if e["step"] == "2" and e["cue"] == "say")
    assert _frames(breathe_say["t"]) == say_end
    t0 = at[("2", "inhale", None, 0)]
    cycle = _frames(8 * pace)
    assert [k for k in at if k[:2] == ("2", "inhale")] == [("2", "inhale", None, n) for n in range(3)]  # 30/8 -> 3
    for k in range(3):
        assert at[("2", "inhale", None, k)] == t0 + k * cycle
        assert at[("2", "hold", None, k)] == t0 + k * cycle + _frames(3 * pace)
        assert at[("2", "exhale", None, k)] == t0 + k * cycle + _frames(4 * pace)
    assert ("2", "rest", None, 0) not in at  # a phase of zero length has no cue
    hold = _frames(24 * pace)
    for side in ("left", "right"):
        tp = at[("3", "press", side, 0)]
        assert at[("3", "release", side, 0)] == tp + hold
        remaining = sorted(t for (step, cue, s, _), t in at.items() if (step, cue, s) == ("3", "remaining", side))
        moved = {e["t"]: e.get("moved", 0.0) for e in events if e["cue"] == "remaining" and e["side"] == side}
        assert [t - _frames(moved[round(t / RATE, 6)]) for t in remaining] == pytest.approx(
            [tp + hold - _frames(20 * pace), tp + hold - _frames(10 * pace)], abs=1)
        halfway = next(e for e in events if e["cue"] == "halfway" and e["side"] == side)
        assert _frames(halfway["t"] - halfway.get("moved", 0.0)) == pytest.approx(tp + hold // 2, abs=1)
        countdown = sorted(t for (step, cue, s, _), t in at.items() if (step, cue, s) == ("3", "countdown", side))
        assert countdown == [tp + hold - n * RATE for n in (3, 2, 1)]  # real seconds, never paced
        say = next(e for e in events if e["step"] == "3" and e["cue"] == "say" and e["side"] == side)
        spoken = _frames(say["t"] + say["duration"]) - tp
        tb = tp + -(-spoken // RATE) * RATE  # the smallest whole number of seconds
        assert at[("3", "inhale", side, 0)] == tb
    right_announce = next(e for e in events if e["cue"] == "announce" and e["side"] == "right")
    left_release = next(e for e in events if e["cue"] == "release" and e["side"] == "left")
    assert _frames(right_announce["t"]) == _frames(left_release["t"] + left_release["duration"]) + _frames(1.5 * pace)
    chimes = [e for e in events if e["cue"] == "chime"]
    assert [e["kind"] for e in chimes] == ["tone", "tone"] and chimes[1]["t"] > chimes[0]["t"]
    assert plan["duration"] == pytest.approx(chimes[-1]["t"] + chimes[-1]["duration"], abs=1 / RATE)
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)


def _numbered(events: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Each event with its number among the events of its step, cue and side (the k-th inhale, ...)."""
    counts: dict[tuple[str, str, str | None], int] = {}
    numbered = []
    for event in events:
        key = (event["step"], event["cue"], event["side"])
        numbered.append((counts.get(key, 0), event))
        counts[key] = counts.get(key, 0) + 1
    return numbered


def test_a_breathing_cue_with_the_steps_own_long_words_takes_the_short_form_instead_of_being_dropped(
        tmp_path: Path) -> None:
    """Cue placement, rule 2: a breathing cue whose words would not end in time is said in its short form
    (rule 4: only a cue that fits nowhere is dropped); words of another kind keep only their own short form."""
    script = _script(tmp_path, "voiceguide: 1\ntitle: W\nsteps:\n  - breathe: {inhale: 1, hold: 0.5, exhale: 2, "
                               "rest: 0.5, cycles: 1, words: {inhale: Breathe in slowly through the nose, "
                               "hold: Hold it there for me, rest: Hold}}\n")
    result = run_cli("plan", str(script), "--json")
    assert result.exit_status == 0 and "dropped" not in result.stderr, result.stderr
    cues = {e["cue"]: e["text"] for e in json.loads(result.stdout)["events"]}
    assert (cues["inhale"], cues["hold"], cues["rest"]) == ("In.", "Hold.", "Hold.")
