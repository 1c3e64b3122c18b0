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


def test_a_spoken_form_of_a_number_word_the_phrasebook_says_is_no_unused_key(tmp_path: Path) -> None:
    """Spoken forms: "a key that never occurs is a warning" - and one that occurs, in a filled phrase, is not."""
    script = _script(tmp_path, "voiceguide: 1\ntitle: T\npronounce: {Twenty: Two-zero, Nowhere: x}\n"
                               "steps:\n  - press: {hold: 30, cue_every: 10}\n")
    assert "'Twenty seconds left.'" in repr([e["text"] for e in _plan(script)["events"]])
    result = run_cli("check", str(script))
    assert result.exit_status == 0
    assert [line.split(": warning: ")[1][:30] for line in result.stderr_lines if ": warning: " in line] == [
        "pronounce: 'Nowhere' occurs in"]
