"""An onset detector for tests: where each sound in a recording or render begins.

The method of ``shared/notes/pyttsx3-and-audio.md``: an energy envelope in 5 ms
frames; a frame is active above max(loudest frame - 35 dB, -60 dBFS, noise
floor + 10 dB); an onset is the first active frame after at least 0.1 s of
silence; it is refined to the sample by walking back while the signal stays
above -30 dB of that event's own peak (taken over the next 0.3 s).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FRAME_SECONDS = 0.005
SILENCE_SECONDS = 0.1
PEAK_WINDOW_SECONDS = 0.3
BELOW_LOUDEST_DB = 35.0
ABSOLUTE_FLOOR_DB = -60.0
ABOVE_NOISE_DB = 10.0
BELOW_PEAK_DB = 30.0
GAP_SECONDS = 0.0025
"""Walking back crosses dips (zero crossings) shorter than this."""


def frame_levels_db(samples: npt.NDArray[np.floating], frame: int) -> npt.NDArray[np.float64]:
    """RMS level of each whole ``frame``-sample frame, in dBFS (silence is -200 dB)."""
    count = len(samples) // frame
    frames = np.asarray(samples[: count * frame], dtype=np.float64).reshape(count, frame)
    rms: npt.NDArray[np.float64] = np.sqrt(np.mean(frames * frames, axis=1))
    levels: npt.NDArray[np.float64] = 20 * np.log10(np.maximum(rms, 1e-10))
    return levels


def activity_threshold_db(levels: npt.NDArray[np.float64]) -> float:
    """The level above which a frame counts as sound."""
    if len(levels) == 0:
        return ABSOLUTE_FLOOR_DB
    noise_floor = float(np.percentile(levels, 10))
    return max(float(levels.max()) - BELOW_LOUDEST_DB, ABSOLUTE_FLOOR_DB, noise_floor + ABOVE_NOISE_DB)


def detect_onsets(samples: npt.NDArray[np.floating], sample_rate: int) -> list[int]:
    """Sample indices where a sound begins after at least 0.1 s of silence."""
    x = np.abs(np.asarray(samples, dtype=np.float64))
    if x.ndim == 2:  # a stereo file: the magnitude of both channels (a centred sound as loud as in mono)
        # Channel by channel: numpy's sum along a short last axis is several times slower.
        power = x[:, 0] * x[:, 0]
        for channel in range(1, x.shape[1]):
            power += x[:, channel] * x[:, channel]
        x = np.sqrt(power)
    frame = max(1, round(FRAME_SECONDS * sample_rate))
    levels = frame_levels_db(x, frame)
    active = levels > activity_threshold_db(levels)
    silence_frames = round(SILENCE_SECONDS * sample_rate / frame)
    peak_window = round(PEAK_WINDOW_SECONDS * sample_rate)
    gap = max(1, round(GAP_SECONDS * sample_rate))
    # An onset is an active frame after at least ``silence_frames`` inactive ones (the file's start counts as
    # silence), found in one pass over the active frames' indices rather than a Python loop over every frame.
    indices = np.flatnonzero(active)
    if indices.size == 0:
        return []
    quiet_before = np.diff(indices, prepend=-1 - silence_frames) - 1
    starts = np.flatnonzero(quiet_before >= silence_frames)
    # Refining walks back no further than the end of the sound before (the previous active frame).
    previous_ends = np.concatenate(([0], (indices[:-1] + 1) * frame))
    return [_refine(x, int(indices[k]) * frame, int(previous_ends[k]), peak_window, gap) for k in starts]


def _refine(x: npt.NDArray[np.float64], frame_start: int, floor: int, peak_window: int, gap: int) -> int:
    """The first sample of the sound found active at ``frame_start``, not before ``floor``."""
    peak = float(x[frame_start : frame_start + peak_window].max())
    level = peak * 10 ** (-BELOW_PEAK_DB / 20)
    # The first sample above the level from the active frame on ...
    above = np.flatnonzero(x[frame_start : frame_start + peak_window] >= level)
    if above.size == 0:
        return frame_start
    position = frame_start + int(above[0])
    # ... then back through short dips while the sound stays above the level.
    while position > floor:
        window_start = max(floor, position - gap)
        earlier = np.flatnonzero(x[window_start:position] >= level)
        if earlier.size == 0:
            break
        position = window_start + int(earlier[0])
    return position


# -- matching detected onsets to a JSON plan --------------------------------------------

TONE_TOLERANCE = 0.001
SPEECH_TOLERANCE = 0.005
RESOLVABLE_GAP = 0.15
"""Sounds closer than this to the end of the previous sound cannot be told apart by the detector."""


def required_events(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Plan events that start at least RESOLVABLE_GAP after every earlier sound has ended."""
    required = []
    sounding_until = -1.0
    for event in plan["events"]:
        if event["t"] - sounding_until >= RESOLVABLE_GAP:
            required.append(event)
        sounding_until = max(sounding_until, event["t"] + event["duration"])
    return required


def onset_errors(plan: dict[str, Any], onsets_seconds: list[float]) -> list[str]:
    """Every way the detected onsets disagree with the plan, as readable lines."""
    problems = []
    found = np.array(onsets_seconds)
    for event in required_events(plan):
        tolerance = TONE_TOLERANCE if event["kind"] == "tone" else SPEECH_TOLERANCE
        nearest = float(found[np.argmin(np.abs(found - event["t"]))]) if found.size else float("inf")
        if abs(nearest - event["t"]) > tolerance:
            problems.append(
                f"{event['cue']} {event['text'] or 'tone'!r} planned at {event['t']:.4f} s: "
                f"nearest onset {nearest:.4f} s ({(nearest - event['t']) * 1000:+.2f} ms)"
            )
    events = plan["events"]
    for onset in onsets_seconds:
        at_start = any(abs(onset - e["t"]) <= SPEECH_TOLERANCE for e in events)
        inside = any(e["t"] < onset < e["t"] + e["duration"] for e in events)  # a pause within one utterance
        if not (at_start or inside):
            problems.append(f"extra onset at {onset:.4f} s, where the plan has silence")
    return problems


def clip_seconds(env: dict[str, str], *texts: str) -> list[tuple[float, float]]:
    """For each feedback sentence: its clip's length and where the detector puts its onset, as the player given
    ``env`` has it (the same cache; in this process: a clip already there needs no engine, and no Python started).
    """
    from voiceguide.speech.clip_cache import default_cache_dir
    from voiceguide.speech.clips import SpeechBank
    from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer

    cache_root = env.get("VOICEGUIDE_CACHE_DIR")
    synth = Pyttsx3Synthesizer()
    try:
        bank = SpeechBank(synth, Path(cache_root) / "clips" if cache_root else default_cache_dir())
        found = []
        for text in texts:
            clip = bank.clip(text)
            padded = np.concatenate([np.zeros(22050), clip, np.zeros(22050)])
            found.append((len(clip) / 22050, detect_onsets(padded, 22050)[0] / 22050 - 1.0))
    finally:
        synth.close()
    return found
