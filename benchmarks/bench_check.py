"""Benchmark ``voiceguide check`` on a generated 1,000-step script, beside PyYAML composing the same file.

Run: ``.venv/bin/python benchmarks/bench_check.py [--steps N] [--runs N]``

Prints, measured side by side in one run (subprocesses: medians; in-process
figures: the best of interleaved runs, as ``timeit`` advises, since other load
on the machine only ever adds time):

- the whole ``voiceguide check FILE`` as a subprocess, start-up included
  (and a bare ``python -c pass`` for scale); target: under 0.3 s;
- PyYAML alone composing the file to nodes (libyaml's ``CSafeLoader`` where
  available), the baseline;
- our parse (``parse_script``: compose + checks + model + limits) and our
  work beyond composing (parse minus compose), as a ratio to composing (one
  parser, no quick path: no target beyond the whole-process one);
- the rest of the check path: compiling the timeline with estimated speech;
- a file of 60 nested repeats of ten aliases each (10^120 steps if expanded)
  refused by the limits, beside composing it; target: well under a second.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import yaml

from voiceguide.base import SAMPLE_RATE
from voiceguide.script.limits import estimated_measure
from voiceguide.script.parse import parse_script
from voiceguide.timeline.compiler import compile_timeline

REPO = Path(__file__).resolve().parent.parent

try:
    LOADER: type = yaml.CSafeLoader
except AttributeError:  # PyYAML without libyaml
    LOADER = yaml.SafeLoader


def generate(steps: int) -> str:
    """A realistic script of ``steps`` top-level steps, every kind represented, with anchors and merges."""
    lines = [
        "voiceguide: 1",
        "title: Benchmark session",
        "description: A generated script for timing voiceguide check.",
        "language: en",
        "voice: {rate: 160, volume: 0.9}",
        "cautions:",
        "  - Stop if anything hurts.",
        "x-breath: &breath {inhale: 4s, exhale: 6s}",
        "x-point: &point",
        "  point: GB30 (Huantiao)",
        "  where: In the hollow at the side of the buttock.",
        "  prepare: 3s",
        "steps:",
    ]
    kinds = [
        ["  - Breathe slowly and let your shoulders drop, number {i}."],
        ["  - say: Now rest for a moment, step {i}.", "    pause: 2s"],
        ["  - pause: 1m 30s"],
        ["  - chime: {{count: 2, sound: bell}}"],
        ["  - breathe:", "      <<: *breath", "      cycles: 3", "      count: true", "    label: breath {i}"],
        ["  - press:", "      <<: *point", "      side: left", "      hold: 30s", "      halfway: true",
         "      countdown: 3"],
        ["  - section: Part {i}"],
        ["  - repeat: 2", "    steps:", "      - Round step {i}.", "      - pause: 5s"],
    ]
    for i in range(steps):
        lines += [line.format(i=i) for line in kinds[i % len(kinds)]]
    return "\n".join(lines) + "\n"


def _times(run: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def median_seconds(run: Callable[[], object], runs: int) -> float:
    return statistics.median(_times(run, runs))


def best_seconds(run: Callable[[], object], runs: int) -> float:
    return min(_times(run, runs))


def compose(text: str) -> object:
    loader = LOADER(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def nested_aliases(depth: int, fan_out: int) -> str:
    """``depth`` nested repeats of 10, each holding ``fan_out`` aliases of the repeat below."""
    lines = ["voiceguide: 1", "title: Laughs", "x-l0: &l0 Ha."]
    for level in range(1, depth + 1):
        items = ", ".join([f"*l{level - 1}"] * fan_out)
        lines.append(f"x-l{level}: &l{level} {{repeat: 10, steps: [{items}]}}")
    lines += [f"steps: [*l{depth}]"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()

    text = generate(options.steps)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.yaml"
        path.write_text(text, encoding="utf-8")
        source = path.read_bytes()

        check = [sys.executable, "-m", "voiceguide", "check", str(path)]
        done = subprocess.run(check, capture_output=True, text=True, cwd=REPO)
        if done.returncode != 0:
            sys.exit(f"check failed:\n{done.stderr}")
        bare = median_seconds(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), options.runs)
        whole = median_seconds(lambda: subprocess.run(check, capture_output=True, check=True, cwd=REPO),
                               options.runs)

        # In-process figures, interleaved so that machine load affects both alike.
        compose_times, parse_times = [], []
        for _ in range(options.runs * 2):
            started = time.perf_counter()
            compose(source.decode("utf-8"))
            compose_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = parse_script(source, str(path))
            parse_times.append(time.perf_counter() - started)
        script = result.script
        assert script is not None
        composed = min(compose_times)
        parsed = min(parse_times)
        beyond = parsed - composed

        rate = script.voice.rate
        timeline_time = best_seconds(
            lambda: compile_timeline(script, estimated_measure(rate, SAMPLE_RATE)),
            options.runs)
        frames = compile_timeline(script, estimated_measure(rate, SAMPLE_RATE)).length

    laughs = nested_aliases(60, 10)
    assert parse_script(laughs, "laughs.yaml").script is None
    refused = best_seconds(lambda: parse_script(laughs, "laughs.yaml"), options.runs)
    laughs_composed = best_seconds(lambda: compose(laughs), options.runs)

    ms = 1000
    print(f"script: {options.steps} steps, {len(text.splitlines())} lines, {len(source):,} bytes; "
          f"about {float(Fraction(frames, SAMPLE_RATE)) / 60:.0f} min; loader {LOADER.__name__}")
    print(f"  (subprocesses: median of {options.runs} runs; in-process: best of {options.runs * 2} interleaved runs)")
    print(f"  python -c pass (start-up alone)   {bare * ms:8.1f} ms")
    print(f"  voiceguide check, whole process   {whole * ms:8.1f} ms   target < 300 ms: "
          f"{'ok' if whole < 0.3 else 'MISSED'}")
    print(f"  PyYAML compose alone              {composed * ms:8.1f} ms   (baseline)")
    print(f"  parse_script (compose + ours)     {parsed * ms:8.1f} ms   {parsed / composed:5.2f} x compose")
    print(f"  our work beyond composing         {beyond * ms:8.1f} ms   {beyond / composed:5.2f} x compose")
    print(f"  compile_timeline (estimated)      {timeline_time * ms:8.1f} ms   "
          f"{timeline_time / composed:5.2f} x compose")
    print(f"  10^120 nested aliased steps       {refused * ms:8.1f} ms   refused; compose alone "
          f"{laughs_composed * ms:.1f} ms; target well under 1 s: {'ok' if refused < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
