"""Does a render say what the script says?  Each English session rendered, then heard by Whisper.

For each session: ``voiceguide plan --json`` (what should be said, with the
spoken form where ``pronounce`` changes it) and ``voiceguide render -o
FILE.wav`` (what is said), in child processes; every speech event's stretch of
the WAV is transcribed by the ``listen`` extra's model (Whisper tiny.en,
offline, the one voice commands use) and compared word by word with the text.
Prints the word error rate per session and per kind of cue, and the worst
utterances, so a listener's problems (a point's name heard as noise) show.

Whisper tiny.en hears English only: sessions in other languages are not
measured here.

Usage: python benchmarks/bench_transcripts.py [SESSION ...] [--engine NAME] [--worst N]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

DEFAULT_SESSIONS = ("sciatica", "quick-relief", "breathing", "lower-back", "neck-shoulders", "sleep")
WHISPER_RATE = 16000


def normal_words(text: str) -> list[str]:
    """Lower-case words, digits spelt out, punctuation gone: what both sides are compared as."""
    from num2words import num2words

    text = re.sub(r"\d+", lambda match: f" {num2words(int(match.group()))} ", text.lower())
    return re.findall(r"[a-z']+", text.replace("-", " "))


def edit_distance(reference: list[str], heard: list[str]) -> int:
    """Word-level Levenshtein distance (substitutions, insertions, deletions)."""
    row = list(range(len(heard) + 1))
    for i, word in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(heard, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
    return row[-1]


def voiceguide(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], capture_output=True, text=True, check=True)


def measure(name: str, engine: str, model: object, work: Path) -> list[tuple[str, str, str, int, int]]:
    """(cue, reference, heard, errors, reference words) for every speech event of one session."""
    plan = json.loads(voiceguide("plan", name, "--json", "--engine", engine).stdout)
    wav = work / f"{name}.wav"
    voiceguide("render", name, "-o", str(wav), "--engine", engine)
    audio, rate = soundfile.read(wav, dtype="float32", always_2d=True)
    mono = audio.mean(axis=1)
    import soxr

    results = []
    for event in plan["events"]:
        if event["kind"] != "speech":
            continue
        start = int(event["t"] * rate)
        stretch = mono[start:start + int((event["duration"] + 0.2) * rate)]
        samples = soxr.resample(stretch, rate, WHISPER_RATE).astype(np.float32)
        segments, _ = model.transcribe(  # type: ignore[attr-defined]
            samples, language="en", beam_size=5, condition_on_previous_text=False, without_timestamps=True,
            vad_filter=False)
        heard = " ".join(segment.text for segment in segments).strip()
        reference = event.get("spoken") or event["text"]
        expected = normal_words(reference)
        results.append((event["cue"], reference, heard, edit_distance(expected, normal_words(heard)), len(expected)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sessions", nargs="*", default=list(DEFAULT_SESSIONS))
    parser.add_argument("--engine", default="pyttsx3")
    parser.add_argument("--worst", type=int, default=5, help="utterances to show per session (default 5)")
    options = parser.parse_args()
    from faster_whisper import WhisperModel

    from voiceguide.play.listen import model_directory

    model = WhisperModel(str(model_directory()), device="cpu", compute_type="int8", cpu_threads=2)
    print(f"engine {options.engine}; Whisper tiny.en, beam 5; WER = word errors / reference words")
    print(f"{'session':<16}{'utterances':>11}{'words':>8}{'errors':>8}{'WER':>8}")
    by_cue: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    worst: list[tuple[float, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="voiceguide-bench-transcripts-") as scratch:
        for name in options.sessions:
            results = measure(name, options.engine, model, Path(scratch))
            errors = sum(result[3] for result in results)
            words = sum(result[4] for result in results)
            print(f"{name:<16}{len(results):>11}{words:>8}{errors:>8}{errors / max(words, 1):>8.1%}")
            for cue, _reference, _heard, wrong, count in results:
                by_cue[cue][0] += wrong
                by_cue[cue][1] += count
            ranked = sorted(results, key=lambda result: result[3] / max(result[4], 1), reverse=True)
            worst += [(result[3] / max(result[4], 1), name, result[1], result[2]) for result in ranked[:options.worst]]
    print("\nby cue:")
    for cue, (wrong, count) in sorted(by_cue.items()):
        print(f"  {cue:<10}{count:>7} words{wrong / max(count, 1):>8.1%}")
    print("\nworst utterances (rate, session: said -> heard):")
    for rate, name, reference, heard in sorted(worst, reverse=True)[:options.worst * 2]:
        print(f"  {rate:6.0%} {name}: {reference!r} -> {heard!r}")


if __name__ == "__main__":
    main()
