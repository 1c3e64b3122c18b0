"""Peak memory of warm renders per format, 1 h against 2 h, with and without a bed; before and after, side by side.

Each render is ``python -m voiceguide render`` in a child process (peak RSS and CPU from ``wait4``), from
bench_render's generated session (``fitted_session``: 1 h, and twice its rounds for 2 h).  Each tree has
a speech cache of its own, warmed (speech, and the mix's level with a bed) by a WAV render of the same
script and bed first, so every figure is a warm render.  With ``--before REV`` that commit runs from a
pristine copy, alternated with this checkout render by render.

Target (issue 21): every format under 100 MB at 2 h, and flat (2 h about as much as 1 h).

Usage: python benchmarks/render_memory.py [--before REV] [--formats wav,flac,ogg,mp3,opus] [--hours 1,2]
       [--beds rain,none]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from before_after import byte_compiled, load, pristine_copy  # noqa: E402
from bench_render import fitted_session, session_yaml  # noqa: E402

TARGET_RSS_MB = 100


def render(root: Path, cache: Path, script: Path, output: Path, bed: str) -> tuple[float, float, float]:
    """One render by ``root``'s voiceguide: (peak RSS MB, CPU seconds, wall seconds)."""
    option = "--no-background" if bed == "none" else f"--background={bed}"
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(cache), PYTHONPATH=str(root))
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "voiceguide", "render", str(script), "-o", str(output), option],
                               env=env, cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{root}: render {script.name} -o {output.name} {option} failed: {error}")
    if process.stderr:
        process.stderr.close()
    return usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="a commit to measure alongside, from a pristine copy")
    parser.add_argument("--formats", default="wav,flac,ogg,mp3,opus")
    parser.add_argument("--hours", default="1,2")
    parser.add_argument("--beds", default="rain,none", help="backgrounds: a sound's name, or none")
    options = parser.parse_args()
    rounds, hour_text = fitted_session(3600)
    print(f"{load()}; {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="render-memory-") as scratch:
        work = Path(scratch)
        scripts = {1: work / "1h.yaml", 2: work / "2h.yaml"}
        scripts[1].write_text(hour_text, encoding="utf-8")
        scripts[2].write_text(session_yaml(2 * rounds), encoding="utf-8")
        trees = [("now", byte_compiled(ROOT))]
        if options.before:
            trees.insert(0, (options.before, byte_compiled(pristine_copy(options.before, work / "before"))))
        print("| bed | length | format | " + " | ".join(f"{name}: peak RSS, CPU" for name, _ in trees) + " |")
        print("|---|---|---|" + "---|" * len(trees), flush=True)
        for bed in options.beds.split(","):
            for hours in (int(value) for value in options.hours.split(",")):
                for name, root in trees:  # speech and the mix's level, into each tree's cache
                    render(root, work / f"cache-{name}", scripts[hours], work / "warm.wav", bed)
                for extension in options.formats.split(","):
                    cells = []
                    for name, root in trees:
                        rss, cpu, _ = render(root, work / f"cache-{name}", scripts[hours],
                                             work / f"out.{extension}", bed)
                        flag = "" if rss < TARGET_RSS_MB else " (over)"
                        cells.append(f"{rss:.1f} MB{flag}, {cpu:.1f} s")
                    print(f"| {bed} | {hours} h | .{extension} | " + " | ".join(cells) + " |", flush=True)
    print(f"{load()}; target: under {TARGET_RSS_MB} MB at 2 h, and flat", flush=True)


if __name__ == "__main__":
    main()
