"""Live playback: time to first sound (warm and cold cache) and cue timing over a long live capture.

Runs ``voiceguide play`` into a private PulseAudio null sink (as the live tests
do) and measures from the recording of the sink's monitor:

1. launch -> first sound, with a warm and with a cold speech cache, beside
   the up-front way (synthesize every utterance, then start: the time
   ``voiceguide plan`` takes, plus the same stream start);
2. cue timing over a long capture (10 minutes by default): every cue's onset
   against the render's (the same samples, so the detector's bias cancels),
   mean / max absolute error and drift slope; beside the naive way, a
   "speak, then sleep for the gap" loop, simulated with the same clip lengths
   and the per-call overhead of ``sounddevice.play`` measured here.

Every version runs from bytecode compiled first, as an installed package does
(``--no-compile``: from source, each launch compiling its modules).

Usage: ``python benchmarks/bench_live.py [--minutes 10] [--runs 3] [--only-first-sound]``.
Needs pulseaudio, parecord and the speech engine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from before_after import BEFORE_COMMIT, load, pristine_copy  # noqa: E402

from tests.onsets import detect_onsets  # noqa: E402
from tests.pulse import PulseServer, start_pulse  # noqa: E402
from voiceguide.play.live import LEAD_IN_FRAMES  # noqa: E402

RATE = 22050
FIRST_SOUND_WAIT_SECONDS = 8.0
"""How long a launch may take to be heard (a cold start under a heavy load has taken over 4 s)."""


def voiceguide(*args: str) -> list[str]:
    return [sys.executable, "-m", "voiceguide", *args]


def long_session(minutes: float) -> str:
    """A session of about ``minutes`` minutes: holds with time-left cues, countdowns, breathing, chimes."""
    rounds = max(1, round(minutes * 60 / 67))  # one round lasts about 67 s
    return f"""\
voiceguide: 1
title: Timing benchmark
steps:
  - repeat: {rounds}
    announce: true
    steps:
      - press:
          point: LI4
          side: left
          hold: 30s
          prepare: 2s
          cue_every: 10s
          countdown: 3
          rest: 2s
      - breathe:
          inhale: 4s
          hold: 2s
          exhale: 6s
          cycles: 2
      - chime: 1
      - pause: 4s
