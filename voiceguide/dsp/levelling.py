"""Loudness levelling of clips: every clip at the same BS.1770 loudness, its true peak held below a ceiling.

Speech and tones are levelled once, where they are prepared (speech before it
enters the disk cache), so a session mixes clips that already sound equally
loud; playback and rendering add no per-play cost.

Loudness is ITU-R BS.1770 integrated loudness measured by ``pyloudnorm``.  A
clip shorter than BS.1770's 400 ms gating block is measured over its own
length: the meter's block is shrunk to the clip, so the clip is one block,
K-weighted and gated like any other (a one-word cue such as "Three." is about
300 ms long, and padding it with silence would make it read quieter than it
sounds).

True peak is measured as BS.1770-4 does, oversampled to 192 kHz
(``voiceguide.true_peak``: nine times at 22,050 Hz).  A clip whose true peak
would pass the ceiling goes through a
look-ahead limiter: a gain that reaches its lowest *before* the peak and
recovers after it, so nothing is clipped and quiet parts are untouched.

``pyloudnorm`` pulls in scipy, which takes most of a second to import, so it
is imported only when a clip is actually measured (never on a warm render).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voiceguide.base import SAMPLE_RATE, Audio, write_atomically
from voiceguide.true_peak import EDGE_FRAMES, oversampled, oversampling_factor, true_peak

REFERENCE_LUFS = -16.0
"""The loudness every clip is levelled to: the usual target for speech on phones."""

CEILING_DBTP = -1.0
"""No file's true peak goes above this (dBTP)."""

HEADROOM_DB = 2.0
"""A levelled clip's true peak stays this far below ``CEILING_DBTP``.

A session's integrated loudness reads up to ~2 LU below its clips' (the gated
blocks at the edges of cues are partly silent), so a file is usually made a
little louder than the clips; this headroom lets that gain pass without
limiting again.
"""

BLOCK_SECONDS = 0.4
"""BS.1770's gating block; shorter clips are measured over their own length."""

LOOKAHEAD_SECONDS = 0.005
"""The limiter's gain reaches its lowest this long before a peak and recovers over as long after it."""

LEVEL_ROUNDS = 8
"""At most this many measure-scale-limit rounds per clip (two to four are usual)."""

LEVEL_TOLERANCE_LU = 0.1
"""A clip this close to the target loudness is done."""

LEVELLING_VERSION = 2
"""Part of the key of cached tone levels: bumped when measuring or levelling changes."""

METER_MARGIN_DB = 0.25
"""The limiter aims this far below the ceiling, so that no meter reads a peak over it.

Meters differ by the interpolation filter they oversample with: ffmpeg's
``ebur128=peak=true`` (a short filter, to 192 kHz) reads 0.15 dB above soxr's
long one on espeak's voice, and a file at exactly -1.0 by ours read -0.85 by ffmpeg.
"""


def preload() -> None:
    """Import what levelling a new clip needs (pyloudnorm, scipy, soxr: ~0.7 s, 650 modules).

    A live session with a warm cache levels nothing until it must answer with words it has never
    said (the status: "Fifty-six seconds left in the hold."); without this, that first answer came
    0.7 s late.  ``play`` calls it on a background thread as the session starts.
    """
    import pyloudnorm  # noqa: F401
    import soxr  # noqa: F401
    from scipy.ndimage import minimum_filter1d  # noqa: F401


def db_to_gain(decibels: float) -> float:
    """The linear gain of ``decibels``."""
    return float(10.0 ** (decibels / 20.0))


def loudness_lufs(audio: npt.ArrayLike, sample_rate: int = SAMPLE_RATE) -> float:
    """BS.1770 integrated loudness of ``audio`` (``-inf`` for silence); short clips over their own length.

    Mono ``(frames,)`` or ``(frames, channels)``: the channels' powers are summed.
    """
    import pyloudnorm

    samples = np.asarray(audio, dtype=np.float64)
    frames = samples.shape[0] if samples.ndim else 0
    if frames < 2:
        return -math.inf
    # Half a sample short of the clip: pyloudnorm refuses a block as long as its input.
    block_seconds = min(BLOCK_SECONDS, (frames - 0.5) / sample_rate)
    meter = pyloudnorm.Meter(sample_rate, block_size=block_seconds)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyloudnorm warns about silence and very short input
        return float(meter.integrated_loudness(samples))


def _peak_envelope(audio: Audio, sample_rate: int) -> npt.NDArray[np.float32]:
    """Per sample, the largest oversampled magnitude within half a sample of it (and the sample's own)."""
    factor = oversampling_factor(sample_rate)
    fine = np.abs(oversampled(audio, sample_rate))
    centre = EDGE_FRAMES * factor  # where sample 0 lands in the oversampled signal
    half = factor // 2
    needed = centre + audio.size * factor + half
    if fine.size < needed:
        fine = np.concatenate([fine, np.zeros(needed - fine.size, dtype=fine.dtype)])
    # Strided slices, one per offset: far faster than max over a (n, 5) view.
    envelope = np.abs(audio).astype(np.float32)
    for offset in range(-half, half + 1):
        start = centre + offset
        np.maximum(envelope, fine[start : start + audio.size * factor : factor], out=envelope)
    return envelope


