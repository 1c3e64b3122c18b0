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
measured here (their content is checked by tests/test_session_library.py;
``voice_over_bed.py`` measures how far their voice stands over their bed).

With ``--beds``, each session is rendered without a bed, with its own bed as
shipped and with the ``--bed-list`` sounds (default ``own pink brown``: the
noisiest), and with ``--before COMMIT`` the same beds again by a pristine copy
of that commit, side by side; the same utterances of two words or more
(``--sample`` of them per session, spread evenly) are heard in each, and every
"Breathe out" too (its first word tallied: the "Three out." question).  Each
stretch is heard with half a second of the bed's own sound around it (the bed
alone: the render less the render without a bed), as a listener hears the bed
before a word; ``--pad silence`` puts digital silence there (as this benchmark
did until 2026-12-07: the bed then starts with the word's first sound),
``--pad both`` hears both.  One table puts the word error rates side by side,
with how many utterances came out worse and better than without a bed.
Identical renders are heard once.

Usage: python benchmarks/bench_transcripts.py [SESSION ...] [--engine NAME] [--worst N] [--background]
       python benchmarks/bench_transcripts.py [SESSION ...] --beds [--sample N] [--bed-list BED ...]
              [--before COMMIT] [--pad bed|silence|both]
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
sys.path.insert(0, str(ROOT / "benchmarks"))

from voiceguide.base import SAMPLE_RATE  # noqa: E402

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
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], capture_output=True, text=True, check=True,
                          cwd=ROOT)


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


def hear(mono: np.ndarray, rate: int, events: list[dict], indices: list[int], model: object,
         bed: np.ndarray | None = None) -> list[Heard]:
    """The speech events at ``indices`` of a render's mono mix, as Whisper hears them.

    Each stretch has ``PAD_SECONDS`` around it: of ``bed`` (the render's bed alone, as it sounds
    before and after the word) when given, else of silence.
    """
    import soxr

    pad = round(PAD_SECONDS * rate)
    results = []
    for index in indices:
        event = events[index]
        end = event["t"] + event["duration"] + TAIL_SECONDS
        if index + 1 < len(events):
            end = min(end, max(events[index + 1]["t"], event["t"] + event["duration"]))
        first, last = int(event["t"] * rate), int(end * rate)
        around = np.zeros(pad, dtype=np.float32)
        before = around if bed is None else bed[max(0, first - pad):first]
        after = around if bed is None else bed[last:last + pad]
        stretch = np.concatenate([before, mono[first:last], after])
        samples = soxr.resample(stretch, rate, WHISPER_RATE).astype(np.float32)
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
BREATHE_OUT = "breathe out"
"""The cue heard as "Three out." under every bed in the last session's run (silence around each stretch)."""


@dataclass(frozen=True)
class Condition:
    """One way to render a session: a label, ``render``'s options, and a checkout (None: this one)."""

    label: str
    flags: tuple[str, ...]
    root: Path | None = None


def conditions(beds: list[str], before: Path | None) -> list[Condition]:
    """No bed first (the reference), then each bed ("own": the session's, as shipped) here and before."""
    here = [Condition("none", ("--no-background",))]
    here += [Condition(bed, () if bed == "own" else ("--background", bed)) for bed in beds]
    if before is None:
        return here
    return [*here, *(Condition(f"{c.label} before", c.flags, before) for c in here[1:])]


def render(name: str, condition: Condition, path: Path, engine: str) -> np.ndarray:
    """``condition``'s render of ``name`` as mono samples (a pristine earlier checkout's, if it names one)."""
    import os

    root = condition.root or ROOT  # run there: ``-m`` puts the working folder before PYTHONPATH
    subprocess.run([sys.executable, "-m", "voiceguide", "render", name, "-o", str(path), "--plain", "--engine",
                    engine, *condition.flags], capture_output=True, text=True, check=True, cwd=root,
                   env=dict(os.environ, PYTHONPATH=str(root)))
    audio, _ = soundfile.read(path, dtype="float32", always_2d=True)
    mono: np.ndarray = audio.mean(axis=1)
    return mono


def bed_alone(mono: np.ndarray, voice: np.ndarray) -> np.ndarray:
    """The bed of a render: the render less the same voice without a bed, at its file gain (least squares)."""
    gain = float(np.dot(mono.astype(np.float64), voice) / max(np.dot(voice.astype(np.float64), voice), 1e-20))
    bed: np.ndarray = mono - np.float32(gain) * voice
    return bed


