"""A cold render of the German sciatica session against the English one, in one run.

Each render runs as ``python -m voiceguide render SESSION -o FILE.wav`` in a
child process with an empty speech cache of its own (cold: every clip is
synthesized), then once more with that cache filled (warm).  The two languages
alternate, ``--repeats`` times, so that a busy machine slows both alike; the
table shows the median of each, the multiple of real time, and German over
English.  What differs between them: the German voice, its longer words and
the German phrasebook's cues (numbers from num2words).

Usage: python benchmarks/bench_languages.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_render import Run, render  # noqa: E402

SESSIONS = ("sciatica", "sciatica-de")


def texts_and_characters(name: str) -> tuple[int, int]:
    """Distinct utterances of a session (what a cold render synthesizes) and their characters."""
    from voiceguide.script.parse import load_script
    from voiceguide.script.shipped import resolve_script
    from voiceguide.timeline.compiler import utterances

    texts = utterances(load_script(resolve_script(name)))
    return len(texts), sum(len(text) for text in texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="cold and warm renders per session (default 3)")
    options = parser.parse_args()
    cold: dict[str, list[Run]] = {name: [] for name in SESSIONS}
    warm: dict[str, list[Run]] = {name: [] for name in SESSIONS}
    with tempfile.TemporaryDirectory(prefix="voiceguide-bench-languages-") as scratch:
        work = Path(scratch)
        for repeat in range(options.repeats):
            for name in SESSIONS:
                cache = work / f"cache-{name}-{repeat}"  # empty: a cold render
                output = work / f"{name}.wav"
                cold[name].append(render(Path(name), output, cache))
                warm[name].append(render(Path(name), output, cache))
    print(f"cold and warm renders to WAV, median of {options.repeats}, languages alternating:")
    print(f"{'session':<14}{'texts':>7}{'chars':>8}{'audio':>9}{'cold s':>9}{'x real':>8}{'warm s':>9}{'x real':>8}")
    medians: dict[str, tuple[float, float]] = {}
    for name in SESSIONS:
        count, characters = texts_and_characters(name)
        audio = cold[name][0].audio_seconds
        cold_s = statistics.median(run.wall_seconds for run in cold[name])
        warm_s = statistics.median(run.wall_seconds for run in warm[name])
        medians[name] = (cold_s, warm_s)
        print(f"{name:<14}{count:>7}{characters:>8}{audio / 60:>7.1f} m{cold_s:>9.2f}{audio / cold_s:>7.0f}x"
              f"{warm_s:>9.2f}{audio / warm_s:>7.0f}x")
    (en_cold, en_warm), (de_cold, de_warm) = medians["sciatica"], medians["sciatica-de"]
    print(f"German / English: cold {de_cold / en_cold:.2f}x, warm {de_warm / en_warm:.2f}x")


if __name__ == "__main__":
    main()