def _limiter_gain(envelope: npt.NDArray[np.float32], target: float, sample_rate: int) -> npt.NDArray[np.float64]:
    """The smooth gain that brings a signal with this peak ``envelope`` to ``target`` (see ``limit_true_peak``)."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    half = max(1, round(LOOKAHEAD_SECONDS * sample_rate))
    need = np.minimum(1.0, target / np.maximum(envelope.astype(np.float64), 1e-12))
    # Running minimum and mean in O(n) (scipy is loaded with pyloudnorm anyway).
    # "nearest" repeats an edge value, whose window still contains the samples near the edge.
    held = minimum_filter1d(need, 2 * half + 1, mode="nearest")
    smooth: npt.NDArray[np.float64] = np.minimum(uniform_filter1d(held, 2 * half + 1, mode="nearest"), 1.0)
    return smooth


def limit_true_peak(audio: npt.ArrayLike, ceiling: float, sample_rate: int = SAMPLE_RATE) -> Audio:
    """``audio`` with its true peak at or below ``ceiling`` (linear), through a look-ahead limiter.

    The gain needed at each sample (ceiling over the local true peak, at most
    1) is spread to ``LOOKAHEAD_SECONDS`` either side by a running minimum,
    then smoothed by a running mean of the same half-width: every value in
    that mean is a minimum over a window containing the sample, so the smooth
    gain never exceeds the gain the sample needs.
    """
    samples = np.asarray(audio, dtype=np.float32)
    result: Audio = samples.copy()
    if samples.size == 0:
        return result
    target = ceiling * db_to_gain(-METER_MARGIN_DB)
    for _ in range(4):  # one pass almost always does; resampling error may leave a hair over
        envelope = _peak_envelope(result, sample_rate)
        if envelope.max() <= target:
            break
        result = (result * _limiter_gain(envelope, target, sample_rate)).astype(np.float32)
    else:
        # Dense peaks everywhere (noise, not speech) can leave a hair over: a plain gain settles it.
        peak = true_peak(result, sample_rate)
        if peak > target:
            result = (result * np.float32(target / peak)).astype(np.float32)
    return result


def level_clip(
    audio: npt.ArrayLike,
    sample_rate: int = SAMPLE_RATE,
    *,
    target_lufs: float = REFERENCE_LUFS,
    ceiling_dbtp: float = CEILING_DBTP - HEADROOM_DB,
) -> Audio:
    """``audio`` scaled to ``target_lufs`` (BS.1770), then limited to ``ceiling_dbtp``; read-only.

    A clip too quiet to measure (below BS.1770's -70 LUFS gate) is returned unchanged.
    """
    samples: Audio = np.asarray(audio, dtype=np.float32)
    if samples.size == 0:
        return samples
    ceiling = db_to_gain(ceiling_dbtp)
    target = ceiling * db_to_gain(-METER_MARGIN_DB)
    # The peak envelope scales with the gain, so it is computed once; only the
    # final take is checked again (limit_true_peak) for what smoothing missed.
    envelope = _peak_envelope(samples, sample_rate)
    levelled = samples
    gain_db, slope = 0.0, 1.0
    previous: tuple[float, float] | None = None
    # Limiting takes loudness from a peaky clip (espeak's voice has a crest of
    # ~17 dB): measure again and raise the gain by the shortfall, scaled by how
    # much the last raise actually gave (a secant step), always limiting the
    # original and never a limited take, until within LEVEL_TOLERANCE_LU.
    for _ in range(LEVEL_ROUNDS):
        loudness = loudness_lufs(levelled, sample_rate)
        if not math.isfinite(loudness) or abs(loudness - target_lufs) <= LEVEL_TOLERANCE_LU:
            break
        if previous is not None and loudness != previous[1]:
            slope = min(4.0, max(1.0, (gain_db - previous[0]) / (loudness - previous[1])))
        previous = (gain_db, loudness)
        gain_db += (target_lufs - loudness) * slope
        gain = db_to_gain(gain_db)
        curve = _limiter_gain(envelope * np.float32(gain), target, sample_rate)
        levelled = (samples * (gain * curve)).astype(np.float32)
    levelled = np.ascontiguousarray(limit_true_peak(levelled, ceiling, sample_rate), dtype=np.float32)
    levelled.flags.writeable = False
    return levelled


def cached_level(audio: Audio, cache_dir: Path | None, sample_rate: int = SAMPLE_RATE) -> Audio:
    """``level_clip(audio)``, with the gain curve's result remembered on disk (for tones, made every run).

    The key is the sha256 of the samples and ``LEVELLING_VERSION``, so a changed
    tone or a changed levelling is never served stale.  Any OS error means: do
    it again, without the cache.
    """
    samples = np.ascontiguousarray(audio, dtype="<f4")
    key = hashlib.sha256(b"%d\0%d\0" % (LEVELLING_VERSION, sample_rate) + samples.tobytes()).hexdigest()
    path = cache_dir / f"{key}.level" if cache_dir is not None else None
    if path is not None:
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        if len(data) == 32 + samples.nbytes and hashlib.sha256(data[32:]).digest() == data[:32]:
            cached = np.frombuffer(data[32:], dtype="<f4").astype(np.float32)
            cached.flags.writeable = False
            return cached
    levelled = level_clip(samples, sample_rate)
    if path is not None:
        payload = np.ascontiguousarray(levelled, dtype="<f4").tobytes()
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, hashlib.sha256(payload).digest() + payload)
    return levelled