def chosen_utterances(events: list[dict], sample: int) -> tuple[list[int], list[int]]:
    """``sample`` utterances of two words or more, spread evenly, and every "Breathe out" beside them."""
    longer = [index for index in speech_indices(events)
              if len(normal_words(events[index].get("spoken") or events[index]["text"])) >= 2]
    chosen = [longer[round(i * (len(longer) - 1) / max(1, sample - 1))] for i in range(min(sample, len(longer)))]
    breathe_out = [index for index in longer if normal_words(events[index]["text"])[:2] == BREATHE_OUT.split()]
    return sorted(set(chosen)), breathe_out


def compare_beds(options: argparse.Namespace, model: object, work: Path) -> None:
    """Every session under every condition, the same utterances heard in each; one table side by side.

    Each stretch is heard with half a second of the bed's own sound around it (as a listener hears the
    bed before and after a word; with ``--pad silence`` both as before and with digital silence: then the
    bed starts with the word's first sound, which a listener never hears).
    """
    import hashlib

    before = None
    if options.before:
        from before_after import pristine_copy

        before = pristine_copy(options.before, work / "before")
    pads = ["bed", "silence"] if options.pad == "both" else [options.pad]
    table: dict[str, dict[str, list[Heard]]] = {}
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for name in options.sessions:
        events = json.loads(voiceguide("plan", name, "--json", "--no-background", "--engine", options.engine).stdout)[
            "events"]
        chosen, breathe_out = chosen_utterances(events, options.sample)
        indices = sorted(set(chosen) | set(breathe_out))
        heard_by_hash: dict[str, list[Heard]] = {}
        voice = np.zeros(0, dtype=np.float32)
        for condition in conditions(options.bed_list, before):
            mono = render(name, condition, work / f"{name}.wav", options.engine)
            voice = mono if condition.label == "none" else voice
            bed = bed_alone(mono, voice)
            for pad in pads if condition.label != "none" else ["bed"]:
                label = condition.label + ("" if pad == "bed" else ", silence")
                digest = hashlib.sha1(mono.tobytes() + pad.encode()).hexdigest()
                if digest not in heard_by_hash:
                    heard_by_hash[digest] = hear(mono, SAMPLE_RATE, events, indices, model,
                                                 bed if pad == "bed" else None)
                heard = dict(zip(indices, heard_by_hash[digest], strict=True))
                table.setdefault(label, {})[name] = [heard[index] for index in chosen]
                tally[label].update((normal_words(heard[i].heard)[:1] or ["-"])[0] for i in breathe_out)
                print(f"  {name} {label}: {rate(table[label][name])}", file=sys.stderr, flush=True)
    print_beds(table, options.sessions)
    print("\n\"Breathe out\" (every one of the sessions): the first word heard, by condition")
    for label, counts in tally.items():
        print(f"  {label:<22} {sum(counts.values()):>4}: " + ", ".join(f"{w} {n}" for w, n in counts.most_common(6)))


def print_beds(table: dict[str, dict[str, list[Heard]]], sessions: list[str]) -> None:
    reference = table["none"]
    print(f"{'condition':<22}" + "".join(f"{name[:12]:>13}" for name in sessions)
          + f"{'all':>8}{'Δ points':>10}{'worse':>7}{'better':>7}")
    base = [r for name in sessions for r in reference[name]]
    for label, by_session in table.items():
        every = [r for name in sessions for r in by_session[name]]
        delta = (sum(r.errors for r in every) - sum(r.errors for r in base)) / max(1, sum(r.words for r in base))
        worse = sum(r.errors > b.errors for r, b in zip(every, base, strict=True))
        better = sum(r.errors < b.errors for r, b in zip(every, base, strict=True))
        print(f"{label:<22}" + "".join(f"{rate(by_session[name]):>13}" for name in sessions)
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
    parser.add_argument("--bed-list", nargs="*", default=["own", "pink", "brown"], metavar="BED",
                        help="with --beds: the beds besides none ('own': each session's; default own pink brown)")
    parser.add_argument("--before", metavar="COMMIT", help="with --beds: also render each bed with COMMIT's code")
    parser.add_argument("--pad", choices=("bed", "silence", "both"), default="bed",
                        help="with --beds: what is around each stretch heard: the bed's own sound (default), "
                             "silence (the bed then starts with the word), or both")
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