"""


def _frames_recorded(path: Path) -> int:
    """How many frames parecord has written so far (16-bit mono after a 44-byte header)."""
    try:
        return max(0, (path.stat().st_size - 44) // 2)
    except FileNotFoundError:
        return 0


def first_sound_seconds(pulse: PulseServer, env: dict[str, str], script: str, work: Path, tag: str) -> float:
    """Launch ``voiceguide play`` and measure, in the recording, how long until it is heard."""
    recording = work / f"first-{tag}.wav"
    with pulse.record(recording):
        time.sleep(0.3)
        before = _frames_recorded(recording)
        # The recording's own frame count is the clock: sample ``before`` was being recorded at launch.
        # cwd: "python -m" puts the working folder first on the path, before PYTHONPATH (the checkout run).
        process = subprocess.Popen(voiceguide("play", script, "--plain"), env=env, cwd=env["PYTHONPATH"],
                                   stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(FIRST_SOUND_WAIT_SECONDS)
        process.send_signal(signal.SIGTERM)
        _, error = process.communicate(timeout=30)
        time.sleep(1.0)
    samples, rate = soundfile.read(str(recording), dtype="float64")
    onsets = detect_onsets(samples, rate)
    if not onsets:
        raise RuntimeError(f"no sound recorded for {tag} ({len(samples) / rate:.1f} s recorded, "
                           f"exit status {process.returncode}): {error.decode(errors='replace')}")
    return float((onsets[0] - before) / rate)


def compile_bytecode(root: Path, env: dict[str, str]) -> None:
    """Compile ``root``'s package to bytecode, as installing it does: a launch then reads, not compiles, it.

    Unless ``PYTHONDONTWRITEBYTECODE`` is set in ``env`` (``--no-compile``): then every launch compiles
    its ~100 modules from source (0.3-0.4 s at a load of 12), which no installed copy does.
    """
    if env.get("PYTHONDONTWRITEBYTECODE"):
        return
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "voiceguide")], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def first_sound_before_after(pulse: PulseServer, base: dict[str, str], session: str, work: Path,
                             commit: str, runs: int) -> None:
    """Launch to first sound, cold then warm, by this checkout and by a pristine copy of ``commit``, alternated."""
    before_root = pristine_copy(commit, work / "before")
    versions = [("now", ROOT), (commit, before_root)]
    for _, root in versions:
        compile_bytecode(root, base)
    compiled = "from source, as PYTHONDONTWRITEBYTECODE" if base.get("PYTHONDONTWRITEBYTECODE") else "bytecode"
    times: dict[tuple[str, str], list[float]] = {}
    print(f"before the runs: {load()}")
    for run in range(runs):
        for name, root in versions:
            env = dict(base, PYTHONPATH=str(root), VOICEGUIDE_CACHE_DIR=str(work / f"ba-{name}-{run}"))
            for cache in ("cold", "warm"):
                tag = f"ba-{name}-{cache}{run}"
                times.setdefault((name, cache), []).append(first_sound_seconds(pulse, env, session, work, tag))
    print(f"after the runs: {load()}")
    lead_in = LEAD_IN_FRAMES / RATE
    print(f"launch -> first sound, now and {commit}, alternated, median of {runs} (min-max); "
          f"lead-in silence now {lead_in:.2f} s (0.60 s at c6088a0); the package run as {compiled}:")
    for cache in ("cold", "warm"):
        for name, _ in versions:
            values = times[(name, cache)]
            print(f"  {cache + ' cache, ' + name:<50} {statistics.median(values):6.2f} s  "
                  f"({min(values):.2f}-{max(values):.2f})")
    print("  targets (issue 24): <= 1.0 s cold, <= 0.6 s warm")


def plan_seconds(env: dict[str, str], script: str) -> float:
    """Wall time of ``voiceguide plan``: synthesizes (or loads) every utterance."""
    started = time.monotonic()
    subprocess.run(voiceguide("plan", script, "--json"), env=env, capture_output=True, check=True)
    return time.monotonic() - started


def render_onsets(env: dict[str, str], script: str, work: Path) -> tuple[list[dict[str, Any]], list[float]]:
    plan = json.loads(subprocess.run(voiceguide("plan", script, "--json"), env=env, capture_output=True,
                                     text=True, check=True).stdout)
    out = work / "render.wav"
    subprocess.run(voiceguide("render", script, "-o", str(out)), env=env, capture_output=True, check=True)
    samples, rate = soundfile.read(str(out), dtype="float64")
    onsets = [o / rate for o in detect_onsets(samples, rate)]
    events = plan["events"]
    return events, [min(onsets, key=lambda o: abs(o - e["t"])) for e in events]


def live_errors(pulse: PulseServer, env: dict[str, str], script: str, work: Path,
                events: list[dict[str, Any]], rendered: list[float],
                ) -> tuple[list[float], list[float], int, list[float]]:
    """Per-cue error of the live recording against the render and the plan (first cue aligned)."""
    recording = work / "long.wav"
    with pulse.record(recording):
        subprocess.run(voiceguide("play", script, "--plain"), env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, check=True)
        time.sleep(1.5)
    samples, rate = soundfile.read(str(recording), dtype="float64")
    onsets = [o / rate for o in detect_onsets(samples, rate)]
    offset = onsets[0] - rendered[0]
    times, errors, plan_errors, lost = [], [], [], 0
    for event, at in zip(events, rendered, strict=True):
        expected = offset + at
        got = min(onsets, key=lambda o: abs(o - expected))
        if abs(got - expected) > 0.08:
            lost += 1
            continue
        times.append(event["t"])
        errors.append(got - expected)
        plan_errors.append(got - (onsets[0] + event["t"]))
    return times, errors, lost, plan_errors


def sounddevice_call_overhead(env: dict[str, str], clips: int = 4) -> float:
    """Seconds ``sounddevice.play(..., blocking=True)`` takes beyond the clip's own length."""
    code = (
        "import time, numpy as np, sounddevice as sd\n"
        f"clip = np.zeros({RATE // 2}, np.float32); clip[:2000] = 0.1\n"
        "extra = []\n"
        f"for _ in range({clips}):\n"
        "    t = time.monotonic(); sd.play(clip, 22050, blocking=True); extra.append(time.monotonic() - t - 0.5)\n"
        "print(sum(extra) / len(extra))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def naive_errors(events: list[dict[str, Any]], overhead: float) -> list[float]:
    """A speak-then-sleep-for-the-gap loop: each cue is late by all earlier speech plus call overheads."""
    late = 0.0
    errors = []
    for event in events:
        errors.append(late)
        late += event["duration"] + overhead
    return errors


def summarize(times: list[float], errors: list[float]) -> tuple[float, float, float]:
    absolute = [abs(e) for e in errors]
    slope = float(np.polyfit(times, errors, 1)[0]) if len(times) > 2 else 0.0
    return statistics.mean(absolute), max(absolute), slope


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the timing capture")
    parser.add_argument("--runs", type=int, default=3, help="launches per first-sound figure")
    parser.add_argument("--session", default="sciatica", help="session for the first-sound figures")
    parser.add_argument("--before", default=BEFORE_COMMIT, help="the commit to compare with (default %(default)s)")
    parser.add_argument("--only-first-sound", action="store_true", help="skip the long timing capture")
    parser.add_argument("--no-compile", action="store_true",
                        help="run both versions from source, without bytecode (as these figures were once measured)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        work = Path(tmp)
        with start_pulse(work / "pulse") as pulse:
            base = dict(pulse.env)
            base["PYTHONPATH"] = str(ROOT)
            if args.no_compile:  # and no bytecode left from an earlier run: Python would still read it
                base["PYTHONDONTWRITEBYTECODE"] = "1"
                for cached in (ROOT / "voiceguide").rglob("__pycache__"):
                    shutil.rmtree(cached)
            else:
                base.pop("PYTHONDONTWRITEBYTECODE", None)
                compile_bytecode(ROOT, base)
            if args.only_first_sound:
                first_sound_before_after(pulse, base, args.session, work, args.before, args.runs)
                return 0
            cold_times, warm_times, upfront_times = [], [], []
            for run in range(args.runs):
                env = dict(base, VOICEGUIDE_CACHE_DIR=str(work / f"cache-{run}"))
                cold_times.append(first_sound_seconds(pulse, env, args.session, work, f"cold{run}"))
                warm_times.append(first_sound_seconds(pulse, env, args.session, work, f"warm{run}"))
                # Synthesizing everything first costs what a cold plan costs over a warm one,
                # on top of a warm start.
                upfront_env = dict(base, VOICEGUIDE_CACHE_DIR=str(work / f"upfront-{run}"))
                cold_plan, warm_plan = (plan_seconds(upfront_env, args.session) for _ in range(2))
                upfront_times.append(warm_times[-1] + cold_plan - warm_plan)
            print(f"launch -> first sound, '{args.session}', median of {args.runs} (min-max):")
            for name, values in (("warm cache (lazy compile)", warm_times),
                                 ("cold cache (lazy compile, background synthesis)", cold_times)):
                print(f"  {name:<50} {statistics.median(values):6.2f} s  "
                      f"({min(values):.2f}-{max(values):.2f})")
            upfront = upfront_times
            print(f"  {'cold cache, synthesize everything first (warm + synthesis)':<50} "
                  f"{statistics.median(upfront):6.2f} s  ({min(upfront):.2f}-{max(upfront):.2f})")
            ratio = statistics.median(upfront) / statistics.median(cold_times)
            print(f"  ratio cold up-front / cold lazy: {ratio:.1f}x")
            first_sound_before_after(pulse, base, args.session, work, args.before, args.runs)

            script = work / "long.yaml"
            script.write_text(long_session(args.minutes))
            env = dict(base, VOICEGUIDE_CACHE_DIR=str(work / "cache-0"))
            events, rendered = render_onsets(env, str(script), work)
            minutes = events[-1]["t"] / 60
            times, errors, lost, plan_errors = live_errors(pulse, env, str(script), work, events, rendered)
            mean, worst, slope = summarize(times, errors)
            p_mean, p_worst, _ = summarize(times, plan_errors)
            overhead = sounddevice_call_overhead(env)
            naive = naive_errors(events, overhead)
            n_mean, n_worst, n_slope = summarize([e["t"] for e in events], naive)
            ideal = naive_errors(events, 0.0)
            i_mean, i_worst, _ = summarize([e["t"] for e in events], ideal)
            print(f"\ncue timing over a {minutes:.1f}-minute live capture, {len(events)} cues "
                  f"({lost} not found):")
            print(f"  {'':<50} {'mean |err|':>12} {'max |err|':>12} {'drift':>14}")
            print(f"  {'voiceguide play vs render (same detector)':<50} {mean * 1000:10.3f}ms "
                  f"{worst * 1000:10.3f}ms {slope * 1000 * 60:10.4f}ms/min")
            print(f"  {'voiceguide play vs plan t (detector bias incl.)':<50} {p_mean * 1000:10.3f}ms "
                  f"{p_worst * 1000:10.3f}ms")
            print(f"  {'speak-then-sleep loop, perfect audio':<50} {i_mean:11.2f}s {i_worst:11.2f}s")
            print(f"  {f'speak-then-sleep, sd.play per cue (+{overhead * 1000:.0f} ms/call)':<50} "
                  f"{n_mean:11.2f}s {n_worst:11.2f}s {n_slope * 60:11.2f}s/min")
            sample = 1 / RATE
            if mean >= sample / 2:
                print(f"  ratio of mean errors, naive (sd.play) / voiceguide: {n_mean / mean:,.0f}x")
            else:
                print(f"  voiceguide's mean error is under one sample ({sample * 1e6:.0f} us); "
                      f"the naive loop's is {n_mean:.1f} s")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
