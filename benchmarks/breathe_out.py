"""Why is "Breathe out." heard as "Three out." over a bed?  The cue's bed, and Whisper, by bed level and padding.

A shipped session is mixed in-process as ``render`` mixes it, but its two
parts apart: the voice, and the bed (``--background``, default pink), at the
file's gain.  For every "Breathe out" of the session:

- the bed's level in the word's first 50 and 100 ms against its level over the
  rest of the word, and against its level a second before it (is the duck
  late, leaving the bed loud over the "Br" onset?);
- Whisper tiny.en (the shipped recognizer, as ``bench_transcripts.py`` uses
  it) on the voice alone and on the voice with the bed scaled by each of
  ``--offsets`` dB (a shallower or deeper duck under the word), each stretch
  heard with half a second around it either of silence (the bed then starts
  with the word's first sound, as ``bench_transcripts.py --beds`` heard it
  until 2026-12-07) or of the bed's own sound (as a listener hears it).

Prints the first word heard, tallied, per condition.

Usage: python benchmarks/breathe_out.py [SESSION] [--background SOUND] [--offsets DB ...]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_transcripts import PAD_SECONDS, TAIL_SECONDS, WHISPER_RATE, normal_words  # noqa: E402

from voiceguide.base import SAMPLE_RATE  # noqa: E402


def voice_and_bed(name: str, background: str) -> tuple[list, np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    """The session's events, and its voice and its bed apart (mono), as ``render`` mixes them at -16 LUFS."""
    from voiceguide.audio.loudness import GainedClips
    from voiceguide.audio.mixer import Layout, Mixer
    from voiceguide.audio.soundstage import soundstage
    from voiceguide.play.file_level import levelled_for_file
    from voiceguide.play.prepare import prepare_session
    from voiceguide.play.requests import SessionOptions, SoundOptions
    from voiceguide.speech.clip_cache import default_cache_dir

    options = SessionOptions(name, SoundOptions(background=background))
    session = prepare_session(options)
    timeline = session.timeline
    level = levelled_for_file(timeline, session.clips, soundstage(session.script, options.sound, default_cache_dir()),
                              -16.0, default_cache_dir())
    clips = GainedClips(session.clips, level.gain_db, ceiling_dbtp=level.stage.voice_ceiling_dbtp())
    layout = Layout(channels=level.stage.channels)
    voice = np.asarray(Mixer(timeline.events, clips, length=timeline.length, layout=layout).render(0, timeline.length))
    bed = level.stage.layout(timeline.events, timeline.beds, timeline.length, True).bed
    assert bed is not None
    return list(timeline.events), voice.mean(axis=1), bed.render(0, timeline.length).mean(axis=0)


def db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(samples, dtype=np.float64)) + 1e-20))


def onset_levels(events: list, voice: np.ndarray, bed: np.ndarray, cues: list[int]) -> None:  # type: ignore[type-arg]
    """The bed's level at each cue's start against the rest of the cue and a second before it (medians)."""
    rate = SAMPLE_RATE
    rows = []
    for index in cues:
        start, end = events[index].start, events[index].end
        free = db(bed[start - rate:start - rate // 2])
        rows.append((db(bed[start:start + rate // 20]) - free, db(bed[start:start + rate // 10]) - free,
                     db(bed[start + rate // 10:end]) - free,
                     db(voice[start:start + rate // 10]) - db(bed[start:start + rate // 10])))
    first50, first100, rest, margin = np.median(np.array(rows), axis=0)
    print(f"  the bed re 0.5-1 s before the cue (median of {len(rows)}): first 50 ms {first50:+.1f} dB, first 100 ms "
          f"{first100:+.1f} dB, the rest of the word {rest:+.1f} dB; the voice over the bed in the first 100 ms "
          f"{margin:+.1f} dB")


def heard(model: object, events: list, voice: np.ndarray, bed: np.ndarray,  # type: ignore[type-arg]
          cues: list[int], gain: float, around: str) -> Counter[str]:
    """The first word Whisper hears in each cue, over the bed at ``gain``, with silence or the bed around."""
    import soxr

    rate, pad = SAMPLE_RATE, round(PAD_SECONDS * SAMPLE_RATE)
    mix = voice + np.float32(gain) * bed
    counts: Counter[str] = Counter()
    for index in cues:
        e = events[index]
        following = events[index + 1].start if index + 1 < len(events) else e.end
        last = min(e.end + round(TAIL_SECONDS * rate), max(e.end, following))
        edge = np.zeros(pad, dtype=np.float32)
        before = edge if around == "silence" else np.float32(gain) * bed[e.start - pad:e.start]
        after = edge if around == "silence" else np.float32(gain) * bed[last:last + pad]
        samples = soxr.resample(np.concatenate([before, mix[e.start:last], after]), rate, WHISPER_RATE)
        segments, _ = model.transcribe(samples.astype(np.float32), language="en", beam_size=5,  # type: ignore[attr-defined]
                                       condition_on_previous_text=False, without_timestamps=True, vad_filter=False)
        counts[(normal_words(" ".join(s.text for s in segments)) or ["-"])[0]] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("session", nargs="?", default="quick-relief")
    parser.add_argument("--background", default="pink")
    parser.add_argument("--offsets", nargs="*", type=float, default=[-9.0, -6.0, -3.0, 0.0, 3.0, 6.0],
                        help="the bed under the word this many dB from its level (0: as rendered)")
    options = parser.parse_args()
    from faster_whisper import WhisperModel

    from voiceguide.play.recognizer import model_directory

    model = WhisperModel(str(model_directory()), device="cpu", compute_type="int8", cpu_threads=2)
    events, voice, bed = voice_and_bed(options.session, options.background)
    cues = [i for i, e in enumerate(events)
            if e.kind == "speech" and normal_words(e.text or "")[:2] == ["breathe", "out"]]
    print(f"load {os.getloadavg()[0]:.1f}; {options.session}, {options.background}: {len(cues)} 'Breathe out' cues")
    onset_levels(events, voice, bed, cues)
    print(f"  {'voice alone, silence around':<34} {dict(heard(model, events, voice, bed, cues, 0.0, 'silence'))}",
          flush=True)
    for offset in options.offsets:
        for around in ("silence", "bed"):
            counts = heard(model, events, voice, bed, cues, 10 ** (offset / 20), around)
            print(f"  {f'bed {offset:+.0f} dB, {around} around':<34} {dict(counts)}", flush=True)
    print(f"load {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
