"""Loudness levelling of clips: every clip at the same BS.1770 loudness, its true peak held below a ceiling.

Speech and tones are levelled once, where they are prepared (speech before it
enters the disk cache), so a session mixes clips that already sound equally
loud; playback and rendering add no per-play cost.

Loudness is ITU-R BS.1770 integrated loudness, measured by ``audio.lufs``: the
same meter as ``pyloudnorm``'s (the tests check they agree to 0.001 LU), in numpy
alone, because pyloudnorm imports scipy (about a second and 75 MB per process)
to run two biquads on a one-second clip.  A clip shorter than BS.1770's 400 ms
gating block is measured over its own length: the meter's block is shrunk to the clip, so the clip is one block,
K-weighted and gated like any other (a one-word cue such as "Three." is about
300 ms long, and padding it with silence would make it read quieter than it
sounds).

True peak is measured as BS.1770-4 does, oversampled to 192 kHz
(``voiceguide.true_peak``: nine times at 22,050 Hz).  A clip whose true peak
would pass the ceiling goes through a
look-ahead limiter: a gain that reaches its lowest *before* the peak and
recovers after it, so nothing is clipped and quiet parts are untouched.

Nothing here imports scipy; the limiter is ``voiceguide.dsp.limiter``.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voiceguide.base import SAMPLE_RATE, Audio, write_atomically
from voiceguide.dsp.limiter import (
    METER_MARGIN_DB,
    db_to_gain,
    limit_true_peak,
    limiter_curve,
)
from voiceguide.dsp.lufs import CurvedLoudness, integrated_loudness, k_weighted
from voiceguide.dsp.peaks import PeakEnvelope, exact_envelope

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

LEVEL_ROUNDS = 8
"""At most this many measure-scale-limit rounds per clip (two to four are usual)."""

LEVEL_TOLERANCE_LU = 0.1
"""A clip this close to the target loudness is done."""

LEVELLING_VERSION = 5
"""Part of the key of cached tone levels: bumped when measuring or levelling changes."""


def preload() -> None:
    """Import what levelling a new clip needs (soxr and the meter: ~30 ms since scipy is not among them).

    A live session with a warm cache levels nothing until it must answer with words it has never
    said (the status: "Fifty-six seconds left in the hold."); without this, that first answer came
    0.7 s late.  ``play`` calls it on a background thread as the session starts.
    """
    import numpy.fft  # noqa: F401 - the meter's K-weighting
    import soxr  # noqa: F401


def loudness_lufs(audio: npt.ArrayLike, sample_rate: int = SAMPLE_RATE) -> float:
    """BS.1770 integrated loudness of ``audio`` (``-inf`` for silence); short clips over their own length.

    Mono ``(frames,)`` or ``(frames, channels)`` (a stereo mix with a bed: the channels' powers summed).
    """
    samples = np.asarray(audio, dtype=np.float64)
    frames = samples.shape[0] if samples.ndim else 0
    if frames < 2:
        return -math.inf
    # Half a sample short of the clip, as with pyloudnorm, which refuses a block as long as its input.
    return integrated_loudness(samples, sample_rate, _block_seconds(frames, sample_rate))


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
    # The peak envelope scales with the gain, so it is computed once; only the
    # final take is checked again (_checked) for what smoothing missed:
    # the curve moves the peaks between samples by up to ~0.0004 dB, so the take
    # aims a hair lower and the check almost never has to limit again.
    target = ceiling * db_to_gain(-METER_MARGIN_DB - _AIM_BELOW_DB)
    envelope = PeakEnvelope(samples, sample_rate)  # exact (192 kHz) only where a gain brings it near the target
    # K-weighting is linear, so the clip is filtered once: a take's loudness is
    # estimated from the filtered clip times the take's gain curve, and measured
    # for real only if the estimate could be off target by more than the tolerance.
    block = _block_seconds(samples.size, sample_rate)
    meter = CurvedLoudness(k_weighted(samples, sample_rate), sample_rate, block)
    levelled = samples
    loudness = meter.estimate()  # exactly loudness_lufs(samples): no gain, no curve
    gain_db, error = 0.0, 0.0
    limited: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]] | None = None  # where the curve is, the gains
    for _ in range(EXACT_ROUNDS):
        if not math.isfinite(loudness) or abs(loudness - target_lufs) <= LEVEL_TOLERANCE_LU:
            break
        gain_db, gain, index, curve, estimate = _estimated_gain(
            meter,
            envelope,
            target,
            target_lufs - error,
            gain_db + target_lufs - loudness,
            sample_rate,
            start=(gain_db, loudness),
        )
        factor = np.full(samples.size, gain)
        factor[index] = gain * curve
        levelled = (samples * factor).astype(np.float32)
        limited = (index, factor)
        # The estimate misses by at most 0.0005 LU per LU the curve takes (measured: 0.0016 LU at most on
        # 100 clips whose curves took 0-5.1 LU); allowing twenty times that, it is often close enough.
        taken_lu = meter.estimate(gain) - estimate
        if abs(estimate - target_lufs) + ESTIMATE_ERROR_PER_LU * taken_lu <= LEVEL_TOLERANCE_LU:
            break
        loudness = loudness_lufs(levelled, sample_rate)
        error = loudness - estimate
    levelled = np.ascontiguousarray(_checked(levelled, envelope, limited, ceiling, sample_rate), dtype=np.float32)
    levelled.flags.writeable = False
    return levelled


def _checked(
    levelled: Audio,
    envelope: PeakEnvelope,
    limited: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]] | None,
    ceiling: float,
    sample_rate: int,
) -> Audio:
    """``limit_true_peak(levelled, ceiling)``, oversampling only the samples whose peaks the curve keeps at its aim.

    ``levelled`` is the clip times ``factor`` (``limited``): a gain, times a curve
    below 1 at ``index``; ``envelope`` is the clip's own.  A take's peak near a
    sample is the clip's there times the factor, but for the curve moving the peaks
    between samples (by ~0.0004 dB at most, measured): so only where the clip's
    envelope times the factor is within ``CHECK_MARGIN_DB`` of the target (at most
    ``_AIM_BELOW_DB`` over the take's aim, where the curve holds the loudest peaks) is
    the take oversampled again, at those samples alone; the envelope is exact there
    (``PeakEnvelope.at``, for the take's gain).  If a peak there is over,
    the whole take goes through the limiter.  Without a gain the take is the clip:
    its envelope is enough.
    """
    target = ceiling * db_to_gain(-METER_MARGIN_DB)
    if limited is None:
        over = levelled.size and float(envelope.at(1.0, target).max()) > target
        return limit_true_peak(levelled, ceiling, sample_rate) if over else levelled
    index, factor = limited
    if index.size == 0:
        return levelled  # the take is the clip times the gain, every peak at most the aim
    values = envelope.at(float(factor.max()), target)  # exact near the target already, unless called apart
    near = np.flatnonzero(values * factor > target * db_to_gain(-CHECK_MARGIN_DB))
    if near.size and float(exact_envelope(levelled, near, sample_rate).max()) > target:
        return limit_true_peak(levelled, ceiling, sample_rate)
    return levelled


CHECK_MARGIN_DB = 0.1
"""The final check oversamples the take wherever its peaks may be this close to the target (250 × that effect)."""


EXACT_ROUNDS = 4
"""At most this many real measurements of a clip's takes (one or two are usual)."""

ESTIMATE_ERROR_PER_LU = 0.01
"""How far a take's estimated loudness is taken to be from its real loudness, per LU its limiter's curve takes."""

ESTIMATE_TOLERANCE_LU = 0.05
"""An estimated take this close to its goal is measured for real."""


_FIRST_SLOPE = 2.5
"""The first correction's gain per LU short: the limiter bites harder the louder the take (espeak: ~1.3-2)."""

_AIM_BELOW_DB = 0.01
"""A levelled take's limiter aims this far below the final check's target (see ``level_clip``)."""


def _block_seconds(frames: int, sample_rate: int) -> float:
    """The gating block for a clip of ``frames``: BS.1770's, or the clip's own length less half a sample."""
    return min(BLOCK_SECONDS, (frames - 0.5) / sample_rate)


def _estimated_gain(
    meter: CurvedLoudness,
    envelope: PeakEnvelope,
    peak: float,
    goal_lufs: float,
    gain_db: float,
    sample_rate: int,
    start: tuple[float, float] | None = None,
) -> tuple[float, float, npt.NDArray[np.int64], npt.NDArray[np.float64], float]:
    """The gain (dB, linear), limiter curve (where it is below 1, and its values) and estimated loudness of the take
    whose estimate is ``goal_lufs``.

    The estimate is the loudness of the K-weighted clip times the take's gain
    curve (exact where the limiter does nothing; the limiter's curve is smooth, so
    close elsewhere).  Limiting takes loudness from a peaky clip (espeak's voice
    has a crest of ~17 dB): each round raises the gain by the shortfall, scaled by
    how much the last raise actually gave (a secant step), always limiting the
    original and never a limited take.
    """
    slope = 1.0
    previous = start
    for _ in range(LEVEL_ROUNDS):
        taken_db, gain = gain_db, db_to_gain(gain_db)
        index, curve = limiter_curve(envelope.at(gain, peak), gain, peak, sample_rate)
        estimate = meter.estimate(gain, index, curve)
        if not math.isfinite(estimate) or abs(estimate - goal_lufs) <= ESTIMATE_TOLERANCE_LU:
            break
        if previous is not None and estimate != previous[1]:
            slope = min(4.0, max(1.0, (gain_db - previous[0]) / (estimate - previous[1])))
            slope = slope if previous is not start else max(slope, _FIRST_SLOPE)
        previous = (gain_db, estimate)
        gain_db += (goal_lufs - estimate) * slope
    return taken_db, gain, index, curve, estimate


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
