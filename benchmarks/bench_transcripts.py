"""Does a render say what the script says?  Each English session rendered, then heard by Whisper.

For each session: ``voiceguide plan --json`` (what should be said, with the
spoken form where ``pronounce`` changes it) and ``voiceguide render -o
FILE.wav`` (what is said), in child processes; every speech event's stretch of
the WAV (up to the next event, with half a second of silence around it) is
transcribed by the ``listen`` extra's model (Whisper tiny.en, offline, the one
voice commands use) and compared word by word with the text.

Prints the word error rate per session, twice: over every utterance, and over
the utterances of two words or more.  Whisper tiny.en, given a clip of one
short word ("One.", "In."), often hears something else or invents a phrase
("Thank you."): that says more about the model than about the voice, so the
one-word cues are counted apart, and what Whisper made of them is listed.
Then the rate per kind of cue and the worst utterances of two words or more,
so a listener's problems (a point's name heard as noise) show.  A point's
Chinese name, said through ``pronounce`` as English-like syllables ("hoo-ahn
tee-yow"), is not an English word: Whisper cannot spell it back, and those
utterances count errors that a listener would not have.

Whisper tiny.en hears English only: sessions in other languages are not
measured here (their content is checked by tests/test_session_library.py).

With ``--beds``, each session is rendered under every condition a listener
may meet (no bed, its own bed as shipped, each of the six built-in sounds;
each as WAV and as the phone's default ``.opus``) and the same utterances of
two words or more (``--sample`` of them per session, spread evenly) are heard
in each; one table puts the word error rates side by side, with how many
utterances came out worse and better than without a bed.  Identical renders
(a session's own bed is one of the six) are heard once.  Renders take most
of the time (half a minute to minutes each under load): ``--opus own``
encodes only the two conditions a phone's user meets by default.

Usage: python benchmarks/bench_transcripts.py [SESSION ...] [--engine NAME] [--worst N] [--background]
       python benchmarks/bench_transcripts.py [SESSION ...] --beds [--sample N] [--opus all|own|none]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

DEFAULT_SESSIONS = ("sciatica", "quick-relief", "breathing", "lower-back", "neck-shoulders", "sleep")
WHISPER_RATE = 16000
TAIL_SECONDS = 0.2
"""How far past an utterance's planned end its stretch reaches (unless the next event starts sooner)."""
PAD_SECONDS = 0.5
"""Silence put around each stretch, as a listener's pause before and after."""

# "GB30", "BL-23", "G B thirty": letters said one by one are compared as single letters.
_ACRONYM = re.compile(r"\b([A-Z]{2,3})(?=\b|\d)")


@dataclass(frozen=True)
class Heard:
    """One utterance: its cue, what was meant, what Whisper heard, the word errors and the words meant."""

    cue: str
    reference: str
    heard: str
    errors: int
    words: int


def normal_words(text: str) -> list[str]:
    """Lower-case words, capitals spelt out, digits spelt out, punctuation gone: how both sides are compared."""
    from num2words import num2words

    text = _ACRONYM.sub(lambda match: " " + " ".join(match.group(1)) + " ", text).lower()
    text = re.sub(r"\d+", lambda match: f" {num2words(int(match.group()))} ", text)
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


def measure(name: str, options: argparse.Namespace, model: object, work: Path) -> list[Heard]:
    """Every speech event of one session, as heard."""
    extra = ["--engine", options.engine]
    if not options.background and "--no-background" in voiceguide("render", "--help").stdout:
        extra.append("--no-background")
    plan = json.loads(voiceguide("plan", name, "--json", *extra).stdout)
    wav = work / f"{name}.wav"
    voiceguide("render", name, "-o", str(wav), *extra)
    audio, rate = soundfile.read(wav, dtype="float32", always_2d=True)
    events = plan["events"]
    return hear(audio.mean(axis=1), rate, events, speech_indices(events), model)


def speech_indices(events: list[dict[str, object]]) -> list[int]:
    return [index for index, event in enumerate(events) if event["kind"] == "speech"]


