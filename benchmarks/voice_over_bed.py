"""How far the voice stands over its bed while it speaks, in every shipped session and language.

Whisper tiny.en, the recognizer the ``listen`` extra ships, hears English only, so the German, Spanish
and French sessions cannot be transcribed over their beds (``bench_transcripts.py``).  What can be
measured in any language is what a listener needs to follow a word: the voice's loudness against the
bed's over the same stretch.  Each session is mixed in-process as ``render`` mixes it (at -16 LUFS,
its own bed or ``--background``), its voice and its bed apart (``breathe_out.voice_and_bed``); for every
spoken cue, the BS.1770 loudness of the voice and of the bed under it (short cues over their own
length), and their difference in LU.

Prints per session: the language, the bed, the voice over the bed over all speech together, and per
cue the least, the 5th percentile and the median, and how many cues stand less than ``--floor`` LU
(default 15) over the bed, with the worst.

Usage: python benchmarks/voice_over_bed.py [SESSION ...] [--background SOUND] [--floor LU]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from breathe_out import voice_and_bed  # noqa: E402


def margins(name: str, background: str | None) -> tuple[float, list[tuple[float, str]]]:
    """The voice over the bed across all speech (LU), and per spoken cue (LU, text)."""
    from voiceguide.base import SAMPLE_RATE
    from voiceguide.dsp.levelling import loudness_lufs

    events, voice, bed = voice_and_bed(name, background)  # type: ignore[arg-type]
    spoken = [event for event in events if event.kind == "speech" and event.length > SAMPLE_RATE // 10]
    per_cue = [(loudness_lufs(voice[e.start:e.end]) - loudness_lufs(bed[e.start:e.end]), e.text or "")
               for e in spoken]
    whole = np.concatenate([np.arange(e.start, e.end) for e in spoken])
    return loudness_lufs(voice[whole]) - loudness_lufs(bed[whole]), per_cue


def main() -> None:
    from voiceguide.script.parse import load_script
    from voiceguide.script.shipped import resolve_script, shipped_scripts

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sessions", nargs="*", help="shipped session names (default: all)")
    parser.add_argument("--background", help="this bed instead of each session's own")
    parser.add_argument("--floor", type=float, default=15.0)
    options = parser.parse_args()
    names = options.sessions or [path.stem for path in shipped_scripts()]
    print(f"load {os.getloadavg()[0]:.1f}; voice over bed, LU (BS.1770 loudness of each apart, as rendered)")
    print("| session | language | bed | all speech | least | 5th pct | median | cues under "
          f"{options.floor:g} LU | the worst |")
    print("|---|---|---|---|---|---|---|---|---|", flush=True)
    for name in names:
        script = load_script(resolve_script(name))
        bed = options.background or (script.background.sound if script.background else "-")
        whole, per_cue = margins(name, options.background)
        values = np.array([value for value, _ in per_cue])
        worst_value, worst_text = min(per_cue)
        under = int(np.sum(values < options.floor))
        print(f"| {name} | {script.language or 'en'} | {bed} | {whole:.1f} | {values.min():.1f} | "
              f"{np.percentile(values, 5):.1f} | {np.median(values):.1f} | {under} of {len(values)} | "
              f"{worst_value:.1f}: {worst_text[:40]!r} |", flush=True)


if __name__ == "__main__":
    main()
