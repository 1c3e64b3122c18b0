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
from listen_echo import room_echo

from tests.echo_room import EchoRoom, simple_room
from tests.voices import say
from voiceguide.audio.sounds import SOUND_NAMES, Generator
from voiceguide.base import SAMPLE_RATE
from voiceguide.dsp.lufs import k_weighted
from voiceguide.play.echo_canceller import AlignedCanceller, PlayedSound
from voiceguide.play.listen import LISTEN_RATE, VOICE_COMMANDS, Heard, Judge, Segmenter, SoundGate
from voiceguide.play.live import OUTPUT_LATENCY_SECONDS
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
"""Bed before the first take (the canceller finds the delay and learns the room in it)."""
DRIFT_PPM = 20.0
"""How much faster the simulated microphone's clock runs than the output's (two devices)."""


def played_bed(name: str, seconds: float) -> np.ndarray:
    """``seconds`` of the built-in bed ``name`` as the player sends it to the device: frames × 2, 22,050 Hz."""
    return np.ascontiguousarray(Generator(name).render(0, round(seconds * SAMPLE_RATE), 2).T)


def through_canceller(played: np.ndarray, mic_voice: np.ndarray, gain: float, seed: int) -> tuple[np.ndarray, ...]:
    """The microphone (``mic_voice`` over ``played`` × ``gain`` through the simulated room, its clock drifting,
    started at an unknown moment) as heard, and as the shipped canceller leaves it; and the delay found."""
    rng = np.random.default_rng(seed)
    room = EchoRoom(played * np.float32(gain), simple_room(0.025, 0.3, seed), mic_start=float(rng.uniform(0.3, 1.5)),
                    drift_ppm=DRIFT_PPM, seed=seed)
    echo = room.echo()
    size = min(echo.size, mic_voice.size)
    mic = echo[:size] + mic_voice[:size] + 1e-4 * rng.standard_normal(size)
    sound = PlayedSound(SAMPLE_RATE)
    canceller = AlignedCanceller(sound, OUTPUT_LATENCY_SECONDS)
    cleaned = room.run(canceller, sound, mic)
    return mic[:cleaned.size].astype(np.float32), cleaned.astype(np.float32), np.array([room.delay(), canceller.lag])


def beds_cancelled(recognizer: WhisperRecognizer, heard: Heard_, minutes: float, voices: Sequence[str]) -> None:
    """Every built-in bed under the takes, one long stream each, heard as the microphone hears it and after the
    shipped canceller (the reference handed over as the live path does: blocks at the output's rate, in
    stereo; the microphone on its own drifting clock, late blocks, an unknown delay)."""
    started = time.perf_counter()
    judge = Judge(recognizer, SoundGate())
    phrases = list(VOICE_COMMANDS)
    takes = [(voice, phrase, say(phrase.capitalize() + ".", voice)) for voice in voices for phrase in phrases]
    voice_lufs = float(np.median([loudness(audio) for _, _, audio in takes]))
    slots, starts, at = [], [], round(CANCEL_LEAD_SECONDS * LISTEN_RATE)
    for _, _, audio in takes:
        level = np.float32(10 ** ((voice_lufs - loudness(audio)) / 20))
        slots.append(np.concatenate([np.zeros(LISTEN_RATE, np.float32), audio * level,
                                     np.zeros(4 * LISTEN_RATE, np.float32)]))
        starts.append(at)
        at += slots[-1].size
    voices_track = np.zeros(at + LISTEN_RATE)
    for slot, start in zip(slots, starts, strict=True):
        voices_track[start:start + slot.size] = slot
    seconds = voices_track.size / LISTEN_RATE + 2

    def score(mic: np.ndarray) -> int:
        right = 0
        for (_, phrase, _), slot, start in zip(takes, slots, starts, strict=True):
            found = heard(judge, mic[start:start + slot.size])
            right += [item.action for item in found if item.action is not None] == [VOICE_COMMANDS[phrase]]
        return right

    print(f"  {len(voices)} voices x {len(phrases)} phrases = {len(takes)} commands (each at {voice_lufs:.1f} LUFS), "
          f"one stream per bed, the bed 20 LU under the voice at the microphone (simulated room: 25 ms, RT60 0.3 s; "
          f"microphone {DRIFT_PPM:g} ppm fast, started 0.3-1.5 s after the output, late blocks); goal: mean over "
          "the beds within 3 points of clean, 0 commands from a bed alone")
    clean = score(voices_track.astype(np.float32))
    print(f"    {'clean':<8} {clean:>3}/{len(takes)} = {clean / len(takes):6.1%}", flush=True)
    sums = np.zeros(2)
    for index, name in enumerate(SOUND_NAMES):
        played = played_bed(name, seconds)
        probe = EchoRoom(played[:round(60 * SAMPLE_RATE)], simple_room(0.025, 0.3), drift_ppm=0.0).echo()
        gain = 10 ** ((voice_lufs - BED_UNDER_VOICE_LU - loudness(probe[LISTEN_RATE:])) / 20)
        mic, cleaned, delays = through_canceller(played, voices_track, gain, seed=30 + index)
        rights = [score(mic), score(cleaned)]
        sums += rights
        alone = round(minutes * 60 * LISTEN_RATE)
        quiet_mic, quiet_cleaned, _ = through_canceller(played[:round((minutes * 60 + 2) * SAMPLE_RATE)],
                                                        np.zeros(alone), gain, seed=40 + index)
        fired = [sum(item.action is not None for item in heard(judge, signal)) for signal in (quiet_mic, quiet_cleaned)]
        print(f"    {name:<8} as heard {rights[0]:>3}/{len(takes)} = {rights[0] / len(takes):6.1%} "
              f"({100 * (rights[0] - clean) / len(takes):+5.1f}), cancelled {rights[1]:>3}/{len(takes)} = "
              f"{rights[1] / len(takes):6.1%} ({100 * (rights[1] - clean) / len(takes):+5.1f}); delay "
              f"{delays[0]:.0f} samples at the start, found {delays[1]:.1f} at the end; {minutes:g} min of the bed "
              f"alone: {fired[0]} / {fired[1]} commands", flush=True)
    means = sums / len(SOUND_NAMES) / len(takes)
    print(f"    {'mean':<8} as heard {means[0]:6.1%} ({100 * means[0] - 100 * clean / len(takes):+5.1f}), "
          f"cancelled {means[1]:6.1%} ({100 * means[1] - 100 * clean / len(takes):+5.1f})")
    print(f"  ({time.perf_counter() - started:.0f} s)")
