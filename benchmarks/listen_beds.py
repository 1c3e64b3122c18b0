"""The real background beds against voice commands: ``bench_listen.py --only-beds``.

Every built-in sound (``voiceguide.audio.sounds``: what sessions play), made by
``voiceguide.audio.sounds.Generator`` as a session makes it, resampled to the
microphone's 16 kHz and passed through a simulated room (``listen_echo.room_echo``:
direct path after 25 ms, a 0.3-s diffuse tail).  Level: a session keeps a bed
20 LU under the voice's loudness (the default ``level``), 6 dB lower while the
voice speaks; the user speaks between cues, when the bed is at its full level,
so the bed is put 20 LU under each command take (the user's voice as loud at
the microphone as the player's voice).  The bed is not gated: only the player's
voice is its own sound.

Beside the beds, the case the listener must not lose: a quiet or far voice,
the clean takes 20 or 30 dB quieter over the microphone's own hiss (white
noise at -75 or -65 dBFS).

Each condition is heard by three listening stages side by side, in one run:
the shipped one (``listening_vad``: WebRTC's detector and the frame standing
out of the room's steady sound; each segment denoised before Whisper hears
it), the same without denoising, and WebRTC's detector alone without
denoising (the stage before).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import soxr
from listen_echo import cancel_echo, room_echo

from tests.voices import say
from voiceguide.audio.sounds import SOUND_NAMES, Generator
from voiceguide.base import SAMPLE_RATE
from voiceguide.dsp.lufs import k_weighted
from voiceguide.play.listen import LISTEN_RATE, VOICE_COMMANDS, Heard, Judge, Segmenter, SoundGate
from voiceguide.play.recognizer import WhisperRecognizer, listening_vad, webrtc_vad

BED_UNDER_VOICE_LU = 20.0
"""A session's default ``level``: the bed this far under the voice when the voice is silent."""
QUIET = ((20.0, -75.0), (30.0, -75.0), (30.0, -65.0))
"""Quiet or far voices: (dB quieter than the take, the microphone's hiss in dBFS)."""
STAGES: dict[str, Callable[[], Segmenter]] = {
    "shipped": lambda: Segmenter(listening_vad()),
    "not denoised": lambda: Segmenter(listening_vad(), denoise=False),
    "before: WebRTC alone": lambda: Segmenter(webrtc_vad(), denoise=False),
}
"""The listening stages compared, each as the segmenter it cuts the microphone's frames with."""


def bed_played(name: str, seconds: float) -> np.ndarray:
    """``seconds`` of the built-in bed ``name`` (one ear) as the player sends it out, at 16 kHz."""
    made = Generator(name).render(0, round(seconds * SAMPLE_RATE), 1)[0]
    return np.asarray(soxr.resample(made, SAMPLE_RATE, LISTEN_RATE), dtype=np.float64)


def bed_at_microphone(name: str, seconds: float) -> np.ndarray:
    """``seconds`` of the built-in bed ``name`` (one ear) as the room's microphone hears it, 16 kHz."""
    mic = bed_played(name, seconds)
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


Heard_ = Callable[..., list[Heard]]
"""``heard(judge, audio, stage=...)``: every segment the live path cuts from ``audio``, as judged."""


