"""The cost of a bed, side by side in one run: renders and live playback with and without one.

1. A warm 1-hour render (bench_render's session) to WAV with ``--no-background``
   and with ``--background rain``, alternated, best of ``--runs``: wall time and
   CPU time (user + system: on a loaded machine the wall time counts the waits
   for a core) as multiples of real time, and peak RSS; then the 2-hour session with a bed
   (flat memory: the bed is made block by block).
2. Live playback of a ``--seconds`` session into a private PulseAudio null sink
   with and without a bed: the player's CPU time (user + system, ``wait4``)
   per second of playback, as a share of one core.
3. A paused live session (space typed into a pseudo-terminal), with and without
   a bed: while paused the bed goes on, quietly, so a pause costs what playing
   does; the player's CPU (``/proc``) over ``--pause-seconds`` of the pause.

Targets (issue 21): >= 2,000x real time with a bed; peak RSS under 100 MB at
2 h; live CPU with a bed at most 5 % of a core more than without.

Usage: python benchmarks/bench_soundscape.py [--runs 3] [--seconds 60] [--pause-seconds 20]
       [--skip-live | --only-live]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_render import fitted_session, session_yaml  # noqa: E402
from tests.pulse import start_pulse  # noqa: E402

TARGET_SPEED = 2000
TARGET_RSS_MB = 100
TARGET_CPU_POINTS = 5.0


def child(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run ``python -m voiceguide ARGS``: wall seconds, CPU seconds (user + system), peak RSS bytes."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "voiceguide", *args], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"voiceguide {' '.join(args)} failed: {error}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def renders(work: Path, runs: int) -> None:
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(work / "cache"), PYTHONPATH=str(ROOT))
    _, text = fitted_session(3600)
    script = work / "hour.yaml"
    script.write_text(text, encoding="utf-8")
    out = work / "hour.wav"
    print("warming the speech cache (a render of each kind) ...", flush=True)
    for option in ("--no-background", "--background=rain"):
        child(["render", str(script), "-o", str(out), option], env)
    best: dict[str, tuple[float, float, int]] = {}  # the least wall time, the least CPU time, the most RSS
    for _ in range(runs):
        for name, option in (("without a bed", "--no-background"), ("with a bed (rain)", "--background=rain")):
            wall, cpu, rss = child(["render", str(script), "-o", str(out), option], env)
            was = best.get(name, (wall, cpu, rss))
            best[name] = (min(wall, was[0]), min(cpu, was[1]), max(rss, was[2]))
    seconds = soundfile.info(str(out)).duration
    # On a shared machine the wall time counts the waits for a core; the CPU time (user + system) is the work.
    print(f"warm render of a {seconds / 60:.0f}-min session to WAV, best of {runs} (alternated):")
    for name, (wall, cpu, rss) in best.items():
        print(f"  {name:<20} {wall:6.2f} s = {seconds / wall:7,.0f} x real time (CPU {cpu:5.2f} s = "
              f"{seconds / cpu:7,.0f} x), peak RSS {rss / 2**20:5.1f} MB")
    ratio = best["with a bed (rain)"][0] / best["without a bed"][0]
    cpu_ratio = best["with a bed (rain)"][1] / best["without a bed"][1]
    speed = seconds / best["with a bed (rain)"][0]
    cpu_speed = seconds / best["with a bed (rain)"][1]
    print(f"  with / without: {ratio:.2f}x the time, {cpu_ratio:.2f}x the CPU; target >= {TARGET_SPEED:,}x with a "
          f"bed: {'met' if speed >= TARGET_SPEED else 'NOT met'} by the clock, "
          f"{'met' if cpu_speed >= TARGET_SPEED else 'NOT met'} by CPU time")
    rounds, _ = fitted_session(3600)
    long_script = work / "two-hours.yaml"
    long_script.write_text(session_yaml(2 * rounds), encoding="utf-8")
    for option in ("--no-background", "--background=rain"):
        child(["render", str(long_script), "-o", str(work / "two.wav"), option], env)  # warm
        _, _, rss = child(["render", str(long_script), "-o", str(work / "two.wav"), option], env)
        length = soundfile.info(str(work / "two.wav")).duration / 3600
        print(f"  {length:.1f}-h render {option:<18} peak RSS {rss / 2**20:5.1f} MB (target < {TARGET_RSS_MB} MB)")


LIVE_SESSION = """\
voiceguide: 1
title: Live cost
steps:
  - say: A calm minute, with a few words now and then.
  - repeat: {rounds}
    steps:
      - pause: 8
      - say: Breathe in slowly, and let it go.
