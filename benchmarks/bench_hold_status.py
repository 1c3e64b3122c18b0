"""The status asked during a hold: how long the answer is, and how much later the release comes.

Plays a 30-second hold through a private PulseAudio null sink (as the live
tests do), presses ``s`` 2 s into the hold (in its silence) and again 0.5 s
before its "20 seconds left" cue (the answer runs into the cue), and measures
from the recording of the sink's monitor: the length of each spoken answer,
the hold as heard (from "Press now." to "Release.") and how late the release
comes against its planned instant.

With ``--before DIR`` (a tree of an older voiceguide, e.g. ``git archive main``
unpacked there) the same play runs with that code too, side by side in one
run, so the figures compare under the same load.

Usage: ``python benchmarks/bench_hold_status.py [--before DIR]``.
Needs pulseaudio, parecord and the speech engine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.onsets import detect_onsets  # noqa: E402
from tests.pulse import PulseServer, start_pulse  # noqa: E402
from tests.terminal import Terminal  # noqa: E402
from tests.test_live import _clips, _find_clip  # noqa: E402

RATE = 22050
HOLD_SECONDS = 30
SESSION = f"""\
voiceguide: 1
title: Hold status benchmark
steps:
  - press: {{point: LI4, side: left, hold: {HOLD_SECONDS}s, prepare: 1s, cue_every: 10s, countdown: 3, rest: 1s}}
  - say: Well done.
"""
KEYS_AFTER_PRESS = (2.0, 9.5)
"""Seconds after "Press now." is shown when ``s`` is pressed (the second: 0.5 s before a time-left cue)."""


def voiceguide(*args: str, tree: Path = ROOT) -> list[str]:
    """The command running voiceguide from ``tree`` (an editable install's import hook set aside)."""
    code = ("import runpy, sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f)]; "
            f"sys.path.insert(0, {str(tree)!r}); sys.argv[0] = 'voiceguide'; "
            "runpy.run_module('voiceguide', run_name='__main__')")
    return [sys.executable, "-c", code, *args]


def _answers(text: str) -> list[str]:
    """The feedback lines of a ``--plain`` screen (cue lines start with their time)."""
    lines = [line.strip() for line in text.replace("\r", "\n").splitlines() if line.strip()]
    return [line for line in lines[1:] if not line[:1].isdigit() and not line.startswith("voiceguide")]


def play_once(pulse: PulseServer, env: dict[str, str], script: Path, recording: Path, tree: Path) -> list[str]:
    """Play the session with the code in ``tree``, pressing ``s`` in the hold; returns the answers shown."""
    with pulse.record(recording):
        term = Terminal(voiceguide("play", str(script), "--plain", tree=tree), env)
        try:
            seen = term.wait_for("Press now.", timeout=120)
            for after in KEYS_AFTER_PRESS:
                time.sleep(max(0.0, seen + after - time.monotonic()))
                before = len(_answers(term.text))
                term.press(b"s")
                deadline = time.monotonic() + 10
                while len(_answers(term.text)) <= before and time.monotonic() < deadline:
                    time.sleep(0.01)
            term.wait_for("Well done.", timeout=120)
            status = term.finish()
        finally:
            term.close()
        time.sleep(1.5)  # the monitor's last buffers reach parecord late
    if status != 0:
        raise SystemExit(f"play failed:\n{term.text}")
    return _answers(term.text)


def measure(pulse: PulseServer, env: dict[str, str], script: Path, work: Path, tree: Path,
            planned: dict[str, float]) -> dict[str, object]:
    recording = work / f"{tree.name}.wav"
    answers = play_once(pulse, env, script, recording, tree)
    clips = _clips(env, [*answers, "Press now.", "Release."], work)
    samples = pulse.read(recording)
    first = detect_onsets(samples, RATE)[0] / RATE
    offset = first - planned["first"]
    press_at, _ = _find_clip(samples, clips["Press now."], offset + planned["press"] - 0.3,
                             offset + planned["press"] + 0.3)
    release_at, score = _find_clip(samples, clips["Release."], offset + planned["release"] - 0.3,
                                   offset + planned["release"] + 45)
    return {"answers": [(a, len(clips[a]) / RATE) for a in answers],
            "hold": release_at - press_at, "late": release_at - (offset + planned["release"]), "score": score}


def planned_instants(env: dict[str, str], script: Path, work: Path) -> dict[str, float]:
    """Where the render has the first sound, "Press now." and "Release." (the detector's view)."""
    done = subprocess.run(voiceguide("plan", str(script), "--json"), env=env, capture_output=True, text=True,
                          timeout=300, check=True)
    events = json.loads(done.stdout)["events"]
    out = work / "render.wav"
    subprocess.run(voiceguide("render", str(script), "-o", str(out)), env=env, capture_output=True,
                   timeout=300, check=True)
    samples, rate = soundfile.read(str(out), dtype="float64")
    onsets = [float(o) / rate for o in detect_onsets(samples, rate)]

    def onset(text: str) -> float:
        t = next(e["t"] for e in events if e["text"] == text)
        return float(min(onsets, key=lambda o: abs(o - t)))
    return {"first": onsets[0], "press": onset("Press now."), "release": onset("Release.")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a tree of older voiceguide code to measure beside this one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-hold-") as tmp:
        work = Path(tmp)
        os.chdir(work)  # ``python -m voiceguide`` takes the code from PYTHONPATH, not from the current folder
        script = work / "hold.yaml"
        script.write_text(SESSION)
        with start_pulse(work / "pulse") as pulse:
            base = dict(pulse.env, VOICEGUIDE_CACHE_DIR=str(work / "cache"), PYTHONUNBUFFERED="1")
            trees = [("after (this tree)", ROOT)]
            if args.before is not None:
                trees.insert(0, ("before", args.before.resolve()))
            planned = planned_instants(base, script, work)
            print(f"{HOLD_SECONDS} s hold, s pressed {KEYS_AFTER_PRESS[0]:g} s after 'Press now.' and again "
                  f"{KEYS_AFTER_PRESS[1]:g} s after it (0.5 s before the '20 seconds left' cue); load: "
                  f"{os.getloadavg()[0]:.1f}")
            for name, tree in trees:
                result = measure(pulse, base, script, work, tree, planned)
                print(f"  {name}:")
                for text, seconds in result["answers"]:  # type: ignore[attr-defined]
                    print(f"    answer {seconds:5.2f} s  {text!r}")
                print(f"    hold as heard {result['hold']:.2f} s (planned {HOLD_SECONDS} s); release "
                      f"{float(result['late']) * 1000:+.0f} ms from its planned instant "  # type: ignore[arg-type]
                      f"(match {float(result['score']):.2f})")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