def real_beds(recognizer: WhisperRecognizer, heard: Heard_, minutes: float, voices: Sequence[str]) -> None:
    started = time.perf_counter()
    judge = Judge(recognizer, SoundGate())
    phrases = list(VOICE_COMMANDS)
    takes = [(voice, phrase, say(phrase.capitalize() + ".", voice)) for voice in voices for phrase in phrases]
    levels = [loudness(audio) for _, _, audio in takes]
    voice_lufs = float(np.median(levels))
    beds = {name: bed_at_microphone(name, max(minutes * 60, 60.0)) for name in SOUND_NAMES}
    bed_lufs = {name: loudness(audio) for name, audio in beds.items()}
    print(f"  {len(voices)} voices x {len(phrases)} phrases = {len(takes)} commands (takes: median "
          f"{voice_lufs:.1f} LUFS); each bed 20 LU under each take, echoed; goal within 3 points of clean.")
    print(f"  {'':<36}" + "".join(f"{name:<36}" for name in STAGES))
    rng = np.random.default_rng(21)
    before, after = np.zeros(LISTEN_RATE, np.float32), np.zeros(4 * LISTEN_RATE, np.float32)
    conditions: list[tuple[str, str | None, tuple[float, float] | None]] = [("clean", None, None)]
    conditions += [(f"{name}, 20 LU under (default)", name, None) for name in SOUND_NAMES]
    conditions += [(f"quiet voice, {down:g} dB down, {hiss:g} dBFS hiss", None, (down, hiss)) for down, hiss in QUIET]
    clean: dict[str, float] = {}
    misses: dict[str, list[str]] = {}
    for label, bed_name, quiet in conditions:
        sounds = []
        for _, _, audio in takes:
            sound = np.concatenate([before, audio, after])  # the bed goes on: 4 s for the segment to close
            if bed_name is not None:
                bed = beds[bed_name]
                start = int(rng.integers(bed.size - sound.size))
                sound = sound + under(bed[start:start + sound.size], bed_lufs[bed_name], loudness(audio))
            if quiet is not None:
                down, hiss = quiet
                sound = sound * np.float32(10 ** (-down / 20)) + np.float32(10 ** (hiss / 20)) * rng.standard_normal(
                    sound.size).astype(np.float32)
            sounds.append(sound.astype(np.float32))
        cells = []
        for name, stage in STAGES.items():
            right = uncut = 0
            for (voice, phrase, _), sound in zip(takes, sounds, strict=True):
                found = heard(judge, sound, stage=stage)
                ok = [item.action for item in found if item.action is not None] == [VOICE_COMMANDS[phrase]]
                right += ok
                uncut += not found
                if not ok and bed_name is not None and name == "shipped":
                    misses.setdefault(label, []).append(
                        f"{phrase} by {voice}: {[item.text or item.ignored for item in found]}")
            score = right / len(takes)
            if bed_name is None and quiet is None:
                clean[name] = score
            versus = f" {100 * (score - clean[name]):+5.1f}" if bed_name is not None else "      "
            cells.append(f"{right:>3}/{len(takes)} = {score:6.1%}{versus} (uncut {uncut:>2})")
        print(f"    {label:<34}" + "".join(f"{cell:<36}" for cell in cells), flush=True)
    print("  (points vs clean after each bed's figure; uncut: takes where no segment was cut at all)")
    for label, missed in misses.items():
        print(f"    missed by the shipped stage, {label}: {'; '.join(missed)}")
    print(f"  each bed alone, {minutes:g} minutes at the session's level (voice {voice_lufs:.1f} LUFS, "
          "bed 20 LU under); goal 0 commands:")
    for bed_name, audio in beds.items():
        bed = under(audio[:round(minutes * 60 * LISTEN_RATE)], bed_lufs[bed_name], voice_lufs)
        cells = []
        for name, stage in STAGES.items():
            found = heard(judge, bed, stage=stage)
            fired = [item for item in found if item.action is not None]
            ignored = Counter(item.ignored for item in found if item.ignored)
            cells.append(f"{name}: {len(fired)} commands {[item.text for item in fired] if fired else ''}from "
                         f"{len(found)} segments ({', '.join(f'{k} {v}' for k, v in ignored.items()) or '-'})")
        print(f"    {bed_name:<7}" + "; ".join(cells), flush=True)
    print(f"  ({time.perf_counter() - started:.0f} s)")


CANCEL_LEAD_SECONDS = 6.0
"""Bed before each take for the canceller to converge (a session's bed plays for minutes)."""


def bed_cancelling(recognizer: WhisperRecognizer, heard: Heard_, voices: Sequence[str], every: int = 2) -> None:
    """An experiment, not shipped: the bed subtracted with what the player sent out as the reference (an NLMS
    echo canceller that holds still while someone speaks), before the shipped listening stage."""
    started = time.perf_counter()
    judge = Judge(recognizer, SoundGate())
    phrases = list(VOICE_COMMANDS)
    takes = [(phrase, say(phrase.capitalize() + ".", voice)) for voice in voices for phrase in phrases][::every]
    print(f"  every {every}. of {len(voices)} voices x {len(phrases)} phrases = {len(takes)} commands; "
          f"the bed 20 LU under each, echoed, {CANCEL_LEAD_SECONDS:g} s of it before each take")
    lead = round(CANCEL_LEAD_SECONDS * LISTEN_RATE)
    rng = np.random.default_rng(22)
    for bed_name in (None, "rain", "waves"):
        played = bed_played(bed_name or "rain", 180.0)
        echoed = bed_at_microphone(bed_name or "rain", 180.0)
        bed_lufs = loudness(echoed)
        right = {"as heard": 0, "cancelled": 0}
        for phrase, audio in takes:
            sound = np.concatenate([np.zeros(lead + LISTEN_RATE, np.float32), audio,
                                    np.zeros(4 * LISTEN_RATE, np.float32)])
            start = int(rng.integers(echoed.size - sound.size))
            gain = 0.0 if bed_name is None else 10 ** ((loudness(audio) - BED_UNDER_VOICE_LU - bed_lufs) / 20)
            mic = sound + gain * echoed[start:start + sound.size] + 1e-4 * rng.standard_normal(sound.size)
            cancelled = cancel_echo(mic, gain * played[start:start + sound.size], block=480, partitions=8, hold_db=6.0)
            for label, signal in (("as heard", mic), ("cancelled", cancelled)):
                kept = np.asarray(signal[lead:], dtype=np.float32)
                found = heard(judge, kept)
                right[label] += [item.action for item in found if item.action is not None] == [VOICE_COMMANDS[phrase]]
        print(f"    {bed_name or 'clean':<6} " + ", ".join(f"{label} {count}/{len(takes)} = {count / len(takes):.1%}"
                                                   for label, count in right.items()), flush=True)
    print(f"  ({time.perf_counter() - started:.0f} s)")
