"""The real background beds against voice commands: ``bench_listen.py --only-beds``.

The built-in ``rain`` and ``waves`` (what the shipped sessions play), made by
``voiceguide.audio.sounds.Generator`` as a session makes them, resampled to the
microphone's 16 kHz and passed through a simulated room (``listen_echo.room_echo``:
direct path after 25 ms, a 0.3-s diffuse tail).  Level: a session keeps a bed
20 LU under the voice's loudness (``level``), 6 dB lower while the voice
speaks; the user speaks between cues, when the bed is at its full level, so the
bed is put 20 LU under each command take (the user's voice as loud at the
microphone as the player's voice).  The bed is not gated: only the player's
voice is its own sound.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import soxr
from listen_echo import room_echo

from tests.voices import say
from voiceguide.audio.sounds import Generator
from voiceguide.base import SAMPLE_RATE
from voiceguide.dsp.lufs import k_weighted
from voiceguide.play.listen import LISTEN_RATE, VOICE_COMMANDS, Heard, Judge, SoundGate
from voiceguide.play.recognizer import WhisperRecognizer

BEDS = ("rain", "waves")
BED_UNDER_VOICE_LU = 20.0
"""A session's default ``level``: the bed this far under the voice when the voice is silent."""


def bed_at_microphone(name: str, seconds: float) -> np.ndarray:
    """``seconds`` of the built-in bed ``name`` (one ear) as the room's microphone hears it, 16 kHz."""
    made = Generator(name).render(0, round(seconds * SAMPLE_RATE), 1)[0]
    mic = np.asarray(soxr.resample(made, SAMPLE_RATE, LISTEN_RATE), dtype=np.float64)
    response = room_echo(LISTEN_RATE)
    size = 1 << int(np.ceil(np.log2(mic.size + response.size)))
    echoed = np.fft.irfft(np.fft.rfft(mic, size) * np.fft.rfft(response, size), size)[:mic.size]
    return echoed.astype(np.float32)


def under(bed: np.ndarray, bed_lufs: float, voice_lufs: float, lu: float = BED_UNDER_VOICE_LU) -> np.ndarray:
    """``bed`` scaled to ``lu`` under ``voice_lufs``."""
    return (bed * np.float32(10 ** ((voice_lufs - lu - bed_lufs) / 20))).astype(np.float32)


def loudness(audio: np.ndarray) -> float:
    """BS.1770 loudness (LUFS) of the whole of ``audio``, ungated: a take is trimmed and may be under one block."""
    return -0.691 + 10 * float(np.log10(np.mean(np.square(k_weighted(audio, LISTEN_RATE))) + 1e-20))


Heard_ = Callable[[Judge, np.ndarray], list[Heard]]


def real_beds(recognizer: WhisperRecognizer, heard: Heard_, minutes: float, voices: Sequence[str]) -> None:
    started = time.perf_counter()
    judge = Judge(recognizer, SoundGate())
    phrases = list(VOICE_COMMANDS)
    takes = [(voice, phrase, say(phrase.capitalize() + ".", voice)) for voice in voices for phrase in phrases]
    levels = [loudness(audio) for _, _, audio in takes]
    voice_lufs = float(np.median(levels))
    beds = {name: bed_at_microphone(name, max(minutes * 60, 60.0)) for name in BEDS}
    bed_lufs = {name: loudness(audio) for name, audio in beds.items()}
    print(f"  {len(voices)} voices x {len(phrases)} phrases = {len(takes)} commands; bed 20 LU under each take "
          f"(takes: median {voice_lufs:.1f} LUFS); goal within 3 points of clean")
    rng = np.random.default_rng(21)
    before, after = np.zeros(LISTEN_RATE, np.float32), np.zeros(4 * LISTEN_RATE, np.float32)
    scores = {}
    for bed_name, lu in ((None, 0.0), *((name, lu) for name in BEDS for lu in (BED_UNDER_VOICE_LU, 30.0))):
        right = uncut = 0
        misses: list[str] = []
        for (voice, phrase, audio), lufs in zip(takes, levels, strict=True):
            sound = np.concatenate([before, audio, after])  # the bed goes on: 4 s for the segment to close
            if bed_name is not None:
                bed = beds[bed_name]
                start = int(rng.integers(bed.size - sound.size))
                sound = sound + under(bed[start:start + sound.size], bed_lufs[bed_name], lufs, lu)
            found = heard(judge, sound)
            ok = [item.action for item in found if item.action is not None] == [VOICE_COMMANDS[phrase]]
            right += ok
            uncut += not found
            if not ok:
                misses.append(f"{phrase} by {voice}: {[item.text or item.ignored for item in found]}")
        score = scores[bed_name, lu] = right / len(takes)
        label = "clean" if bed_name is None else f"{bed_name} bed, {lu:g} LU under, echoed"
        print(f"    {label:<30} {right:>4} / {len(takes)} = {score:6.1%}"
              + (f"  ({100 * (score - scores[None, 0.0]):+.1f} points vs clean)" if bed_name else "")
              + f"; no segment cut: {uncut}"
              + (f"; missed: {'; '.join(misses)}" if misses else ""))
    print(f"  each bed alone, {minutes:g} minutes at the session's level (voice {voice_lufs:.1f} LUFS, "
          "bed 20 LU under); goal 0 commands:")
    for name, audio in beds.items():
        bed = under(audio[:round(minutes * 60 * LISTEN_RATE)], bed_lufs[name], voice_lufs)
        found = heard(judge, bed)
        fired = [item for item in found if item.action is not None]
        ignored = Counter(item.ignored for item in found if item.ignored)
        print(f"    {name:<6} {len(found):>4} segments ({', '.join(f'{k} {v}' for k, v in ignored.items()) or '-'}): "
              f"{len(fired)} commands {[item.text for item in fired] if fired else ''}")
    print(f"  ({time.perf_counter() - started:.0f} s)")