def hear(mono: np.ndarray, rate: int, events: list[dict], indices: list[int], model: object) -> list[Heard]:
    """The speech events at ``indices`` of a render's mono mix, as Whisper hears them."""
    import soxr

    pad = np.zeros(int(PAD_SECONDS * WHISPER_RATE), dtype=np.float32)
    results = []
    for index in indices:
        event = events[index]
        end = event["t"] + event["duration"] + TAIL_SECONDS
        if index + 1 < len(events):
            end = min(end, max(events[index + 1]["t"], event["t"] + event["duration"]))
        stretch = mono[int(event["t"] * rate):int(end * rate)]
        samples = np.concatenate([pad, soxr.resample(stretch, rate, WHISPER_RATE).astype(np.float32), pad])
        segments, _ = model.transcribe(  # type: ignore[attr-defined]
            samples, language="en", beam_size=5, condition_on_previous_text=False, without_timestamps=True,
            vad_filter=False)
        heard = " ".join(segment.text for segment in segments).strip()
        reference = event.get("spoken") or event["text"]
        expected = normal_words(reference)
        results.append(Heard(event["cue"], reference, heard, edit_distance(expected, normal_words(heard)),
                             len(expected)))
    return results


def rate(results: list[Heard]) -> str:
    words = sum(result.words for result in results)
    return f"{sum(result.errors for result in results) / words:.1%}" if words else "-"


def report(everything: dict[str, list[Heard]], worst: int) -> None:
    print(f"{'session':<16}{'utterances':>11}{'words':>7}{'WER':>7}   {'2+ words':>9}{'WER':>7}   "
          f"{'1 word':>7}{'WER':>7}")
    for name, results in everything.items():
        longer = [result for result in results if result.words >= 2]
        single = [result for result in results if result.words < 2]
        print(f"{name:<16}{len(results):>11}{sum(r.words for r in results):>7}{rate(results):>7}   "
              f"{len(longer):>9}{rate(longer):>7}   {len(single):>7}{rate(single):>7}")
    every = [result for results in everything.values() for result in results]
    longer_all = [result for result in every if result.words >= 2]
    print(f"{'all':<16}{len(every):>11}{sum(r.words for r in every):>7}{rate(every):>7}   "
          f"{len(longer_all):>9}{rate(longer_all):>7}   {len(every) - len(longer_all):>7}"
          f"{rate([r for r in every if r.words < 2]):>7}")
    by_cue: dict[str, list[Heard]] = defaultdict(list)
    for result in every:
        by_cue[result.cue].append(result)
    print("\nby cue (utterances, words, WER):")
    for cue, results in sorted(by_cue.items()):
        print(f"  {cue:<10}{len(results):>6}{sum(r.words for r in results):>7}{rate(results):>8}")
    print("\none-word cues, as Whisper heard them (most frequent mishearings):")
    misheard = Counter((r.reference, r.heard) for r in every if r.words < 2 and r.errors)
    for (reference, heard), count in misheard.most_common(worst * 2):
        print(f"  {count:4}x {reference!r} -> {heard!r}")
    print("\nworst utterances of two words or more (rate, session: said -> heard):")
    ranked = sorted(((r.errors / r.words, name, r) for name, results in everything.items() for r in results
                     if r.words >= 2 and r.errors), key=lambda item: -item[0])
    shown: set[str] = set()
    for error_rate, name, result in ranked:
        if result.reference in shown:
            continue
        shown.add(result.reference)
        print(f"  {error_rate:6.0%} {name}: {result.reference!r} -> {result.heard!r}")
        if len(shown) >= worst * 2:
            break


BEDS = ("rain", "waves", "stream", "wind", "brown", "pink")


def conditions(opus: str) -> list[tuple[str, list[str], str]]:
    """(label, render options, extension) for every condition, the reference (no bed, WAV) first.

    ``opus``: "all" (every condition also as .opus), "own" (no bed and the own bed only), "none".
    """
    beds = [("none", ["--no-background"]), ("own", []), *((bed, ["--background", bed]) for bed in BEDS)]
    encoded = {"all": beds, "own": beds[:2], "none": []}[opus]
    return [*((label, flags, "wav") for label, flags in beds), *((f"{label} opus", flags, "opus")
                                                                  for label, flags in encoded)]