"""


def live(work: Path, seconds: float) -> None:
    script = work / "live.yaml"
    script.write_text(LIVE_SESSION.format(rounds=max(1, round(seconds / 11))), encoding="utf-8")
    with start_pulse(work / "pulse") as pulse:
        env = dict(pulse.env, VOICEGUIDE_CACHE_DIR=str(work / "cache"), PYTHONPATH=str(ROOT))
        child(["plan", str(script)], env)  # the speech, synthesized once
        results: dict[str, list[float]] = {}
        for name, option in (("without a bed", "--no-background"), ("with a bed (rain)", "--background=rain"),
                             ("without a bed ", "--no-background"), ("with a bed (rain) ", "--background=rain")):
            wall, cpu, _ = child(["play", str(script), "--plain", "--no-log", option], env)
            results.setdefault(name.strip(), []).append(100 * cpu / wall)
    print_cpu_shares(f"live playback of a {seconds:.0f}-s session into a null sink", results, "a bed costs")


def print_cpu_shares(title: str, results: dict[str, list[float]], cost: str) -> None:
    """Each run's CPU share without and with a bed, and what the bed costs against the target."""
    print(f"{title}, CPU as % of one core (two runs each):")
    for name, values in results.items():
        print(f"  {name:<20} {min(values):5.1f} %  ({', '.join(f'{v:.1f}' for v in values)})")
    extra = min(results["with a bed (rain)"]) - min(results["without a bed"])
    print(f"  {cost} {extra:+.1f} points of a core (target <= {TARGET_CPU_POINTS:g}): "
          f"{'met' if extra <= TARGET_CPU_POINTS else 'NOT met'}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def paused(work: Path, seconds: float) -> None:
    from tests.terminal import Terminal

    script = work / "live.yaml"
    with start_pulse(work / "pulse-paused") as pulse:
        env = dict(pulse.env, VOICEGUIDE_CACHE_DIR=str(work / "cache"), PYTHONPATH=str(ROOT))
        results: dict[str, list[float]] = {}
        for name, option in (("without a bed", "--no-background"), ("with a bed (rain)", "--background=rain"),
                             ("without a bed ", "--no-background"), ("with a bed (rain) ", "--background=rain")):
            term = Terminal([sys.executable, "-m", "voiceguide", "play", str(script), "--plain", "--no-log", option],
                            env)
            try:
                term.wait_for("A calm minute")
                term.press(b" ")
                term.wait_for("Paused.")
                time.sleep(2.0)  # past the answer and the bed's fade
                start_cpu, start = _cpu_seconds(term.process.pid), time.perf_counter()
                time.sleep(seconds)
                cpu, wall = _cpu_seconds(term.process.pid) - start_cpu, time.perf_counter() - start
                term.press(b"q")
                term.finish(timeout=30)
            finally:
                term.close()
            results.setdefault(name.strip(), []).append(100 * cpu / wall)
    print_cpu_shares(f"a paused live session ({seconds:.0f} s of the pause)", results, "the bed under a pause costs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pause-seconds", type=float, default=20.0)
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--skip-live", action="store_true")
    chosen.add_argument("--only-live", action="store_true", help="only the live plays (no 1-h renders)")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-soundscape-") as tmp:
        work = Path(tmp)
        if not args.only_live:
            renders(work, args.runs)
        if not args.skip_live:
            live(work, args.seconds)
            paused(work, args.pause_seconds)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())