def compare_beds(options: argparse.Namespace, model: object, work: Path) -> None:
    """Every session under every condition, the same utterances heard in each; one table side by side."""
    import hashlib

    table: dict[str, dict[str, list[Heard]]] = {}
    for name in options.sessions:
        events = json.loads(voiceguide("plan", name, "--json", "--no-background", "--engine", options.engine).stdout)[
            "events"]
        longer = [index for index in speech_indices(events) if len(normal_words(
            events[index].get("spoken") or events[index]["text"])) >= 2]
        chosen = [longer[round(i * (len(longer) - 1) / max(1, options.sample - 1))]
                  for i in range(min(options.sample, len(longer)))]
        heard_by_hash: dict[str, list[Heard]] = {}
        for label, flags, ext in conditions(options.opus):
            path = work / f"{name}.{ext}"
            voiceguide("render", name, "-o", str(path), "--engine", options.engine, *flags)
            audio, sample_rate = soundfile.read(path, dtype="float32", always_2d=True)
            mono = audio.mean(axis=1)
            digest = hashlib.sha1(mono.tobytes()).hexdigest()
            if digest not in heard_by_hash:
                heard_by_hash[digest] = hear(mono, sample_rate, events, chosen, model)
            table.setdefault(label, {})[name] = heard_by_hash[digest]
            print(f"  {name} {label}: {rate(heard_by_hash[digest])}", file=sys.stderr, flush=True)
    print_beds(table, options.sessions)


def print_beds(table: dict[str, dict[str, list[Heard]]], sessions: list[str]) -> None:
    reference = table["none"]
    print(f"{'condition':<14}" + "".join(f"{name[:12]:>13}" for name in sessions)
          + f"{'all':>8}{'Δ points':>10}{'worse':>7}{'better':>7}")
    base = [r for name in sessions for r in reference[name]]
    for label, by_session in table.items():
        every = [r for name in sessions for r in by_session[name]]
        delta = (sum(r.errors for r in every) - sum(r.errors for r in base)) / max(1, sum(r.words for r in base))
        worse = sum(r.errors > b.errors for r, b in zip(every, base, strict=True))
        better = sum(r.errors < b.errors for r, b in zip(every, base, strict=True))
        print(f"{label:<14}" + "".join(f"{rate(by_session[name]):>13}" for name in sessions)
              + f"{rate(every):>8}{delta * 100:>+10.1f}{worse:>7}{better:>7}")
    print("\nutterances heard differently under a bed (condition: said -> heard; without a bed -> heard):")
    for label, by_session in table.items():
        for name in sessions:
            for r, b in zip(by_session[name], reference[name], strict=True):
                if r.errors > b.errors:
                    print(f"  {label} {name}: {r.reference!r} -> {r.heard!r}  (no bed: {b.heard!r})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sessions", nargs="*", default=list(DEFAULT_SESSIONS))
    parser.add_argument("--engine", default="pyttsx3")
    parser.add_argument("--worst", type=int, default=5, help="how many worst utterances to show, halved (default 5)")
    parser.add_argument("--background", action="store_true", help="keep each session's background under the voice")
    parser.add_argument("--beds", action="store_true",
                        help="compare no bed, the session's own bed and each built-in sound, WAV and .opus")
    parser.add_argument("--sample", type=int, default=12, help="with --beds: utterances per session (default 12)")
    parser.add_argument("--opus", choices=("all", "own", "none"), default="all",
                        help="with --beds: which conditions are also rendered as .opus (default all; own: "
                             "without a bed and with the session's own, the phone's default file)")
    options = parser.parse_args()
    from faster_whisper import WhisperModel

    from voiceguide.play.recognizer import model_directory

    model = WhisperModel(str(model_directory()), device="cpu", compute_type="int8", cpu_threads=2)
    print(f"engine {options.engine}; Whisper tiny.en, beam 5; {'with' if options.background else 'no'} background;"
          " WER = word errors / words meant")
    if options.beds:
        with tempfile.TemporaryDirectory(prefix="voiceguide-bench-transcripts-") as scratch:
            compare_beds(options, model, Path(scratch))
        return
    everything: dict[str, list[Heard]] = {}
    with tempfile.TemporaryDirectory(prefix="voiceguide-bench-transcripts-") as scratch:
        for name in options.sessions:
            everything[name] = measure(name, options, model, Path(scratch))
            print(f"  {name}: {len(everything[name])} utterances heard", file=sys.stderr, flush=True)
    report(everything, options.worst)


if __name__ == "__main__":
    main()
